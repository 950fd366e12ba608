// `cohort cast` as a user runs it, on loopback without root: two cohortd
// processes (as this account) start `cohort cast-receive`, channels go by
// unicast (loopback has no multicast), and the hosts, sharing this file
// system, each receive into their own --dest (`{host}`). A tree arrives
// verified on both; a host that cannot be reached fails alone with its
// reason; bad arguments send nothing and exit 2.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cohort/testbed/process.h"

namespace cohort {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class CastCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cohort-cast-cli-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "tree/sub");
    std::string me = getpwuid(geteuid())->pw_name;
    run_ok({COHORT_BIN, "keys", "init", "--cluster", "demo", "--dir", ca()});
    run_ok({COHORT_BIN, "keys", "host", "localhost", "--ip", "127.0.0.1", "--dir", ca()});
    run_ok({COHORT_BIN, "keys", "user", me, "--dir", ca()});
    std::ofstream(dir_ / "accounts") << me << " " << me << "\n";
    env_ = {"COHORT_CA=" + ca() + "/ca.pem", "COHORT_CERT=" + ca() + "/users/" + me + ".pem",
            "COHORT_KEY=" + ca() + "/users/" + me + ".key", "COHORT_CONFIG=/nonexistent"};
    for (int d = 0; d < 2; ++d) start_daemon(d);
    std::string random(300'000, '\0');
    for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<char>(i * 7919 % 251);
    std::ofstream(dir_ / "tree/sub/data") << random;
    std::ofstream(dir_ / "tree/one") << "1";
    std::ofstream(dir_ / "tree/empty").flush();
  }

  void TearDown() override {
    daemons_.clear();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string ca() const { return (dir_ / "ca").string(); }

  static void run_ok(const std::vector<std::string>& argv) {
    auto out = testbed::run_checked(argv);
    ASSERT_TRUE(out) << out.error().to_string();
  }

  void start_daemon(int d) {
    std::string conf = (dir_ / ("d" + std::to_string(d) + ".toml")).string();
    std::ofstream(conf) << "cluster = \"demo\"\nlisten = \"127.0.0.1:0\"\n[tls]\nca = \"" << ca()
                        << "/ca.pem\"\ncert = \"" << ca() << "/hosts/localhost.pem\"\nkey = \"" << ca()
                        << "/hosts/localhost.key\"\ncrl = \"" << ca() << "/crl.pem\"\n[accounts]\nmap = \""
                        << (dir_ / "accounts").string() << "\"\n[shutdown]\ngrace_ms = 500\n";
    fs::path ready = dir_ / ("addr" + std::to_string(d));
    auto child = testbed::Child::start({COHORTD_BIN, "-c", conf, "--address-file", ready.string()});
    ASSERT_TRUE(child) << child.error().to_string();
    daemons_.push_back(std::move(*child));
    for (int i = 0; i < 400 && (!fs::exists(ready) || fs::file_size(ready) == 0); ++i) std::this_thread::sleep_for(25ms);
    std::string address = read_file(ready);
    address.erase(address.find_last_not_of(" \n") + 1);
    ASSERT_FALSE(address.empty()) << "cohortd " << d << " did not start";
    hosts_.push_back(address);
  }

  testbed::CommandResult cast(const std::vector<std::string>& to, std::vector<std::string> extra = {}) {
    std::string list;
    for (const auto& h : to) list += (list.empty() ? "" : ",") + h;
    std::vector<std::string> args{COHORT_BIN, "cast", (dir_ / "tree").string(), "--to", list, "--dest",
                                  (dir_ / "cast-{host}").string(), "--unicast", "--remote-cohort", COHORT_BIN,
                                  "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    testbed::RunOptions options;
    options.env = env_;
    options.timeout = 120s;
    auto result = testbed::run_command(args, options);
    EXPECT_TRUE(result) << result.error().to_string();
    return result ? *result : testbed::CommandResult{};
  }

  fs::path dest(const std::string& host) const { return dir_ / ("cast-" + host) / "tree"; }

  fs::path dir_;
  std::vector<std::string> env_;
  std::vector<testbed::Child> daemons_;
  std::vector<std::string> hosts_;
};

TEST_F(CastCliTest, ATreeArrivesVerifiedOnTwoHosts) {
  auto result = cast(hosts_);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  json report = json::parse(result.out);
  EXPECT_EQ(report["status"], "complete");
  ASSERT_EQ(report["receivers"].size(), 2u);
  for (const json& r : report["receivers"]) {
    EXPECT_EQ(r["status"], "verified") << r.dump();
    EXPECT_EQ(r["files"].size(), 3u) << r.dump();
    // The sender hashes the files while the cast runs and reports their SHA-256s.
    for (const json& f : r["files"]) {
      EXPECT_EQ(f.value("sha256", "").size(), 64u) << f.dump();
      if (f["path"] == "tree/empty") {
        EXPECT_EQ(f["sha256"], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
      }
      if (f["path"] == "tree/one") {
        EXPECT_EQ(f["sha256"], "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b");
      }
    }
  }
  for (const auto& host : hosts_) {
    for (const char* name : {"sub/data", "one", "empty"}) {
      EXPECT_EQ(read_file(dest(host) / name), read_file(dir_ / "tree" / name)) << host << " " << name;
    }
  }
}

// K follows the content unless it is given: the 300 kB tree keeps the small
// group, a sparse file past kLargeCastBlocks gets the large one (its zero
// groups travel as nothing, so the cast is quick), and -k wins over both.
TEST_F(CastCliTest, TheGroupSizeFollowsTheCastsSizeUnlessGiven) {
  auto small = cast({hosts_[0]});
  ASSERT_EQ(small.exit_code, 0) << small.out << small.err;
  EXPECT_EQ(json::parse(small.out)["sender"]["group_size"], 64) << small.out;
  EXPECT_EQ(json::parse(small.out)["sender"]["block_size"], 1360) << small.out;
  fs::resize_file(fs::path(dir_ / "tree/sub/data"), std::uint64_t{20} << 20);
  auto large = cast({hosts_[0]});
  ASSERT_EQ(large.exit_code, 0) << large.out << large.err;
  EXPECT_EQ(json::parse(large.out)["sender"]["group_size"], 128) << large.out;
  EXPECT_EQ(read_file(dest(hosts_[0]) / "sub/data"), read_file(dir_ / "tree/sub/data"));
  auto given = cast({hosts_[0]}, {"-k", "100"});
  ASSERT_EQ(given.exit_code, 0) << given.out << given.err;
  EXPECT_EQ(json::parse(given.out)["sender"]["group_size"], 100) << given.out;
}

TEST_F(CastCliTest, AnUnreachableHostFailsAloneWithItsReason) {
  auto result = cast({hosts_[0], "127.0.0.1:1"});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  json report = json::parse(result.out);
  EXPECT_EQ(report["status"], "failed");
  EXPECT_EQ(report["receivers"][0]["status"], "verified") << report.dump();
  EXPECT_EQ(report["receivers"][1]["status"], "failed");
  EXPECT_NE(report["receivers"][1]["reason"].get<std::string>().find("unreachable"), std::string::npos)
      << report.dump();
  EXPECT_EQ(read_file(dest(hosts_[0]) / "sub/data"), read_file(dir_ / "tree/sub/data"));
}

TEST_F(CastCliTest, BadArgumentsSendNothingAndSayWhy) {
  auto no_hosts = cast({}, {});
  EXPECT_EQ(no_hosts.exit_code, 2) << no_hosts.err;
  EXPECT_NE(no_hosts.err.find("--to"), std::string::npos) << no_hosts.err;
  auto bad_rate = cast(hosts_, {"--rate", "fast"});
  EXPECT_EQ(bad_rate.exit_code, 2);
  EXPECT_NE(bad_rate.err.find("rate 'fast'"), std::string::npos) << bad_rate.err;
  auto bad_budget = cast(hosts_, {"--straggler-budget", "0"});
  EXPECT_EQ(bad_budget.exit_code, 2);
  EXPECT_NE(bad_budget.err.find("--straggler-budget must be more than 0"), std::string::npos) << bad_budget.err;
  auto missing = testbed::run_command({COHORT_BIN, "cast", (dir_ / "nothing").string(), "--to", hosts_[0], "--dest",
                                       (dir_ / "x").string()});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->exit_code, 2) << missing->err;
  EXPECT_FALSE(fs::exists(dir_ / "x"));
}

TEST_F(CastCliTest, TheReceiverSaysItIsStartedByCast) {
  auto help = testbed::run_command({COHORT_BIN, "cast-receive", "--help"});
  ASSERT_TRUE(help);
  EXPECT_EQ(help->exit_code, 0);
  EXPECT_NE(help->out.find("started"), std::string::npos) << help->out;
}

}  // namespace
}  // namespace cohort
