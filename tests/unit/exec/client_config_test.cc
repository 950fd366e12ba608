// Where the client's port comes from: --port, then COHORT_PORT, then
// client.toml, then 7001 (a launcher such as mpirun or pdsh can only pass
// the environment to `cohort exec`).
#include "cohort/exec/client_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

namespace cohort::exec {
namespace {

class ClientConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cohort-client-config-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    for (const char* name : {"COHORT_PORT", "COHORT_CONFIG"}) {
      if (const char* value = std::getenv(name)) saved_[name] = value;
      unsetenv(name);
    }
    setenv("COHORT_CONFIG", (dir_ / "client.toml").c_str(), 1);
    flags_.tls.ca = "ca.pem";
    flags_.tls.cert = "me.pem";
    flags_.tls.key = "me.key";
  }
  void TearDown() override {
    for (const char* name : {"COHORT_PORT", "COHORT_CONFIG"}) unsetenv(name);
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
    std::filesystem::remove_all(dir_);
  }

  std::uint16_t port() {
    auto config = load_client_config(flags_);
    EXPECT_TRUE(config) << config.error().to_string();
    return config ? config->port : 0;
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> saved_;
  ClientConfig flags_;
};

TEST_F(ClientConfigTest, DefaultsTo7001) { EXPECT_EQ(port(), 7001); }

TEST_F(ClientConfigTest, ConfigFilePortIsUsed) {
  std::ofstream(dir_ / "client.toml") << "port = 7101\n";
  EXPECT_EQ(port(), 7101);
}

TEST_F(ClientConfigTest, EnvironmentPortBeatsTheConfigFile) {
  std::ofstream(dir_ / "client.toml") << "port = 7101\n";
  setenv("COHORT_PORT", "7202", 1);
  EXPECT_EQ(port(), 7202);
}

TEST_F(ClientConfigTest, FlagPortBeatsTheEnvironment) {
  setenv("COHORT_PORT", "7202", 1);
  flags_.port = 7303;
  EXPECT_EQ(port(), 7303);
}

}  // namespace
}  // namespace cohort::exec
