// cohortd and cohort exec / run / ps across namespaces (issue 4): byte-exact
// streams, exit codes and signals, timeouts against a command that ignores
// SIGTERM and a host that drops every packet, authentication and
// authorisation failures that run nothing, the account switch, no orphans
// after a client vanishes, and an SPMD run on four hosts, relayed through a
// tree of daemons, that survives the loss of a branch head.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "exec_cluster_fixture.h"

namespace cohort::testbed {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_random(const std::filesystem::path& path, std::size_t bytes) {
  std::mt19937_64 rng(42);
  std::string data(bytes, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  std::ofstream(path, std::ios::binary) << data;
}

class ExecClusterTest : public ExecCluster {
 protected:
  // Bounded: polls `cohort ps` on `h` until the task is ended.
  std::string wait_ended(int h, const std::string& needle) {
    std::string last;
    for (int i = 0; i < 100; ++i) {
      last = cohort({"ps", host(h)}).out;
      std::istringstream lines(last);
      for (std::string line; std::getline(lines, line);) {
        if (line.find(needle) != std::string::npos && line.find(" ended ") != std::string::npos) return line;
      }
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "no ended task matching '" << needle << "' on host " << h << ":\n" << last;
    return {};
  }
};

TEST_F(ExecClusterTest, StdinStdoutStderrAreByteExactForLargeBinaryStreams) {
  auto in = dir_ / "in.bin";
  write_random(in, 24u << 20);
  auto out = dir_ / "out.bin";
  auto err = dir_ / "err.bin";
  auto result = shell(command_line({"exec", host(1), "--", "tee /dev/stderr"}) + " < " + in.string() + " > " +
                      out.string() + " 2> " + err.string());
  ASSERT_TRUE(result.success()) << result.describe() << " " << read_file(err).substr(0, 300);
  std::string sent = read_file(in);
  std::string got_out = read_file(out), got_err = read_file(err);
  EXPECT_TRUE(got_out == sent) << "stdout differs from stdin: " << got_out.size() << " of " << sent.size() << " bytes";
  EXPECT_TRUE(got_err == sent) << "stderr differs from stdin: " << got_err.size() << " of " << sent.size() << " bytes";
}

TEST_F(ExecClusterTest, ExitCodesAndSignalsComeBack) {
  EXPECT_EQ(cohort({"exec", host(2), "exit 7"}).exit_code, 7);
  EXPECT_EQ(cohort({"exec", host(2), "kill -TERM $$"}).exit_code, 128 + SIGTERM);
  auto env = cohort({"exec", "-e", "GREETING=hi", host(2), "echo $GREETING from $COHORT_HOST in $(pwd)"});
  EXPECT_EQ(env.exit_code, 0) << env.err;
  EXPECT_NE(env.out.find("hi from"), std::string::npos) << env.out;
  auto exact = cohort({"exec", "--exact", "-C", "/tmp", host(2), "--", "printf", "[%s]", "$HOME", "a b"});
  EXPECT_EQ(exact.out, "[$HOME][a b]") << exact.err;
}

TEST_F(ExecClusterTest, SigintIsForwardedToTheRemoteCommand) {
  auto client = bed_->spawn(0, {"sh", "-c",
                                command_line({"exec", host(3), "trap 'echo got INT; exit 5' INT; echo ready; "
                                                               "sleep 30 & wait"}) +
                                    " > " + (dir_ / "int.out").string()});
  ASSERT_TRUE(client);
  for (int i = 0; i < 200 && read_file(dir_ / "int.out").find("ready") == std::string::npos; ++i) {
    std::this_thread::sleep_for(25ms);
  }
  ASSERT_NE(read_file(dir_ / "int.out").find("ready"), std::string::npos);
  // The client is the shell's child; signal the whole group as a terminal would.
  ASSERT_TRUE(client->kill(SIGINT));
  auto done = client->wait(20s);
  ASSERT_TRUE(done);
  EXPECT_NE(read_file(dir_ / "int.out").find("got INT"), std::string::npos) << read_file(dir_ / "int.out");
}

TEST_F(ExecClusterTest, TimeoutEndsACommandThatIgnoresSigterm) {
  auto result = cohort({"exec", "--timeout", "1", "--kill-after", "1", host(1), "trap '' TERM; sleep 60"});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  std::string line = wait_ended(1, "trap '' TERM");
  EXPECT_NE(line.find("signal 9"), std::string::npos) << line;
}

TEST_F(ExecClusterTest, TimeoutsFireWhenTheHostDropsEveryPacket) {
  {
    Status s = bed_->set_loss(4, 100);
    ASSERT_TRUE(s) << s.error().to_string();
  }
  auto unreachable = cohort({"exec", "--connect-timeout", "1", host(4), "true"});
  EXPECT_EQ(unreachable.exit_code, 255);
  EXPECT_NE(unreachable.err.find("unreachable"), std::string::npos) << unreachable.err;
  {
    Status s = bed_->set_loss(4, 0);
    ASSERT_TRUE(s) << s.error().to_string();
  }

  // Started, then the host goes silent: the client gives up, the daemon ends the task itself.
  auto client = bed_->spawn(0, {"sh", "-c",
                                command_line({"exec", "--timeout", "2", "--kill-after", "1", host(4),
                                              "echo started; sleep 60"}) +
                                    " > " + (dir_ / "drop.out").string()});
  ASSERT_TRUE(client);
  for (int i = 0; i < 200 && read_file(dir_ / "drop.out").find("started") == std::string::npos; ++i) {
    std::this_thread::sleep_for(25ms);
  }
  {
    Status s = bed_->set_loss(4, 100);
    ASSERT_TRUE(s) << s.error().to_string();
  }
  auto done = client->wait(30s);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->exit_code, 124) << done->describe() << " " << done->err;
  {
    Status s = bed_->set_loss(4, 0);
    ASSERT_TRUE(s) << s.error().to_string();
  }
  std::string line = wait_ended(4, "echo started; sleep 60");
  EXPECT_NE(line.find("signal"), std::string::npos) << line;
}

TEST_F(ExecClusterTest, AuthenticationAndAuthorisationFailuresRunNothingAndSayWhy) {
  struct Case {
    std::string user, ca_dir, reason;
  };
  std::vector<Case> cases = {{"root", (dir_ / "other-ca").string(), "authentication refused"},
                             {"old", "", "authentication refused"},
                             {"eve", "", "authentication refused"},
                             {"mallory", "", "not authorised"}};
  for (const Case& c : cases) {
    auto marker = dir_ / ("ran-" + c.user + (c.ca_dir.empty() ? "" : "-other"));
    auto result = shell(command_line({"exec", host(1), "touch " + marker.string()}, c.user, c.ca_dir));
    EXPECT_EQ(result.exit_code, 255) << c.user;
    EXPECT_NE(result.err.find(c.reason), std::string::npos) << c.user << ": " << result.err;
    EXPECT_FALSE(std::filesystem::exists(marker)) << c.user << " ran a command";
  }
}

TEST_F(ExecClusterTest, TasksRunAsTheMappedAccountWithItsGroups) {
  auto id = cohort({"exec", host(2), "id -u; id -G"}, account_);
  ASSERT_EQ(id.exit_code, 0) << id.err;
  auto local = run_checked({"sh", "-c", "id -u " + account_ + "; id -G " + account_});
  ASSERT_TRUE(local && local->success());
  EXPECT_EQ(id.out, local->out);
  EXPECT_EQ(id.out.find("0\n"), std::string::npos) << "still root: " << id.out;
}

TEST_F(ExecClusterTest, AVanishedClientLeavesNoTaskBehind) {
  auto client = bed_->spawn(0, {"sh", "-c", "exec env " + command_line({"exec", host(3), "sleep 120"})});
  ASSERT_TRUE(client);
  bool started = false;
  for (int i = 0; i < 100 && !started; ++i) {
    started = cohort({"ps", host(3)}).out.find("sleep 120") != std::string::npos;
    if (!started) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(started);
  ASSERT_TRUE(client->kill(SIGKILL));
  std::string line = wait_ended(3, "sleep 120");
  EXPECT_NE(line.find("signal"), std::string::npos) << line;
}

TEST_F(ExecClusterTest, RunStartsRanksOnFourHostsWithRankVariables) {
  std::string hosts = host(1) + "," + host(2) + "," + host(3) + "," + host(4);
  auto run = cohort({"run", "--hosts", hosts, "--per-host", "2", "--",
                     "echo rank=$COHORT_RANK size=$COHORT_SIZE node=$COHORT_NODE_RANK"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::set<std::string> lines;
  std::istringstream out(run.out);
  for (std::string line; std::getline(out, line);) lines.insert(line);
  for (int r = 0; r < 8; ++r) {
    std::string expected = std::to_string(r) + ": rank=" + std::to_string(r) + " size=8 node=" + std::to_string(r / 2);
    EXPECT_EQ(lines.count(expected), 1u) << expected << " missing in\n" << run.out;
  }
  auto folded = cohort({"run", "--fold", "--hosts", hosts, "--", "echo same"});
  EXPECT_NE(folded.out.find("ranks 0-3 (4)"), std::string::npos) << folded.out;
  auto failing = cohort({"run", "--hosts", hosts, "--", "exit $COHORT_RANK"});
  EXPECT_EQ(failing.exit_code, 3);
  EXPECT_NE(failing.err.find("rank 3 exited 3"), std::string::npos) << failing.err;
}

TEST_F(ExecClusterTest, RunRelaysThroughATreeOfDaemons) {
  std::string hosts = host(1) + "," + host(2) + "," + host(3) + "," + host(4);
  // Width 2 over four hosts: the client reaches hosts 1 and 3, which relay to 2 and 4.
  auto run = cohort({"run", "--width", "2", "--hosts", hosts, "--per-host", "2", "--",
                     "echo rank=$COHORT_RANK node=$COHORT_NODE_RANK local=$COHORT_LOCAL_RANK on $COHORT_HOST"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (int r = 0; r < 8; ++r) {
    std::string expected = std::to_string(r) + ": rank=" + std::to_string(r) + " node=" + std::to_string(r / 2) +
                           " local=" + std::to_string(r % 2) + " on ";
    EXPECT_NE(run.out.find(expected), std::string::npos) << expected << " missing in\n" << run.out;
  }
  auto chain = shell("echo through the chain | " +
                     command_line({"run", "--width", "1", "--stdin", "all", "--hosts", hosts, "--", "cat"}));
  ASSERT_EQ(chain.exit_code, 0) << chain.err;
  for (int r = 0; r < 4; ++r) {
    EXPECT_NE(chain.out.find(std::to_string(r) + ": through the chain"), std::string::npos) << chain.out;
  }
}

TEST_F(ExecClusterTest, ALostBranchHeadFailsItsRanksAndTheRunStillEnds) {
  std::string hosts = host(1) + "," + host(2) + "," + host(3) + "," + host(4);
  auto out = dir_ / "tree.out";
  auto err = dir_ / "tree.err";
  auto client = bed_->spawn(0, {"sh", "-c",
                                command_line({"run", "--width", "2", "--hosts", hosts, "--",
                                              "echo started; sleep 8; echo done"}) +
                                    " > " + out.string() + " 2> " + err.string()});
  ASSERT_TRUE(client);
  auto started = [&] {
    std::string text = read_file(out);
    return std::count(text.begin(), text.end(), '\n') >= 4;
  };
  for (int i = 0; i < 400 && !started(); ++i) std::this_thread::sleep_for(25ms);
  ASSERT_TRUE(started()) << read_file(out) << read_file(err);
  // Host 1 heads the branch of hosts 1 and 2.
  ASSERT_TRUE(daemons_[1]->kill(SIGKILL));
  auto done = client->wait(60s);
  ASSERT_TRUE(done);
  std::string text = read_file(out), problems = read_file(err);
  EXPECT_EQ(done->exit_code, 255) << problems;
  EXPECT_NE(problems.find("rank 0: connection lost"), std::string::npos) << problems;
  EXPECT_NE(problems.find("rank 1: connection lost: relay via " + host(1)), std::string::npos) << problems;
  for (int r : {2, 3}) EXPECT_NE(text.find(std::to_string(r) + ": done"), std::string::npos) << text;
  // Host 2's daemon lost its parent and ended the rank it ran: no orphan.
  std::string line = wait_ended(2, "sleep 8");
  EXPECT_NE(line.find("signal"), std::string::npos) << line;
}

}  // namespace
}  // namespace cohort::testbed
