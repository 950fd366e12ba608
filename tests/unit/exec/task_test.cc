// A task of cohortd on its own, with a sink standing in for the client's
// connection: output the task wrote before it exited reaches a client that
// was backed up for longer than the post-exit drain, and a background child
// that keeps stdout open does not keep the exit status from the client.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <optional>
#include <string>

#include "cohort/core/event_loop.h"
#include "cohort/exec/accounts.h"
#include "cohort/exec/spawn.h"
#include "task.h"

namespace cohort::exec {
namespace {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

// Refuses every frame until opened, as a connection whose buffer is full.
class HeldSink final : public TaskSink {
 public:
  bool send(const ExecMessage& message) override {
    if (held) return false;
    if (const auto* chunk = std::get_if<StreamChunk>(&message); chunk && chunk->stream == Stream::stdout_) {
      out.append(chunk->bytes.begin(), chunk->bytes.end());
    }
    if (const auto* status = std::get_if<TaskExit>(&message)) exit = *status;
    return true;
  }
  void set_reading(bool) override {}

  bool held = false;
  std::string out;
  std::optional<TaskExit> exit;
};

class TaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = EventLoop::create();
    ASSERT_TRUE(made) << made.error().message();
    loop_ = std::move(*made);
  }

  // Runs `command` in sh with no stdin, its output into `sink`, until it is
  // reported ended or `limit` passes.
  void run(const std::string& command, HeldSink& sink, Duration limit) {
    auto account = current_account();
    ASSERT_TRUE(account) << account.error().message();
    ExecRequest request;
    request.argv = {"/bin/sh", "-c", command};
    auto spawned = spawn_task(SpawnSpec{request, *account, false, {}, {}});
    ASSERT_TRUE(spawned) << spawned.error().message();
    pid_ = spawned->pid;
    TaskInfo info;
    info.pid = static_cast<std::uint32_t>(spawned->pid);
    task_ = std::make_unique<Task>(*loop_, info, std::move(*spawned), request, 1000, [this](Task&) {
      ended_ = true;
      loop_->stop();
    });
    task_->attach(&sink);
    ASSERT_TRUE(task_->start().ok());
    task_->on_client_message(StreamChunk{Stream::stdin_, {}});
    ASSERT_TRUE(loop_->run_for(limit).ok());
  }

  void TearDown() override {
    if (pid_ > 0) kill(-pid_, SIGKILL);  // a background child the test left running
    task_.reset();
  }

  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<Task> task_;
  pid_t pid_ = -1;
  bool ended_ = false;
};

TEST_F(TaskTest, OutputHeldBackByASlowClientPastTheDrainTimeIsNotCut) {
  HeldSink sink;
  sink.held = true;
  loop_->add_timer(4s, [&] {
    sink.held = false;
    task_->client_writable();
  });
  run("seq 1 10000", sink, 20s);  // ~49 KB: fits the pipe, so the task exits while held
  std::string expected;
  for (int i = 1; i <= 10000; ++i) expected += std::to_string(i) + "\n";
  EXPECT_TRUE(ended_);
  EXPECT_EQ(sink.out.size(), expected.size());
  EXPECT_TRUE(sink.out == expected) << "stdout differs";
  ASSERT_TRUE(sink.exit.has_value());
  EXPECT_EQ(sink.exit->code, 0);
}

TEST_F(TaskTest, ABackgroundChildHoldingStdoutDoesNotHoldBackTheExit) {
  HeldSink sink;
  run("sleep 30 & echo done", sink, 20s);  // ended_ only if the held stdout was cut
  EXPECT_TRUE(ended_);
  EXPECT_EQ(sink.out, "done\n");
  EXPECT_TRUE(sink.exit.has_value());
}

}  // namespace
}  // namespace cohort::exec
