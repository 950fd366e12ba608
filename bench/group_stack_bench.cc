// CPU cost of a group stack per message, with no sockets: three members wired
// together in memory, one of them casting. What a real run cannot go faster
// than, whatever the network; the whole-system comparison is bench/group/.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "cohort/group/group_machine.h"

namespace cohort::group {
namespace {

class CountingApp final : public GroupApp {
 public:
  void on_view(const View& view, Actions&) override { members = view.size(); }
  void on_deliver(const Endpoint&, const Msg&, Actions&) override { ++delivered; }
  std::size_t members = 0;
  std::uint64_t delivered = 0;
};

// Machines joined by a lossless in-memory network and one virtual clock.
class Wiring {
 public:
  Wiring(const std::string& stack, std::size_t n) {
    std::vector<Endpoint> members;
    std::vector<NodeId> seeds;
    for (NodeId i = 0; i < n; ++i) seeds.push_back(i);
    bool has_gmp = stack.find("gmp") != std::string::npos;
    if (!has_gmp) {
      for (NodeId i = 0; i < n; ++i) members.push_back(Endpoint{i, 0});
    }
    for (NodeId i = 0; i < n; ++i) {
      auto app = std::make_unique<CountingApp>();
      apps_.push_back(app.get());
      auto m = GroupMachine::create(Endpoint{i, 0}, GroupConfig{stack, members, seeds}, Rng(i + 1), std::move(app));
      if (!m) std::abort();
      machines_.push_back(std::move(m).value());
    }
    for (NodeId i = 0; i < n; ++i) {
      Actions out;
      machines_[i]->start(now_, out);
      apply(i, out);
    }
    // Let membership settle: every member in one view of n.
    for (int step = 0; step < 20000 && !settled(); ++step) advance(std::chrono::milliseconds(1));
    if (!settled()) std::abort();
  }

  void cast(Buffer payload) {
    Actions out;
    if (!machines_[0]->cast(now_, std::move(payload), out).ok()) {
      advance(std::chrono::milliseconds(1));  // window shut: let timers and acks run
      return;
    }
    apply(0, out);
    pump();
  }
  // Moves virtual time on and fires due timers (stability gossip, acks).
  void advance(Duration d) {
    now_ += d;
    while (!timers_.empty() && timers_.begin()->first.first <= now_) {
      auto [when_node, key] = *timers_.begin();
      timers_.erase(timers_.begin());
      NodeId node = when_node.second;
      armed_.erase({node, key});
      Actions out;
      machines_[node]->on_timer(now_, key, out);
      apply(node, out);
    }
    pump();
  }
  std::uint64_t delivered() const {
    std::uint64_t total = 0;
    for (auto* a : apps_) total += a->delivered;
    return total;
  }

 private:
  struct Packet {
    NodeId from, to;
    Buffer bytes;
  };
  bool settled() const {
    for (auto* a : apps_) {
      if (a->members != apps_.size()) return false;
    }
    return true;
  }
  void pump() {
    while (!queue_.empty()) {
      Packet p = std::move(queue_.front());
      queue_.pop_front();
      Actions out;
      machines_[p.to]->on_packet(now_, p.from, p.bytes, out);
      apply(p.to, out);
    }
  }
  void apply(NodeId node, Actions& out) {
    for (auto& a : out.take()) {
      if (auto* s = std::get_if<SendAction>(&a)) {
        queue_.push_back(Packet{node, s->to, std::move(s->bytes)});
      } else if (auto* t = std::get_if<SetTimerAction>(&a)) {
        cancel(node, t->key);
        auto when = std::make_pair(now_ + t->after, node);
        timers_.emplace(when, t->key);
        armed_[{node, t->key}] = when;
      } else if (auto* c = std::get_if<CancelTimerAction>(&a)) {
        cancel(node, c->key);
      }
    }
  }
  void cancel(NodeId node, TimerKey key) {
    auto it = armed_.find({node, key});
    if (it == armed_.end()) return;
    auto range = timers_.equal_range(it->second);
    for (auto t = range.first; t != range.second; ++t) {
      if (t->second == key) {
        timers_.erase(t);
        break;
      }
    }
    armed_.erase(it);
  }

  TimePoint now_{};
  std::vector<std::unique_ptr<GroupMachine>> machines_;
  std::vector<CountingApp*> apps_;
  std::deque<Packet> queue_;
  std::multimap<std::pair<TimePoint, NodeId>, TimerKey> timers_;
  std::map<std::pair<NodeId, TimerKey>, std::pair<TimePoint, NodeId>> armed_;
};

void BM_StackCast(benchmark::State& state, const char* stack) {
  Wiring wiring(stack, 3);
  Buffer payload(std::vector<std::uint8_t>(static_cast<std::size_t>(state.range(0)), 0x5a));
  std::uint64_t before = wiring.delivered();
  std::int64_t casts = 0;
  for (auto _ : state) {
    wiring.cast(payload);
    if (++casts % 64 == 0) wiring.advance(std::chrono::microseconds(200));
  }
  wiring.advance(std::chrono::seconds(1));
  auto delivered = static_cast<double>(wiring.delivered() - before);
  state.counters["casts/s"] = benchmark::Counter(static_cast<double>(casts), benchmark::Counter::kIsRate);
  state.counters["deliveries/cast"] = delivered / static_cast<double>(casts);
}

BENCHMARK_CAPTURE(BM_StackCast, mnak, "mnak")->Arg(64)->Arg(1024);
BENCHMARK_CAPTURE(BM_StackCast, total_mnak_stable, "total:stable:mnak")->Arg(64)->Arg(1024);
BENCHMARK_CAPTURE(BM_StackCast, full, "total:gmp:stable:mnak:suspect")->Arg(64)->Arg(1024);
BENCHMARK_CAPTURE(BM_StackCast, full_batch, "total:gmp:stable:mnak:suspect:batch")->Arg(64)->Arg(1024);

}  // namespace
}  // namespace cohort::group

BENCHMARK_MAIN();
