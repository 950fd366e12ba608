// Each testbed fault must have its effect, measured with cohort-probe, and a
// run must leave nothing behind however its owner ends. Counts are large and
// margins wide so that the assertions hold on a loaded machine; nothing here
// asserts on timing.
#include "testbed_fixture.h"

namespace cohort::testbed {
namespace {

TEST_F(TestbedTest, NamesFitAndAreUniquePerRun) {
  auto other = make_testbed(1);
  EXPECT_NE(other.name(), bed().name());
  EXPECT_LE(bed().bridge().size(), 15u);
  EXPECT_LE(names::veth(bed().name(), names::kMaxHosts).size(), 15u);
  EXPECT_EQ(names::owner_of(bed().name()), ::getpid());
  EXPECT_EQ(bed().host_count(), 3);
}

TEST_F(TestbedTest, RootNamespaceHasNoAddressOnTheRun) {
  // Nothing can be routed out of the hosts when the root side has no address.
  std::vector<std::string> root_links{bed().bridge()};
  for (int h = 0; h < bed().host_count(); ++h) root_links.push_back(names::veth(bed().name(), h));
  for (const auto& link : root_links) {
    auto out = run_checked({"ip", "-o", "addr", "show", "dev", link});
    ASSERT_TRUE(out) << out.error().to_string();
    EXPECT_EQ(out->out, "") << link;
  }
}

TEST_F(TestbedTest, BaselineEchoesComeBack) {
  auto echo = start(1, "echo", 20000);
  wait_bound(1);
  EXPECT_GE(echoes(0, 1, 1000), 980);
}

TEST_F(TestbedTest, LossDropsAShareOfPackets) {
  auto echo = start(1, "echo", 20000);
  wait_bound(1);
  ASSERT_TRUE(bed().set_loss(1, 30));
  long replies = echoes(0, 1, 2000);
  // Expect about 1400 (30% of requests dropped); binomial spread is ~20.
  EXPECT_GT(replies, 1000);
  EXPECT_LT(replies, 1750);
  ASSERT_TRUE(bed().set_loss(1, 0));
  EXPECT_GE(echoes(0, 1, 1000), 980);
}

TEST_F(TestbedTest, PartitionSeparatesSetsUntilHealed) {
  auto echo = start(1, "echo", 30000);
  wait_bound(1);
  ASSERT_TRUE(bed().partition({0}, {1, 2}));
  EXPECT_EQ(echoes(0, 1, 500, 500), 0);
  EXPECT_GE(echoes(2, 1, 500), 490);
  ASSERT_TRUE(bed().heal());
  EXPECT_GE(echoes(0, 1, 500), 490);
}

TEST_F(TestbedTest, OneWayBlockCutsOnlyOneDirection) {
  ASSERT_TRUE(bed().block_one_way(0, 1));
  auto sink1 = start(1, "sink", 4000);
  auto sink0 = start(0, "sink", 4000);
  wait_bound(1);
  wait_bound(0);
  blast(0, 1, 500);
  blast(1, 0, 500);
  EXPECT_EQ(report(sink1, "received"), 0);
  EXPECT_GE(report(sink0, "received"), 490);
}

TEST_F(TestbedTest, HubModeLetsAThirdHostOverhear) {
  auto echo = start(1, "echo", 30000);
  wait_bound(1);
  ASSERT_GE(echoes(0, 1, 50), 45);  // the bridge has learnt both MAC addresses now

  auto quiet = start(2, "sniff", 3000);
  std::this_thread::sleep_for(300ms);  // no assertion depends on this: it only avoids an idle sniffer
  EXPECT_GE(echoes(0, 1, 500), 490);
  EXPECT_LE(report(quiet, "overheard"), 25);

  ASSERT_TRUE(bed().set_hub_mode(true));
  auto hub = start(2, "sniff", 3000);
  std::this_thread::sleep_for(300ms);
  EXPECT_GE(echoes(0, 1, 500), 490);
  EXPECT_GE(report(hub, "overheard"), 400);
  ASSERT_TRUE(bed().set_hub_mode(false));
}

TEST_F(TestbedTest, KilledServerStopsAnswering) {
  auto echo = start(1, "echo", 60000);
  wait_bound(1);
  ASSERT_GE(echoes(0, 1, 200), 195);
  pid_t pid = echo.pid();
  ASSERT_TRUE(echo.kill(SIGKILL));
  auto ended = echo.wait(10s);
  ASSERT_TRUE(ended) << ended.error().to_string();
  EXPECT_EQ(ended->term_signal, SIGKILL);
  EXPECT_NE(::kill(pid, 0), 0);
  auto pids = run_checked({"ip", "netns", "pids", bed().netns(1)});
  ASSERT_TRUE(pids) << pids.error().to_string();
  EXPECT_EQ(pids->out.find(std::to_string(pid)), std::string::npos);
  EXPECT_EQ(echoes(0, 1, 200, 300), 0);
}

TEST_F(TestbedTest, RunsCommandsWithATimeoutThatFires) {
  auto out = bed().run(0, {"sleep", "30"}, 300ms);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_TRUE(out->timed_out);
  auto addr = bed().run(2, {"ip", "-4", "-o", "addr", "show", "dev", "eth0"});
  ASSERT_TRUE(addr && addr->success());
  EXPECT_NE(addr->out.find(bed().address(2)), std::string::npos);
  auto bad = bed().run(0, {"false"});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->exit_code, 1);
}

TEST(TestbedCleanup, FailingTestsLeaveNothing) {
  SKIP_UNLESS_PRIVILEGED();
  for (const char* name : {"TestbedTest.FailsOnPurpose", "TestbedTest.AbortsOnPurpose"}) {
    auto out = run_command({COHORT_ON_PURPOSE_BIN, std::string("--gtest_filter=") + name});
    ASSERT_TRUE(out) << out.error().to_string();
    EXPECT_FALSE(out->success()) << name;
    auto at = out->out.find("run ");
    ASSERT_NE(at, std::string::npos) << out->out;
    std::string run = out->out.substr(at + 4, 9);
    ASSERT_TRUE(names::is_run_name(run)) << out->out;
    EXPECT_EQ(leftovers(run), std::vector<std::string>{}) << name;
  }
}

TEST(TestbedCleanup, DestructorRemovesEverything) {
  SKIP_UNLESS_PRIVILEGED();
  std::string run;
  {
    auto bed = make_testbed(3);
    run = bed.name();
    auto sleeper = bed.spawn(1, probe({"echo", "--port", "7000", "--duration-ms", "60000"}));
    ASSERT_TRUE(sleeper);
    EXPECT_FALSE(leftovers(run).empty());
  }
  EXPECT_EQ(leftovers(run), std::vector<std::string>{});
  EXPECT_NE(::access(names::state_file(run).c_str(), F_OK), 0);
}

// Forks a child that creates a testbed with a process in it, reports the run
// name through a pipe and then waits (bounded) to be killed.
struct Holder {
  pid_t pid = -1;
  std::string run;
};

Holder start_holder() {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    auto bed = Testbed::create({2, 0});
    if (!bed) ::_exit(3);
    auto child = bed->spawn(0, probe({"echo", "--port", "7000", "--duration-ms", "60000"}));
    std::string line = bed->name() + "\n";
    if (::write(fds[1], line.data(), line.size()) < 0) ::_exit(4);
    for (int i = 0; i < 600; ++i) ::usleep(100000);
    ::_exit(5);
  }
  ::close(fds[1]);
  Holder holder{pid, {}};
  pollfd p{fds[0], POLLIN, 0};
  if (::poll(&p, 1, 30000) > 0) {
    char buf[64] = {};
    ssize_t n = ::read(fds[0], buf, sizeof buf - 1);
    if (n > 1) holder.run.assign(buf, static_cast<std::size_t>(n - 1));
  }
  ::close(fds[0]);
  return holder;
}

// Reaps `pid` within 30 s (SIGKILL if it takes longer); returns its status.
int reap(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 300; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(100ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(TestbedCleanup, SigtermedOwnerCleansUp) {
  SKIP_UNLESS_PRIVILEGED();
  Holder holder = start_holder();
  ASSERT_FALSE(holder.run.empty());
  EXPECT_FALSE(leftovers(holder.run).empty());
  ASSERT_EQ(::kill(holder.pid, SIGTERM), 0);
  int status = reap(holder.pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "status " << status;
  EXPECT_EQ(leftovers(holder.run), std::vector<std::string>{});
  EXPECT_NE(::access(names::state_file(holder.run).c_str(), F_OK), 0);
}

TEST(TestbedCleanup, StaleCleanupRemovesRunsOfKilledOwners) {
  SKIP_UNLESS_PRIVILEGED();
  Holder holder = start_holder();
  ASSERT_FALSE(holder.run.empty());
  ASSERT_EQ(::kill(holder.pid, SIGKILL), 0);
  reap(holder.pid);
  EXPECT_FALSE(leftovers(holder.run).empty());  // SIGKILL leaves no chance to clean up
  auto out = run_checked({COHORT_NETNS_BIN, "cleanup", "--stale"});
  ASSERT_TRUE(out) << out.error().to_string();
  // (A parallel test process's sweep may have removed it first: only the result counts.)
  EXPECT_EQ(leftovers(holder.run), std::vector<std::string>{});
  EXPECT_NE(::access(names::state_file(holder.run).c_str(), F_OK), 0);
}

TEST(TestbedCleanup, CliWithDestroysTheRunAfterTheCommand) {
  SKIP_UNLESS_PRIVILEGED();
  auto out = run_command({COHORT_NETNS_BIN, "with", "--hosts", "2", "--", "sh", "-c",
                          "echo $COHORT_RUN; ip netns exec $COHORT_HOST_1_NS true && exit 7"});
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(out->exit_code, 7) << out->err;
  std::string run = out->out.substr(0, out->out.find('\n'));
  ASSERT_TRUE(names::is_run_name(run)) << out->out;
  EXPECT_EQ(leftovers(run), std::vector<std::string>{});
}

}  // namespace
}  // namespace cohort::testbed
