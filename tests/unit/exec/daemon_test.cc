// cohortd in-process on loopback, driven through the client library: the
// request checks that need a captured or crafted request (replay, expiry),
// authorisation by identity kind and mapping, the per-account task limit,
// and shutdown ending the tasks.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <csignal>
#include <fstream>

#include "cohort/exec/cgroup.h"
#include "cohort/exec/client.h"
#include "cohort/exec/daemon.h"
#include "daemon_fixture.h"

namespace cohort::exec::testing {
namespace {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

struct Outcome {
  std::string out;
  std::optional<TaskExit> exit;
  std::optional<Failure> failure;
  std::optional<TaskStarted> started;
};

class DaemonTest : public LoopbackDaemonTest {
 protected:
  void SetUp() override {
    LoopbackDaemonTest::SetUp();
    issue(false, ca_, "stranger");
    config_ = daemon_config();
  }

  void start_daemon() {
    auto daemon = Daemon::create(*loop_, config_);
    ASSERT_TRUE(daemon) << daemon.error().to_string();
    daemon_ = std::move(*daemon);
  }

  tls::ContextPtr client_tls(const std::string& kind, const std::string& name) {
    return LoopbackDaemonTest::client_tls(ca_, kind, name);
  }

  // Shuts the daemon down (bounded); says whether it finished.
  bool shut_down() {
    bool down = false;
    daemon_->shutdown([&] { down = true; });
    return spin_until([&] { return down; });
  }

  // A task that outlives its connection; its pid.
  pid_t start_detached_sleeper() {
    ExecRequest sleeper = request({"sleep", "30"});
    sleeper.detach = true;
    Outcome o = exec(sleeper);
    EXPECT_TRUE(o.started);
    return o.started ? static_cast<pid_t>(o.started->pid) : -1;
  }

  ExecRequest request(std::vector<std::string> argv) {
    ExecRequest r;
    r.nonce = random_nonce();
    r.expires_unix_ms = expiry_from_now(30'000);
    r.argv = std::move(argv);
    r.expand_env = true;
    return r;
  }

  // Runs one session to its end (bounded).
  Outcome exec(const ExecRequest& req, const std::string& kind = "users", std::string name = {},
               const std::string& input = {}) {
    auto tls = client_tls(kind, name.empty() ? me_ : name);
    Outcome outcome;
    bool done = false;
    ExecSession::Callbacks callbacks;
    callbacks.on_started = [&](const TaskStarted& s) {
      outcome.started = s;
      if (req.detach) done = true;
    };
    callbacks.on_output = [&](Stream, ByteView bytes) {
      outcome.out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    };
    callbacks.on_exit = [&](TaskExit e) { outcome.exit = e, done = true; };
    callbacks.on_failure = [&](Failure f) { outcome.failure = f, done = true; };
    auto target = resolve_target(daemon_->address().to_string(), 0);
    EXPECT_TRUE(target);
    auto session = ExecSession::start(*loop_, tls.get(), *target, req, 5s, std::move(callbacks));
    EXPECT_TRUE(session);
    if (!input.empty()) (*session)->send_stdin(ByteView(reinterpret_cast<const std::uint8_t*>(input.data()), input.size()));
    (*session)->send_stdin({});
    EXPECT_TRUE(spin_until([&] { return done; })) << "the session did not end";
    return outcome;
  }

  DaemonConfig config_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(DaemonTest, RunsACommandAndReturnsItsOutputAndStatus) {
  start_daemon();
  Outcome o = exec(request({"echo", "hello;", "exit", "3"}));
  ASSERT_TRUE(o.exit) << (o.failure ? o.failure->detail : "");
  EXPECT_EQ(o.out, "hello\n");
  EXPECT_EQ(o.exit->shell_status(), 3);
}

TEST_F(DaemonTest, StdinGivenInOnePieceLargerThanAFrameArrivesWhole) {
  start_daemon();
  std::string input(kMaxChunkBytes * 2 + 12345, 'x');
  Outcome o = exec(request({"wc", "-c"}), "users", {}, input);
  ASSERT_TRUE(o.exit) << (o.failure ? o.failure->detail : "");
  EXPECT_EQ(o.out, std::to_string(input.size()) + "\n");
  EXPECT_EQ(o.exit->shell_status(), 0);
}

TEST_F(DaemonTest, AReplayedRequestIsRefusedAndRunsOnce) {
  start_daemon();
  auto marker = root_ / "runs";
  ExecRequest captured = request({"echo", "x", ">>", marker.string()});
  Outcome first = exec(captured);
  ASSERT_TRUE(first.exit);
  Outcome replay = exec(captured);
  ASSERT_TRUE(replay.failure);
  EXPECT_NE(replay.failure->detail.find("request replayed"), std::string::npos) << replay.failure->detail;
  std::ifstream in(marker);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "x\n");
}

TEST_F(DaemonTest, AnExpiredRequestIsRefused) {
  start_daemon();
  ExecRequest stale = request({"true"});
  stale.expires_unix_ms = expiry_from_now(0) - 1000;
  Outcome o = exec(stale);
  ASSERT_TRUE(o.failure);
  EXPECT_NE(o.failure->detail.find("expired"), std::string::npos) << o.failure->detail;
}

TEST_F(DaemonTest, AnUnmappedIdentityAndAHostCertificateAreNotAuthorised) {
  start_daemon();
  Outcome stranger = exec(request({"true"}), "users", "stranger");
  ASSERT_TRUE(stranger.failure);
  EXPECT_EQ(stranger.failure->kind, FailureKind::not_authorised);
  EXPECT_NE(stranger.failure->detail.find("not mapped"), std::string::npos) << stranger.failure->detail;
  Outcome host = exec(request({"true"}), "hosts", "localhost");
  ASSERT_TRUE(host.failure);
  EXPECT_EQ(host.failure->kind, FailureKind::not_authorised);
}

TEST_F(DaemonTest, ThePerAccountTaskLimitHolds) {
  config_.tasks_per_user = 1;
  start_daemon();
  ASSERT_GT(start_detached_sleeper(), 0);
  Outcome second = exec(request({"true"}));
  ASSERT_TRUE(second.failure);
  EXPECT_NE(second.failure->detail.find("limit reached"), std::string::npos) << second.failure->detail;
  EXPECT_TRUE(shut_down());
  EXPECT_EQ(daemon_->running_tasks(), 0u);
}

TEST_F(DaemonTest, ShutdownEndsRunningTasks) {
  start_daemon();
  pid_t pid = start_detached_sleeper();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(daemon_->running_tasks(), 1u);
  EXPECT_TRUE(shut_down());
  EXPECT_NE(kill(pid, 0), 0) << "task " << pid << " outlived the daemon's shutdown";
}

TEST_F(DaemonTest, TheMemoryLimitEndsATaskThatExceedsIt) {
  if (!TaskCgroups::discover()) GTEST_SKIP() << "this host offers no writable memory cgroup";
  config_.memory_max_bytes = 64u << 20;
  start_daemon();
  Outcome small = exec(request({"dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1", "status=none"}));
  ASSERT_TRUE(small.exit);
  EXPECT_EQ(small.exit->shell_status(), 0);
  Outcome big = exec(request({"dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1", "status=none"}));
  ASSERT_TRUE(big.exit);
  EXPECT_EQ(big.exit->signal, SIGKILL) << "status " << big.exit->shell_status();
}

TEST_F(DaemonTest, ATtyTaskRunsOnAPseudoTerminalOfTheRequestedSize) {
  start_daemon();
  ExecRequest tty = request({"stty size; test -t 0 && test -t 1 && echo on-a-tty"});
  tty.tty = true;
  tty.rows = 33;
  tty.cols = 101;
  Outcome o = exec(tty);
  ASSERT_TRUE(o.exit) << (o.failure ? o.failure->detail : "");
  EXPECT_EQ(o.exit->shell_status(), 0);
  EXPECT_EQ(o.out, "33 101\r\non-a-tty\r\n");  // the terminal turns \n into \r\n
}

TEST_F(DaemonTest, WatchersHearEveryStateChangeOfTheirTasks) {
  start_daemon();
  auto tls = client_tls("users", me_);
  std::vector<TaskInfo> seen;
  bool listed = false;
  ControlSession::Callbacks callbacks;
  callbacks.on_task = [&](const TaskInfo& info) { seen.push_back(info); };
  callbacks.on_end_of_list = [&] { listed = true; };
  callbacks.on_done = [] {};
  callbacks.on_failure = [](Failure f) { ADD_FAILURE() << f.detail; };
  ControlRequest watch{random_nonce(), expiry_from_now(30'000), ControlOp::watch, 0, 0};
  auto target = resolve_target(daemon_->address().to_string(), 0);
  ASSERT_TRUE(target);
  auto session = ControlSession::start(*loop_, tls.get(), *target, watch, 5s, std::move(callbacks));
  ASSERT_TRUE(session);
  ASSERT_TRUE(spin_until([&] { return listed; }));
  Outcome o = exec(request({"exit", "6"}));
  ASSERT_TRUE(o.exit);
  spin_until([&] { return seen.size() >= 2; });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].state, TaskState::running);
  EXPECT_EQ(seen[1].state, TaskState::ended);
  EXPECT_EQ(seen[1].exit.code, 6);
  EXPECT_EQ(seen[1].task_id, seen[0].task_id);
}

TEST_F(DaemonTest, ShutdownWithDetachLeavesTasksRunning) {
  config_.on_shutdown = ShutdownPolicy::detach_tasks;
  start_daemon();
  pid_t pid = start_detached_sleeper();
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(shut_down());
  daemon_.reset();
  EXPECT_EQ(kill(pid, 0), 0) << "the detached task did not survive the daemon";
  kill(-pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace
}  // namespace cohort::exec::testing
