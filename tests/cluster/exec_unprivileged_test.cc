// cohortd started by an ordinary user: it runs tasks for that account only
// and refuses identities mapped to any other, root included.
#include <gtest/gtest.h>

#include <pwd.h>

#include "exec_cluster_fixture.h"

namespace cohort::testbed {
namespace {

class UnprivilegedDaemon : public ExecCluster {
 protected:
  // A copy of host 1's keys that the account can read, and a daemon on port 7002 as that account.
  std::string start_as_account() {
    auto keys_dir = dir_ / "unprivileged";
    std::filesystem::create_directories(keys_dir);
    for (const char* name : {"ca.pem", "crl.pem"}) std::filesystem::copy_file(dir_ / "ca" / name, keys_dir / name);
    std::filesystem::copy_file(dir_ / "ca/hosts/h1.pem", keys_dir / "h1.pem");
    std::filesystem::copy_file(dir_ / "ca/hosts/h1.key", keys_dir / "h1.key");
    // The build tree may sit where the account cannot reach (e.g. under /root).
    std::filesystem::copy_file(COHORTD_BIN, keys_dir / "cohortd");
    std::ofstream(keys_dir / "accounts") << "root root\n" << account_ << " " << account_ << "\n";
    std::string address = bed_->address(1) + ":7002";
    std::ofstream(keys_dir / "cohortd.toml")
        << "cluster = \"lab\"\nlisten = \"" << address << "\"\n[tls]\nca = \"" << (keys_dir / "ca.pem").string()
        << "\"\ncert = \"" << (keys_dir / "h1.pem").string() << "\"\nkey = \"" << (keys_dir / "h1.key").string()
        << "\"\ncrl = \"" << (keys_dir / "crl.pem").string() << "\"\n[accounts]\nmap = \""
        << (keys_dir / "accounts").string() << "\"\n";
    run_ok({"chown", "-R", account_, keys_dir.string()});
    std::string ready = (keys_dir / "ready").string();
    auto child = bed_->spawn(1, {"runuser", "-u", account_, "--", (keys_dir / "cohortd").string(), "-c",
                                 (keys_dir / "cohortd.toml").string(), "--address-file", ready});
    EXPECT_TRUE(child) << child.error().to_string();
    if (child) daemons_[100] = std::make_unique<Child>(std::move(child).value());
    for (int i = 0; i < 400 && !std::filesystem::exists(ready); ++i) std::this_thread::sleep_for(25ms);
    EXPECT_TRUE(std::filesystem::exists(ready)) << "cohortd as " << account_ << " did not start";
    return address;
  }
};

TEST_F(UnprivilegedDaemon, RunsOnlyForItsOwnAccount) {
  std::string address = start_as_account();
  auto own = cohort({"exec", address, "id -un"}, account_);
  EXPECT_EQ(own.exit_code, 0) << own.err;
  EXPECT_EQ(own.out, account_ + "\n");
  auto root = cohort({"exec", address, "touch " + (dir_ / "root-ran").string()}, "root");
  EXPECT_EQ(root.exit_code, 255);
  EXPECT_NE(root.err.find("can run tasks only as '" + account_ + "'"), std::string::npos) << root.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "root-ran"));
}

}  // namespace
}  // namespace cohort::testbed
