// cohort cast across namespaces (issue 5): one sender (host 0) and four
// receivers (hosts 1-4, each a cohortd starting `cohort cast-receive`), by IP
// multicast on the testbed's bridge, with nftables loss on the receivers at
// 0%, 5% and 20%. A tree with the edge sizes (0 bytes, 1 byte, exactly K
// packets, a 1 GiB sparse and a 64 MiB random file) arrives with the right
// SHA-256 on every receiver and in the report; a receiver SIGKILLed
// mid-transfer fails alone and a second cast resumes it from its part files,
// as does one that hangs (dropped after --straggler-budget);
// --encrypt and --unicast casts arrive too, and a 1 GiB random file at 5%
// loss. The hosts share this machine's file system, so each receives into
// its own directory (--dest .../{host}).
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "cohort/filecast/session.h"
#include "exec_cluster_fixture.h"

namespace cohort::testbed {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kBlock = 1360;  // the default block size
// The default K for this tree: its 1 GiB sparse file makes it a large cast.
constexpr std::size_t kGroup = filecast::kLargeCastK;
// ASan makes the debug build's per-packet work several times slower: the random
// file keeps a cast at 20% loss within the test's budget (see docs/filecast.md).
constexpr std::size_t kRandomBytes = 64u << 20;
constexpr std::size_t kSparseBytes = 1u << 30;  // zero groups are not sent: costs the hashing only
constexpr const char* kRate = "400M";

void write_random(const fs::path& path, std::size_t bytes, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string data(bytes, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  std::ofstream(path, std::ios::binary) << data;
}

void write_sparse(const fs::path& path, std::size_t bytes) {
  { std::ofstream(path, std::ios::binary) << "start"; }
  fs::resize_file(path, bytes);
  std::fstream middle(path, std::ios::binary | std::ios::in | std::ios::out);
  middle.seekp(static_cast<std::streamoff>(bytes / 2));
  middle << "middle";
}

class FilecastClusterTest : public ExecCluster {
 protected:
  void SetUp() override {
    ExecCluster::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    fs::create_directories(tree() / "sub");
    std::ofstream(tree() / "empty").flush();
    std::ofstream(tree() / "one") << "x";
    write_random(tree() / "exact", kBlock * kGroup, 1);
    write_random(tree() / "sub" / "random", kRandomBytes, 2);
    write_sparse(tree() / "sub" / "sparse", kSparseBytes);
  }

  fs::path tree() const { return dir_ / "src" / "tree"; }
  fs::path dest(int h) const { return dir_ / ("dest-" + host(h)); }

  std::vector<std::string> cast_args(const std::vector<int>& hosts, const std::vector<std::string>& extra,
                                     const std::string& rate = kRate) const {
    std::string to;
    for (int h : hosts) to += (to.empty() ? "" : ",") + host(h);
    std::vector<std::string> args{"cast", tree().string(), "--to", to, "--dest", (dir_ / "dest-{host}").string(),
                                  "--remote-cohort", COHORT_BIN, "--json", "--rate", rate};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Runs a cast to `hosts`; returns its exit status and JSON report.
  std::pair<int, json> cast(const std::vector<int>& hosts, const std::vector<std::string>& extra = {}) {
    auto result = cohort(cast_args(hosts, extra), "root", std::chrono::seconds(280));
    EXPECT_FALSE(result.timed_out) << result.err;
    json report = json::parse(result.out, nullptr, false);
    EXPECT_TRUE(report.is_object()) << "no JSON report: " << result.out << "\n" << result.err;
    if (report.is_object()) std::cout << "cast report: " << summary(report) << std::endl;
    return {result.exit_code, report};
  }

  // Seconds and repair per receiver, for the log (never asserted on).
  static std::string summary(const json& report) {
    std::string out = "sender " + report["sender"].dump();
    for (const json& r : report.value("receivers", json::array())) {
      out += "; " + r.value("host", "") + " " + r.value("status", "") + " " + std::to_string(r.value("seconds", 0.0)) +
             " s, repair " + std::to_string(r.value("repair_used", 0)) + ", requests " +
             std::to_string(r.value("requests", 0));
    }
    return out;
  }

  static std::string sha256_of(const fs::path& path) {
    auto out = run_checked({"sha256sum", path.string()}, std::chrono::seconds(60));
    EXPECT_TRUE(out) << out.error().to_string();
    return out ? out->out.substr(0, 64) : "";
  }

  // Every file of the tree on host h, byte for byte (by SHA-256), and what
  // the report says the receiver verified.
  void expect_copy(int h, const json& receiver) {
    EXPECT_EQ(receiver.value("status", ""), "verified") << receiver.dump();
    std::map<std::string, std::string> reported;
    for (const json& f : receiver.value("files", json::array())) reported[f.value("path", "")] = f.value("sha256", "");
    for (const char* name : {"empty", "one", "exact", "sub/random", "sub/sparse"}) {
      std::string want = sha256_of(tree() / name);
      EXPECT_EQ(sha256_of(dest(h) / "tree" / name), want) << "host " << h << ": " << name;
      EXPECT_EQ(reported["tree/" + std::string(name)], want) << "host " << h << " report: " << name;
    }
  }

  static const json& receiver_of(const json& report, const std::string& host) {
    static const json none = json::object();
    if (report.contains("receivers") && report["receivers"].is_array()) {
      for (const json& r : report["receivers"]) {
        if (r.value("host", "") == host) return r;
      }
    }
    ADD_FAILURE() << "no receiver " << host << " in " << report.dump();
    return none;
  }

  void cast_everywhere_with_loss(int percent, const std::vector<std::string>& extra = {}) {
    for (int h = 1; h < kExecHosts; ++h) ASSERT_TRUE(bed_->set_loss(h, percent));
    auto [status, report] = cast({1, 2, 3, 4}, extra);
    EXPECT_EQ(status, 0) << report.dump(2);
    EXPECT_EQ(report.value("status", ""), "complete");
    EXPECT_EQ(report["sender"].value("group_size", 0u), kGroup) << "\"exact\" is no longer exactly K packets";
    for (int h = 1; h < kExecHosts; ++h) expect_copy(h, receiver_of(report, host(h)));
  }

  // The pid of the cast-receive that writes under dest(h), or -1.
  pid_t receiver_pid(int h) const {
    std::string needle = dest(h).string();
    for (const auto& entry : fs::directory_iterator("/proc")) {
      std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream in(entry.path() / "cmdline", std::ios::binary);
      std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (cmdline.find("cast-receive") != std::string::npos && cmdline.find(needle) != std::string::npos) {
        return static_cast<pid_t>(std::stoi(name));
      }
    }
    return -1;
  }

  // Host h's receiver gets `sig` mid-transfer (once it has stored half of the
  // random file: its state file records groups as they are stored). It fails
  // alone with `reason`, the others verify, nothing of it is left running
  // (cohortd ends the task of a client that left, stopped or not), no
  // unverified file gets its name, and a second cast resumes it.
  void fail_one_mid_transfer_then_resume(int h, int sig, const std::vector<std::string>& extra,
                                         const std::string& reason) {
    auto child = bed_->spawn(0, {"sh", "-c", command_line(cast_args({1, 2, 3, 4}, extra, "150M"))});
    ASSERT_TRUE(child) << child.error().to_string();
    fs::path state = dest(h) / "tree" / "sub" / ".random.cohort-state";
    // Half the random file's groups recorded, at 8 bytes a record.
    const std::uintmax_t half = kRandomBytes / (kBlock * kGroup) / 2 * 8;
    for (int i = 0; i < 1500 && !(fs::exists(state) && fs::file_size(state) > half); ++i) {
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(fs::exists(state)) << "host " << h << " never started storing the random file";
    pid_t victim = receiver_pid(h);
    ASSERT_GT(victim, 0) << "no cast-receive process for host " << h;
    ASSERT_EQ(::kill(victim, sig), 0);

    auto ended = child->wait(std::chrono::seconds(280));
    ASSERT_TRUE(ended) << ended.error().to_string();
    EXPECT_EQ(ended->exit_code, 1) << ended->out << ended->err;
    EXPECT_NE(ended->err.find("run the same command again"), std::string::npos) << ended->err;
    json report = json::parse(ended->out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << ended->out;
    const json& failed = receiver_of(report, host(h));
    EXPECT_EQ(failed.value("status", ""), "failed");
    EXPECT_NE(failed.value("reason", "").find(reason), std::string::npos) << failed.dump();
    for (int other = 1; other < kExecHosts; ++other) {
      if (other != h) expect_copy(other, receiver_of(report, host(other)));
    }
    for (int i = 0; i < 500 && receiver_pid(h) > 0; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(receiver_pid(h), -1) << "host " << h << "'s receiver outlived the cast";
    EXPECT_FALSE(fs::exists(dest(h) / "tree" / "sub" / "random")) << "an unverified file got its final name";

    auto [status, again] = cast({h});
    EXPECT_EQ(status, 0) << again.dump(2);
    const json& resumed = receiver_of(again, host(h));
    expect_copy(h, resumed);
    std::uint64_t whole = kRandomBytes + kSparseBytes + kBlock * kGroup + 1;
    EXPECT_LT(resumed.value("bytes", whole), whole) << "the second cast sent everything again: " << resumed.dump();
  }
};

TEST_F(FilecastClusterTest, TreeArrivesOnFourHostsByMulticastWithoutLoss) { cast_everywhere_with_loss(0); }

TEST_F(FilecastClusterTest, TreeArrivesOnFourHostsAtFivePercentLoss) { cast_everywhere_with_loss(5); }

TEST_F(FilecastClusterTest, TreeArrivesOnFourHostsAtTwentyPercentLoss) { cast_everywhere_with_loss(20); }

TEST_F(FilecastClusterTest, EncryptedCastArrives) { cast_everywhere_with_loss(5, {"--encrypt"}); }

TEST_F(FilecastClusterTest, UnicastCastArrivesWithoutMulticast) { cast_everywhere_with_loss(5, {"--unicast"}); }

TEST_F(FilecastClusterTest, AReceiverKilledMidTransferFailsAloneAndASecondCastResumesIt) {
  fail_one_mid_transfer_then_resume(2, SIGKILL, {}, "receiver_gone");
}

// A receiver that hangs (SIGSTOP) holds the cast only for the straggler
// budget after the others finish: it is dropped with the sender's reason.
TEST_F(FilecastClusterTest, AHungReceiverIsDroppedAfterTheBudgetAndASecondCastResumesIt) {
  fail_one_mid_transfer_then_resume(3, SIGSTOP, {"--straggler-budget", "3"}, "dropped by the sender: straggler");
}

// A 1 GiB random file at 5% loss, on its own (the tree's random
// file is smaller so that every loss rate fits the suite's time).
TEST_F(FilecastClusterTest, AGibibyteRandomFileArrivesAtFivePercentLoss) {
  fs::path big = dir_ / "src" / "big";
  fs::create_directories(big);
  auto made = run_checked({"sh", "-c", "head -c 1073741824 /dev/urandom > " + (big / "random").string()},
                          std::chrono::seconds(120));
  ASSERT_TRUE(made) << made.error().to_string();
  for (int h = 1; h < kExecHosts; ++h) ASSERT_TRUE(bed_->set_loss(h, 5));
  std::vector<std::string> args{"cast", big.string(), "--to", host(1) + "," + host(2) + "," + host(3) + "," + host(4),
                                "--dest", (dir_ / "dest-{host}").string(), "--remote-cohort", COHORT_BIN, "--json",
                                "--rate", kRate};
  auto result = cohort(args, "root", std::chrono::seconds(600));
  ASSERT_FALSE(result.timed_out) << result.err;
  json report = json::parse(result.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << result.out << "\n" << result.err;
  std::cout << "cast report: " << summary(report) << std::endl;
  EXPECT_EQ(result.exit_code, 0) << report.dump(2);
  std::string want = sha256_of(big / "random");
  for (int h = 1; h < kExecHosts; ++h) {
    const json& receiver = receiver_of(report, host(h));
    EXPECT_EQ(receiver.value("status", ""), "verified") << receiver.dump();
    EXPECT_EQ(receiver.value("bytes", 0u), std::uint64_t{1} << 30) << receiver.dump();
    EXPECT_EQ(sha256_of(dest(h) / "big" / "random"), want) << "host " << h;
  }
}

}  // namespace
}  // namespace cohort::testbed
