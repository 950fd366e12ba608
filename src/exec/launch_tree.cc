#include "cohort/exec/launch_tree.h"

#include <cassert>
#include <numeric>
#include <string>

namespace cohort::exec {

namespace {

constexpr TimerKey kSendTimer = 1;
constexpr TimerKey kSpawnTimer = 2;
constexpr TimerKey kBranchTimerBase = TimerKey{1} << 32;  // + branch index

std::string counts(std::uint32_t started, std::uint32_t failed) {
  return "started=" + std::to_string(started) + " failed=" + std::to_string(failed);
}

}  // namespace

Duration branch_timeout(std::size_t subtree_size, std::size_t width, Duration level_timeout) {
  auto levels = static_cast<Duration::rep>(1 + tree_depth(subtree_size, width));
  return levels * level_timeout;
}

void BranchFanOut::begin(const Launch& launch, std::span<const std::size_t> hosts, Actions& out) {
  launch_ = launch;
  branches_ = plan_branches(hosts, launch.width);
  answered_branch_.assign(branches_.size(), false);
  for (std::size_t i = 0; i < branches_.size(); ++i) branch_of_[launch_node(branches_[i].head)] = i;
  if (!branches_.empty()) out.set_timer(kSendTimer, per_child_);
}

void BranchFanOut::send_next(Actions& out) {
  const Branch& branch = branches_[sent_];
  Launch launch = launch_;
  launch.head = static_cast<std::uint32_t>(branch.head);
  launch.subtree.assign(branch.subtree.begin(), branch.subtree.end());
  out.send(launch_node(branch.head), encode_launch_message(launch));
  Duration level = std::chrono::milliseconds(launch_.level_timeout_ms);
  out.set_timer(kBranchTimerBase + sent_, branch_timeout(branch.subtree.size(), launch_.width, level));
  if (++sent_ < branches_.size()) out.set_timer(kSendTimer, per_child_);
}

bool BranchFanOut::on_timer(TimerKey key, Actions& out) {
  if (key == kSendTimer) {
    if (sent_ < branches_.size()) send_next(out);
    return true;
  }
  if (key < kBranchTimerBase || key - kBranchTimerBase >= branches_.size()) return false;
  std::size_t branch = key - kBranchTimerBase;
  if (answered_branch_[branch]) return true;
  out.output("branch lost head=" + std::to_string(branches_[branch].head) +
             " hosts=" + std::to_string(1 + branches_[branch].subtree.size()));
  settle(branch, 0);
  return true;
}

void BranchFanOut::on_ready(NodeId from, const Ready& ready, Actions& out) {
  auto it = branch_of_.find(from);
  if (it == branch_of_.end() || ready.launch_id != launch_.launch_id) return;
  std::size_t branch = it->second;
  if (branch >= sent_ || answered_branch_[branch]) return;
  out.cancel_timer(kBranchTimerBase + branch);
  std::size_t size = 1 + branches_[branch].subtree.size();
  // Counts that do not add up are not believed: the whole branch failed.
  bool adds_up = std::size_t{ready.started} + ready.failed == size;
  settle(branch, adds_up ? ready.started : 0);
}

void BranchFanOut::settle(std::size_t branch, std::uint32_t started) {
  answered_branch_[branch] = true;
  ++answered_;
  auto size = static_cast<std::uint32_t>(1 + branches_[branch].subtree.size());
  started_ += started;
  failed_ += size - started;
}

void LaunchNode::on_packet(TimePoint, NodeId from, const Buffer& bytes, Actions& out) {
  auto message = decode_launch_message(bytes);
  if (!message.ok()) return;  // a real daemon logs it; the launch goes on
  if (const auto* launch = std::get_if<Launch>(&*message)) {
    on_launch(from, *launch, out);
  } else if (launched_) {
    fan_out_.on_ready(from, std::get<Ready>(*message), out);
  }
  reply_when_done(out);
}

void LaunchNode::on_launch(NodeId from, const Launch& launch, Actions& out) {
  // One launch per node in this model; a Launch meant for another host is misrouted.
  if (launched_ || launch.head != host()) return;
  launched_ = true;
  parent_ = from;
  launch_id_ = launch.launch_id;
  out.set_timer(kSpawnTimer, costs_.spawn);
  std::vector<std::size_t> subtree(launch.subtree.begin(), launch.subtree.end());
  fan_out_.begin(launch, subtree, out);
}

void LaunchNode::on_timer(TimePoint, TimerKey key, Actions& out) {
  if (key == kSpawnTimer) {
    task_started_ = true;
    out.output("task started host=" + std::to_string(host()));
  } else {
    fan_out_.on_timer(key, out);
  }
  reply_when_done(out);
}

void LaunchNode::reply_when_done(Actions& out) {
  if (replied_ || !task_started_ || !fan_out_.done()) return;
  replied_ = true;
  std::uint32_t started = fan_out_.started() + 1;
  out.send(parent_, encode_launch_message(Ready{launch_id_, started, fan_out_.failed()}));
  out.output("ready host=" + std::to_string(host()) + " " + counts(started, fan_out_.failed()));
}

void LaunchClient::start(TimePoint now, Actions& out) {
  assert(options_.hosts <= kMaxLaunchHosts);
  assert(options_.width >= 1 && options_.width <= kMaxLaunchWidth);
  start_time_ = now;
  auto timeout_ms = std::chrono::ceil<std::chrono::milliseconds>(options_.level_timeout).count();
  assert(timeout_ms > 0 && timeout_ms <= UINT32_MAX);
  Launch launch{.launch_id = options_.launch_id,
                .width = static_cast<std::uint32_t>(options_.width),
                .level_timeout_ms = static_cast<std::uint32_t>(timeout_ms)};
  std::vector<std::size_t> hosts(options_.hosts);
  std::iota(hosts.begin(), hosts.end(), std::size_t{0});
  fan_out_.begin(launch, hosts, out);
  finish_when_done(now, out);
}

void LaunchClient::on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) {
  auto message = decode_launch_message(bytes);
  if (!message.ok()) return;
  if (const auto* ready = std::get_if<Ready>(&*message)) fan_out_.on_ready(from, *ready, out);
  finish_when_done(now, out);
}

void LaunchClient::on_timer(TimePoint now, TimerKey key, Actions& out) {
  fan_out_.on_timer(key, out);
  finish_when_done(now, out);
}

void LaunchClient::finish_when_done(TimePoint now, Actions& out) {
  if (finished_ || !fan_out_.done()) return;
  finished_ = true;
  finish_time_ = now;
  out.output("done " + counts(fan_out_.started(), fan_out_.failed()));
}

}  // namespace cohort::exec
