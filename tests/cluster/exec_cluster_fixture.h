// A cluster for the exec tests: five namespaces, a cluster CA made with
// `cohort keys`, cohortd (as root) in hosts 1-4 and the client in host 0,
// plus a throwaway local account with a supplementary group for the account
// switch. Everything is removed again when the test ends.
#pragma once

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "testbed_fixture.h"

namespace cohort::testbed {

inline constexpr int kExecHosts = 5;  // host 0: the client; 1-4: daemons
inline constexpr int kDaemonPort = 7001;

class ExecCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_PRIVILEGED();
    auto bed = Testbed::create({kExecHosts, 0});
    ASSERT_TRUE(bed) << bed.error().to_string();
    bed_.emplace(std::move(bed).value());
    static int tests = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("cohort-exec-" + std::to_string(getpid()) + "-" + std::to_string(++tests));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::filesystem::permissions(dir_, std::filesystem::perms::all);  // the test account reads nothing here
    account_ = "cohx" + std::to_string(getpid() % 100000);
    make_account();
    make_keys();
    for (int h = 1; h < kExecHosts; ++h) start_daemon(h);
  }

  void TearDown() override {
    daemons_.clear();
    if (bed_) (void)bed_->destroy();
    (void)run_checked({"userdel", account_});
    (void)run_checked({"groupdel", account_ + "s"});
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::string host(int h) const { return bed_->address(h) + ":" + std::to_string(kDaemonPort); }
  std::string keys() const { return (dir_ / "ca").string(); }

  // `cohort ARGS...` in the client host as `user` (a certificate in users/).
  CommandResult cohort(const std::vector<std::string>& args, const std::string& user = "root",
                       Duration timeout = std::chrono::seconds(60)) {
    return shell(command_line(args, user), timeout);
  }

  std::string command_line(const std::vector<std::string>& args, const std::string& user = "root",
                           const std::string& ca_dir = {}) const {
    std::string line = client_env(user, ca_dir) + " " + COHORT_BIN;
    for (const auto& a : args) line += " " + quote(a);
    return line;
  }

  // COHORT_CA/CERT/KEY assignments for a shell line: `user`'s certificate
  // from `ca_dir` (default: the CA's).
  std::string client_env(const std::string& user = "root", const std::string& ca_dir = {}) const {
    std::string ca = (ca_dir.empty() ? keys() : ca_dir);
    return "COHORT_CA=" + keys() + "/ca.pem COHORT_CERT=" + ca + "/users/" + user + ".pem COHORT_KEY=" + ca +
           "/users/" + user + ".key";
  }

  CommandResult shell(const std::string& line, Duration timeout = std::chrono::seconds(60)) {
    auto out = bed_->run(0, {"sh", "-c", line}, timeout);
    EXPECT_TRUE(out) << out.error().to_string();
    return out ? *out : CommandResult{};
  }

  static std::string quote(const std::string& word) {
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }

  static void run_ok(const std::vector<std::string>& argv) {
    auto out = run_checked(argv);
    ASSERT_TRUE(out && out->success()) << join_command(argv) << ": "
                                       << (out ? out->describe() + " " + out->err : out.error().to_string());
  }

  std::optional<Testbed> bed_;
  std::filesystem::path dir_;
  std::string account_;
  std::map<int, std::unique_ptr<Child>> daemons_;

 private:
  void make_account() {
    (void)run_checked({"userdel", account_});
    (void)run_checked({"groupdel", account_ + "s"});
    run_ok({"groupadd", account_ + "s"});
    run_ok({"useradd", "-M", "-d", "/", "-s", "/bin/sh", "-G", account_ + "s", account_});
  }

  void make_keys() {
    std::string ca = keys();
    run_ok({COHORT_BIN, "keys", "init", "--cluster", "lab", "--dir", ca});
    for (int h = 1; h < kExecHosts; ++h) {
      run_ok({COHORT_BIN, "keys", "host", "h" + std::to_string(h), "--ip", bed_->address(h), "--dir", ca});
    }
    for (const std::string& user : {std::string("root"), account_, std::string("mallory"), std::string("eve")}) {
      run_ok({COHORT_BIN, "keys", "user", user, "--dir", ca});
    }
    run_ok({COHORT_BIN, "keys", "user", "old", "--dir", ca, "--not-before", "2020-01-01T00:00:00Z", "--not-after",
            "2020-01-02T00:00:00Z"});
    run_ok({COHORT_BIN, "keys", "revoke", ca + "/users/eve.pem", "--dir", ca});
    std::string other = (dir_ / "other-ca").string();
    run_ok({COHORT_BIN, "keys", "init", "--cluster", "lab", "--dir", other});
    run_ok({COHORT_BIN, "keys", "user", "root", "--dir", other});
    std::ofstream(dir_ / "accounts") << "root root\n" << account_ << " " << account_ << "\neve root\nold root\n";
  }

  void start_daemon(int h) {
    std::string conf = (dir_ / ("cohortd-" + std::to_string(h) + ".toml")).string();
    std::string ca = keys();
    std::ofstream(conf) << "cluster = \"lab\"\nlisten = \"" << host(h) << "\"\n[tls]\nca = \"" << ca
                        << "/ca.pem\"\ncert = \"" << ca << "/hosts/h" << h << ".pem\"\nkey = \"" << ca << "/hosts/h"
                        << h << ".key\"\ncrl = \"" << ca << "/crl.pem\"\n[accounts]\nmap = \""
                        << (dir_ / "accounts").string() << "\"\n[shutdown]\ngrace_ms = 500\n";
    std::string ready = (dir_ / ("ready-" + std::to_string(h))).string();
    auto child = bed_->spawn(h, {COHORTD_BIN, "-c", conf, "--address-file", ready});
    ASSERT_TRUE(child) << child.error().to_string();
    daemons_[h] = std::make_unique<Child>(std::move(child).value());
    for (int i = 0; i < 400 && !std::filesystem::exists(ready); ++i) std::this_thread::sleep_for(25ms);
    ASSERT_TRUE(std::filesystem::exists(ready)) << "cohortd in host " << h << " did not start";
  }
};

}  // namespace cohort::testbed
