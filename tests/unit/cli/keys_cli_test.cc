// `cohort keys` as a user runs it: the built binary creates a CA, issues,
// shows and revokes, and a bad invocation changes nothing and says why.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cohort/testbed/process.h"

namespace cohort {
namespace {

class KeysCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cohort-keys-cli-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Runs `cohort keys ARGS...` with COHORT_KEYS_DIR set to the test's CA.
  testbed::CommandResult keys(std::vector<std::string> args) {
    args.insert(args.begin(), {COHORT_BIN, "keys"});
    testbed::RunOptions options;
    options.env = {"COHORT_KEYS_DIR=" + (dir_ / "ca").string()};
    auto result = testbed::run_command(args, options);
    EXPECT_TRUE(result) << result.error().to_string();
    return result ? *result : testbed::CommandResult{};
  }

  std::filesystem::path dir_;
};

TEST_F(KeysCli, InitIssueShowRevoke) {
  auto init = keys({"init", "--cluster", "lab"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  ASSERT_TRUE(std::filesystem::exists(dir_ / "ca/ca.key"));

  auto user = keys({"user", "alice"});
  ASSERT_EQ(user.exit_code, 0) << user.err;
  auto host =
      keys({"host", "node1", "--ip", "10.0.0.1", "--dns", "node1.lab", "--out", (dir_ / "node1").string()});
  ASSERT_EQ(host.exit_code, 0) << host.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "node1.key"));

  std::string ca = (dir_ / "ca").string();
  auto show = keys({"show", (dir_ / "node1.pem").string(), "--dir", ca});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  for (const char* line : {"kind:     host\n", "name:     node1\n", "cluster:  lab\n",
                           "SANs:     DNS:node1, DNS:node1.lab, IP:10.0.0.1\n",
                           "usage:    serverAuth, clientAuth\n", "revoked:  no\n", "(valid now)"}) {
    EXPECT_NE(show.out.find(line), std::string::npos) << line << "\n" << show.out;
  }

  std::string alice = (dir_ / "ca/users/alice.pem").string();
  auto revoke = keys({"revoke", alice});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  auto shown = keys({"show", alice, "--dir", ca});
  EXPECT_NE(shown.out.find("kind:     user\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("revoked:  yes\n"), std::string::npos) << shown.out;
}

TEST_F(KeysCli, BadInvocationsChangeNothingAndSayWhatToDo) {
  auto no_ca = keys({"host", "node1"});
  EXPECT_EQ(no_ca.exit_code, 1);
  EXPECT_NE(no_ca.err.find("cohort keys init"), std::string::npos) << no_ca.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "ca"));

  auto no_cluster = keys({"init"});
  EXPECT_EQ(no_cluster.exit_code, 2);
  EXPECT_NE(no_cluster.err.find("--cluster"), std::string::npos) << no_cluster.err;

  ASSERT_EQ(keys({"init", "--cluster", "lab"}).exit_code, 0);
  auto bad_time = keys({"user", "bob", "--not-after", "yesterday"});
  EXPECT_EQ(bad_time.exit_code, 2);
  EXPECT_NE(bad_time.err.find("YYYY-MM-DDTHH:MM:SSZ"), std::string::npos) << bad_time.err;
  ASSERT_EQ(keys({"user", "bob"}).exit_code, 0);
  auto again = keys({"user", "bob"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_EQ(keys({"user", "bob", "--force"}).exit_code, 0);
  EXPECT_EQ(keys({"host", "--help"}).exit_code, 0);
}

}  // namespace
}  // namespace cohort
