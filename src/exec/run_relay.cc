#include "run_relay.h"

#include <chrono>

#include "admission.h"

namespace cohort::exec {

// A local rank's task output, wrapped as that rank's events.
class RunRelay::RankSink final : public TaskSink {
 public:
  RankSink(RunRelay& relay, std::uint32_t rank) : relay_(relay), rank_(rank) {}
  bool send(const ExecMessage& message) override {
    RankEvent event{rank_, {}};
    if (const auto* chunk = std::get_if<StreamChunk>(&message)) {
      event.event = *chunk;
    } else if (const auto* exit = std::get_if<TaskExit>(&message)) {
      event.event = *exit;
    } else {
      return true;  // a task sends nothing else
    }
    return relay_.try_send_up(event);
  }
  void set_reading(bool reading) override { relay_.block_input(this, !reading); }

 private:
  RunRelay& relay_;
  std::uint32_t rank_;
};

RunRelay::RunRelay(DaemonContext& context, TlsFramedStream& up, const RunRequest& request, Runner runner)
    : context_(context), up_(up), request_(request), runner_(std::move(runner)) {
  RunBranches::Callbacks callbacks;
  callbacks.on_event = [this](const RankEvent&, const Buffer& frame) {
    send_up(frame);
    // A lost branch reports its ranks in a burst: check once it is over.
    std::weak_ptr<bool> alive = alive_;
    context_.loop.defer([this, alive] {
      if (!alive.expired()) finish_when_done();
    });
  };
  callbacks.on_input_writable = [this] { block_input(branches_.get(), false); };
  branches_ = std::make_unique<RunBranches>(context_.loop, context_.relay_tls, request_,
                                            std::chrono::milliseconds(request_.spec.level_timeout_ms),
                                            std::move(callbacks));
}

RunRelay::~RunRelay() {
  if (watch_) context_.tasks.unwatch(*watch_);
  for (const auto& [rank, id] : tasks_) {
    if (Task* task = context_.tasks.running(id)) task->attach(nullptr);
  }
}

void RunRelay::start() {
  watch_ = context_.tasks.watch([this](const TaskInfo& info) {
    if (info.state == TaskState::ended) task_ended(info.task_id);
  });
  branches_->start();  // the connects proceed while the local ranks spawn
  RankRange own = ranks_of_node(request_.spec, request_.head);
  for (std::uint32_t rank = own.first; rank < own.end; ++rank) start_rank(rank);
  started_ = true;
  finish_when_done();
}

void RunRelay::start_rank(std::uint32_t rank) {
  auto sink = std::make_unique<RankSink>(*this, rank);
  auto started = start_task(
      context_,
      TaskOrder{request_.spec.base, runner_.account, runner_.identity, rank_env(rank), runner_.peer},
      sink.get());
  if (const auto* refusal = std::get_if<Refusal>(&started)) {
    send_up(encode(RankEvent{rank, *refusal}));
    return;
  }
  Task& task = *std::get<Task*>(started);
  tasks_[rank] = task.info().task_id;
  sinks_[rank] = std::move(sink);
  send_up(encode(RankEvent{rank, TaskStarted{task.info().task_id, task.info().pid}}));
  StdinTarget target = request_.spec.stdin_target;
  bool takes_stdin = target == StdinTarget::all || (target == StdinTarget::rank0 && rank == 0);
  if (!takes_stdin) task.on_client_message(StreamChunk{Stream::stdin_, {}});
}

std::vector<std::string> RunRelay::rank_env(std::uint32_t rank) const {
  const RunSpec& spec = request_.spec;
  std::vector<std::string> env;
  for (auto [name, value] : {std::pair{"COHORT_RANK", std::size_t{rank}},
                             {"COHORT_SIZE", spec.ranks},
                             {"COHORT_NODE_RANK", request_.head},
                             {"COHORT_LOCAL_RANK", rank - request_.head * spec.per_host},
                             {"COHORT_NODES", spec.nodes.size()}}) {
    env.push_back(std::string(name) + "=" + std::to_string(value));
  }
  env.push_back("COHORT_TARGET=" + spec.nodes[request_.head]);
  return env;
}

void RunRelay::on_input(const RankInput& input) {
  bool all = input.rank == kAllRanks;
  if (all) {
    for (const auto& [rank, id] : tasks_) to_local(rank, input.input);
  } else if (tasks_.contains(input.rank)) {
    to_local(input.rank, input.input);
    return;
  }
  if (!branches_->send_input(input)) block_input(branches_.get(), true);
}

void RunRelay::to_local(std::uint32_t rank, const RankCommand& input) {
  Task* task = context_.tasks.running(tasks_.at(rank));
  if (task == nullptr) return;
  task->on_client_message(std::visit([](const auto& command) { return ExecMessage{command}; }, input));
}

bool RunRelay::try_send_up(const RankEvent& event) {
  if (gone_) return true;
  return held_.empty() && up_.send(encode(event)).ok();
}

void RunRelay::send_up(const Buffer& frame) {
  if (gone_) return;
  if (held_.empty() && up_.send(frame).ok()) return;
  held_.push_back(frame);
  branches_->set_reading(false);
}

void RunRelay::up_writable() {
  while (!held_.empty() && up_.send(held_.front()).ok()) held_.pop_front();
  if (!held_.empty()) return;
  branches_->set_reading(true);
  std::vector<std::uint64_t> ids;
  for (const auto& [rank, id] : tasks_) ids.push_back(id);
  for (std::uint64_t id : ids) {
    if (Task* task = context_.tasks.running(id)) task->client_writable();
  }
  finish_when_done();
}

void RunRelay::up_gone() {
  if (gone_) return;
  gone_ = true;
  held_.clear();
  std::vector<std::uint64_t> ids;
  for (const auto& [rank, id] : tasks_) ids.push_back(id);
  for (std::uint64_t id : ids) {
    if (Task* task = context_.tasks.running(id)) task->client_gone();
  }
  branches_->close();
}

void RunRelay::block_input(const void* who, bool blocked) {
  if (blocked) {
    input_blockers_.insert(who);
  } else {
    input_blockers_.erase(who);
  }
  if (!gone_) up_.set_reading(input_blockers_.empty());
}

void RunRelay::task_ended(std::uint64_t task_id) {
  for (auto it = tasks_.begin(); it != tasks_.end(); ++it) {
    if (it->second != task_id) continue;
    tasks_.erase(it);
    finish_when_done();
    return;
  }
}

// Every rank of this node and of its branches has ended and every frame is
// out: close the connection up, as a single exec closes after its exit.
void RunRelay::finish_when_done() {
  if (started_ && !gone_ && tasks_.empty() && held_.empty() && branches_->done()) up_.finish();
}

}  // namespace cohort::exec
