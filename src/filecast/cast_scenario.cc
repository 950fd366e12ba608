#include "cohort/filecast/cast_scenario.h"

#include <algorithm>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "cohort/filecast/digest.h"
#include "cohort/sim/simulator.h"

namespace cohort::filecast {

namespace {

constexpr NodeId kSender = 0;
constexpr NodeId kVictim = 1;  // the receiver a crash scenario crashes
constexpr std::size_t kMaxReported = 10;
constexpr Duration kStep = std::chrono::milliseconds(50);
constexpr Duration kRestartDelay = std::chrono::milliseconds(50);
constexpr Duration kCrashPoll = std::chrono::milliseconds(1);
constexpr std::size_t kTamperTail = 64;  // bytes at the end of a block packet: its payload
constexpr std::size_t kHoleSpan = 64 * 1024;

class MemorySource final : public ContentSource {
 public:
  MemorySource(const Layout& layout, const std::vector<std::vector<std::uint8_t>>& files)
      : layout_(layout), files_(files) {}
  Status read_group(std::uint64_t group, std::span<std::uint8_t> out) override {
    const GroupExtent& e = layout_.group(group);
    if (out.size() != e.bytes) return Error(Errc::invalid_argument, "read_group: wrong size");
    const auto& file = files_[e.entry];
    std::copy_n(file.begin() + static_cast<std::ptrdiff_t>(e.offset), e.bytes, out.begin());
    return {};
  }

 private:
  const Layout& layout_;
  const std::vector<std::vector<std::uint8_t>>& files_;
};

// Survives its receiver's crash: a restarted receiver resumes from it.
class MemorySink final : public ContentSink {
 public:
  bool has_group(std::uint64_t group) const override { return groups_.count(group) != 0; }
  Status write_group(std::uint64_t group, std::span<const std::uint8_t> bytes) override {
    groups_[group].assign(bytes.begin(), bytes.end());
    return {};
  }
  const std::map<std::uint64_t, std::vector<std::uint8_t>>& groups() const { return groups_; }

 private:
  std::map<std::uint64_t, std::vector<std::uint8_t>> groups_;
};

// The sender with an adversary beside it: some of its data and repair
// multicasts are followed by a copy with one payload byte flipped. (Without
// a key, an attacker who rewrites headers can stall receivers; the digests
// only promise that nothing wrong is stored.)
class Tampering final : public Machine {
 public:
  Tampering(std::unique_ptr<CastSender> inner, double chance, Rng rng)
      : inner_(std::move(inner)), chance_(chance), rng_(rng) {}
  void start(TimePoint now, Actions& out) override { relay(out, [&](Actions& a) { inner_->start(now, a); }); }
  void on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) override {
    relay(out, [&](Actions& a) { inner_->on_packet(now, from, bytes, a); });
  }
  void on_timer(TimePoint now, TimerKey key, Actions& out) override {
    relay(out, [&](Actions& a) { inner_->on_timer(now, key, a); });
  }
  CastSender& sender() { return *inner_; }

 private:
  template <typename F>
  void relay(Actions& out, F&& f) {
    Actions mine;
    f(mine);
    for (Action& action : mine.take()) {
      auto* cast = std::get_if<MulticastAction>(&action);
      std::optional<MulticastAction> forged;
      if (cast != nullptr && cast->bytes.size() > kTamperTail * 2 && rng_.chance(chance_)) {
        std::vector<std::uint8_t> bytes(cast->bytes.data(), cast->bytes.data() + cast->bytes.size());
        bytes[bytes.size() - 1 - rng_.below(kTamperTail)] ^= static_cast<std::uint8_t>(1 + rng_.below(255));
        forged = MulticastAction{cast->channel, Buffer(std::move(bytes))};
      }
      replay(std::move(action), out);
      if (forged) out.multicast(forged->channel, forged->bytes);
    }
  }
  static void replay(Action action, Actions& out) {
    std::visit(
        [&](auto& a) {
          using A = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<A, SendAction>) out.send(a.to, a.bytes);
          if constexpr (std::is_same_v<A, MulticastAction>) out.multicast(a.channel, a.bytes);
          if constexpr (std::is_same_v<A, JoinChannelAction>) out.join_channel(a.channel);
          if constexpr (std::is_same_v<A, LeaveChannelAction>) out.leave_channel(a.channel);
          if constexpr (std::is_same_v<A, SetTimerAction>) out.set_timer(a.key, a.after);
          if constexpr (std::is_same_v<A, CancelTimerAction>) out.cancel_timer(a.key);
          if constexpr (std::is_same_v<A, OutputAction>) out.output(a.record);
        },
        action);
  }

  std::unique_ptr<CastSender> inner_;
  double chance_;
  Rng rng_;
};

class Scenario {
 public:
  Scenario(std::uint64_t seed, const CastScenarioOptions& options)
      : options_(options),
        sinks_(options.receivers + 1),
        sim_(seed, options.receivers + 1, [this](NodeId node, std::uint32_t, Rng rng) { return make(node, rng); }) {
    result_.seed = seed;
    sim_.keep_trace(options.keep_trace);
    make_session();
    sim_.network().set_default(link(false));
    // Bursts hit the data path; sparse feedback would see a burst last for
    // seconds under a per-packet burst model.
    if (options.burst_loss > 0) {
      for (NodeId r = 1; r <= options.receivers; ++r) sim_.network().set_link(kSender, r, link(true));
    }
  }

  CastScenarioResult run() {
    std::vector<NodeId> later;
    for (std::size_t i = 0; i < options_.late_joiners && i < options_.receivers; ++i) {
      later.push_back(static_cast<NodeId>(options_.receivers - i));
    }
    sim_.start(later);
    const TimePoint half = TimePoint{} + transfer_time() / 2;
    for (NodeId node : later) sim_.at(half, [this, node] { sim_.start_node(node); });
    if (options_.crash_restart && options_.receivers > 0) schedule_crash();
    const TimePoint limit = TimePoint{} + options_.time_limit;
    while (sim_.now() < limit && !settled()) sim_.run_until(std::min(limit, sim_.now() + kStep));
    check();
    return std::move(result_);
  }

 private:
  void make_session() {
    Rng rng = sim_.rng().fork();
    info_.session_id = rng.next();
    info_.params = SessionParams{.block_size = options_.block_size,
                                 .k = options_.k,
                                 .repair_channels = options_.repair_channels,
                                 .expected_loss = options_.expected_loss,
                                 .rate_bits_per_s = options_.rate_bits_per_s};
    for (std::size_t i = 0; i < options_.file_sizes.size(); ++i) {
      std::vector<std::uint8_t> bytes(options_.file_sizes[i]);
      for (auto& b : bytes) b = static_cast<std::uint8_t>(rng.next());
      if (options_.holes) {
        for (std::size_t at = kHoleSpan; at < bytes.size(); at += 2 * kHoleSpan) {
          std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), std::min(kHoleSpan, bytes.size() - at), 0);
        }
      }
      files_.push_back(std::move(bytes));
      info_.entries.push_back(CastEntry{.path = fmt::format("f{}", i), .size = options_.file_sizes[i]});
    }
    layout_ = std::make_unique<Layout>(Layout::create(info_.entries, info_.params).value());
    for (auto& b : info_.digest_key) b = static_cast<std::uint8_t>(rng.next());
    GroupDigester digester(info_.digest_key);
    for (std::uint64_t g = 0; g < layout_->group_count(); ++g) {
      const GroupExtent& e = layout_->group(g);
      info_.group_digests.push_back(digester(g, std::span(files_[e.entry].data() + e.offset, e.bytes)));
    }
    if (options_.encrypt) {
      SessionKey key{};
      for (auto& b : key) b = static_cast<std::uint8_t>(rng.next());
      info_.key = key;
    }
    source_ = std::make_unique<MemorySource>(*layout_, files_);
    result_.groups = layout_->group_count();
  }

  sim::LinkProfile link(bool bursty) const {
    sim::LinkProfile p;
    p.loss = options_.loss;
    p.reorder = options_.reorder;
    p.duplicate = options_.duplicate;
    if (bursty) {
      p.burst_loss = 1.0;
      p.burst_exit = 0.25;  // bursts of 4 packets on average
      p.burst_enter = p.burst_exit * options_.burst_loss / (1 - options_.burst_loss);
    }
    return p;
  }

  // The primary pass at the session's rate (or a nominal 1 Gbit/s uncapped).
  Duration transfer_time() const {
    const double rate = options_.rate_bits_per_s == 0 ? 1e9 : static_cast<double>(options_.rate_bits_per_s);
    std::uint64_t bytes = 0;
    for (auto size : options_.file_sizes) bytes += size;
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(static_cast<double>(bytes) * 8 / rate)) +
           std::chrono::milliseconds(1);
  }

  std::unique_ptr<Machine> make(NodeId node, Rng rng) {
    if (node == kSender) {
      std::vector<NodeId> receivers;
      for (NodeId r = 1; r <= options_.receivers; ++r) receivers.push_back(r);
      SenderOptions so{.start_deadline = std::chrono::milliseconds(100), .straggler_budget = std::chrono::seconds(5)};
      auto sender = std::make_unique<CastSender>(info_, *source_, receivers, rng.fork(), so);
      return std::make_unique<Tampering>(std::move(sender), options_.tamper, rng.fork());
    }
    return std::make_unique<CastReceiver>(info_, sinks_[node], kSender, rng,
                                          ReceiverOptions{.sender_silence = std::chrono::seconds(10)});
  }

  // The victim crashes once it has stored a third of the groups (a moment
  // later), so that its restart has something to resume from.
  void schedule_crash() { watch_victim(TimePoint{} + kCrashPoll); }

  void watch_victim(TimePoint when) {
    sim_.at(when, [this, when] {
      auto* m = sim_.machine<CastReceiver>(kVictim);
      if (m == nullptr || m->outcome() != CastReceiver::Outcome::running) return;
      if (m->stats().groups_done * 3 < std::max<std::uint64_t>(result_.groups, 1)) {
        watch_victim(when + kCrashPoll);
        return;
      }
      const TimePoint crash_at = when + sim_.rng().duration_between(Duration::zero(), kCrashPoll * 4);
      sim_.at(crash_at, [this] {
        sim_.crash(kVictim);
        sim_.annotate(fmt::format("crash receiver {}", kVictim));
      });
      sim_.at(crash_at + kRestartDelay, [this] { sim_.restart(kVictim); });
    });
  }

  CastSender& sender() { return sim_.machine<Tampering>(kSender)->sender(); }

  bool settled() {
    for (NodeId r = 1; r <= options_.receivers; ++r) {
      auto* m = sim_.machine<CastReceiver>(r);
      if (m == nullptr || m->outcome() == CastReceiver::Outcome::running) return false;
    }
    return sender().finished();
  }

  void violation(std::string what) {
    if (result_.violations.size() < kMaxReported) result_.violations.push_back(std::move(what));
  }

  std::string compare(NodeId node) const {
    const auto& held = sinks_[node].groups();
    for (std::uint64_t g = 0; g < layout_->group_count(); ++g) {
      auto it = held.find(g);
      if (it == held.end()) return fmt::format("group {} missing", g);
      const GroupExtent& e = layout_->group(g);
      const auto* want = files_[e.entry].data() + e.offset;
      if (it->second.size() != e.bytes || !std::equal(it->second.begin(), it->second.end(), want)) {
        return fmt::format("group {} differs", g);
      }
    }
    return {};
  }

  void check() {
    result_.trace = sim_.trace();
    result_.packets_sent = sim_.stats().packets_sent;
    result_.sender = sender().stats();
    result_.sender_finished = sender().finished();
    std::map<NodeId, Duration> done_at;
    for (const auto& entry : sim_.history()) {
      if (entry.node == kSender && entry.record.starts_with("start")) result_.start_wait = entry.time - TimePoint{};
    }
    for (const auto& entry : sim_.history()) {
      if (entry.node != kSender && entry.record.starts_with("done")) {
        done_at[entry.node] = std::max(Duration::zero(), entry.time - TimePoint{} - result_.start_wait);
      }
    }
    std::uint64_t requests = 0;
    for (NodeId node = 1; node <= options_.receivers; ++node) check_receiver(node, done_at, requests);
    if (!result_.sender_finished) violation("the sender has not finished");
    result_.requests_per_group =
        result_.groups == 0 ? 0 : static_cast<double>(requests) / static_cast<double>(result_.groups);
  }

  void check_receiver(NodeId node, const std::map<NodeId, Duration>& done_at, std::uint64_t& requests) {
    CastReceiverResult r;
    r.node = node;
    auto* m = sim_.machine<CastReceiver>(node);
    if (m != nullptr) {
      r.stats = m->stats();
      r.complete = m->outcome() == CastReceiver::Outcome::complete;
      if (m->outcome() == CastReceiver::Outcome::failed) r.error = m->failure();
    }
    requests += r.stats.requests_sent;
    const std::string mismatch = compare(node);
    r.exact = mismatch.empty();
    if (r.complete && !r.exact) violation(fmt::format("receiver {} reported done but {}", node, mismatch));
    if (!r.complete && r.error.empty()) {
      r.error = "neither done nor failed";
      violation(fmt::format("receiver {} neither finished nor failed within the time limit", node));
    }
    if (!r.complete && r.exact) violation(fmt::format("receiver {} holds every group but did not finish", node));
    if (auto it = done_at.find(node); it != done_at.end()) {
      r.completion = it->second;
      result_.completion = std::max(result_.completion, it->second);
    }
    result_.receivers.push_back(std::move(r));
  }

  CastScenarioOptions options_;
  SessionInfo info_;
  std::vector<std::vector<std::uint8_t>> files_;
  std::unique_ptr<Layout> layout_;
  std::unique_ptr<MemorySource> source_;
  std::vector<MemorySink> sinks_;
  CastScenarioResult result_;
  sim::Simulator sim_;
};

}  // namespace

CastScenarioResult run_cast_scenario(std::uint64_t seed, const CastScenarioOptions& options) {
  return Scenario(seed, options).run();
}

std::string cast_replay_command(std::uint64_t seed, const CastScenarioOptions& o) {
  std::string sizes;
  for (auto size : o.file_sizes) sizes += fmt::format(" {}", size);
  return fmt::format(
      "cohort-sim cast --receivers {} --file-sizes{} -k {} --block-size {} --repair-channels {} --expected-loss {} "
      "--rate {} --loss {} --burst-loss {} --reorder {} --duplicate {}{}{}{} --late-joiners {} --tamper {} "
      "--seed {} --trace",
      o.receivers, sizes, o.k, o.block_size, o.repair_channels, o.expected_loss, o.rate_bits_per_s, o.loss,
      o.burst_loss, o.reorder, o.duplicate, o.crash_restart ? " --crash" : "", o.encrypt ? " --encrypt" : "",
      o.holes ? " --holes" : "", o.late_joiners, o.tamper, seed);
}

}  // namespace cohort::filecast
