#include "cohort/filecast/sender.h"

#include <algorithm>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "cohort/filecast/fec.h"
#include "cohort/filecast/packet.h"
#include "protocol.h"

namespace cohort::filecast {

namespace {

constexpr TimerKey kStartTimer = 1;
constexpr TimerKey kPaceTimer = 2;
constexpr TimerKey kStragglerTimer = 3;
constexpr TimerKey kStopRepeatTimer = 4;
constexpr std::size_t kBurstPackets = 64;           // at most this many datagrams per event without a cap
// With a cap, the token bucket holds this much of the rate's worth, and a
// burst may spend it: a sender the host did not run for a while catches up
// that far. (It was sized when the loop's timers fired per millisecond; at
// 64 datagrams they held a 1 Gbit/s cap to about 700 Mbit/s.)
constexpr double kBurstSeconds = 0.002;
constexpr std::size_t kPaceBatch = 8;              // datagrams' worth of tokens a capped sender waits for
constexpr Duration kUncappedGap = std::chrono::microseconds(250);  // between bursts without a rate cap
constexpr int kStopPackets = 3;
constexpr Duration kStopSpacing = std::chrono::milliseconds(5);
// With nothing to send after a pass and receivers not done, Stop again after
// this, doubling up to kLastStopRepeat: a receiver that lost every Stop and
// the last groups' data would otherwise never learn that the pass ended.
constexpr Duration kFirstStopRepeat = std::chrono::milliseconds(100);
constexpr Duration kLastStopRepeat = std::chrono::seconds(1);
constexpr std::size_t kCachedGroups = 2 * protocol::kRepairLag + 6;
constexpr double kProactiveRisk = 0.2;   // summed chance, over receivers, that a group needs a request
constexpr double kRequestedRisk = 0.05;  // chance that an answered request falls short again
constexpr double kPriorWeight = 256;     // blocks' worth of weight the pooled loss has in each receiver's estimate
constexpr double kMaxLossModel = 0.5;
// During a pass, a requested round waits this long before it starts, so
// that the requests of other receivers for the group fold into it instead of
// each getting a round of its own (the pass keeps the link busy meanwhile).
// With 4 receivers at 5% loss on a loaded host, answering at once sent
// 58-73k requested repair datagrams, waiting 43-48k. After the pass,
// rounds go at once.
constexpr Duration kRequestGather = std::chrono::milliseconds(1);

// One thing the sender transmits: data blocks [begin, end) of a group, a
// repair round (indices [begin, end)), or a stop packet. Repair rounds go
// out whole, so their sequence numbers are consecutive.
struct Unit {
  enum class Kind : std::uint8_t { data, repair, stop } kind = Kind::data;
  std::uint64_t group = 0;
  std::uint16_t begin = 0, end = 0;
  std::uint16_t next = 0;            // the next block or index to send
  bool requested = false;            // a repair round answering requests
  TimePoint due{};                   // a requested round waits till then for more requests
  std::vector<Buffer> repair;        // encoded when the round starts
};

struct GroupState {
  std::uint16_t repair_end = 0;      // repair indices sent or queued: [0, repair_end)
  bool resending = false;            // its data is queued again (every repair index went out)
  TimePoint last_round_at{};
  Unit* queued = nullptr;            // a requested round not started yet (coalescing)
};

struct Peer {
  ReceiverStatus status;
  std::uint64_t lost = 0, expected = 0;
};

bool terminal(ReceiverStatus::State s) {
  return s == ReceiverStatus::State::done || s == ReceiverStatus::State::dropped || s == ReceiverStatus::State::gone;
}

}  // namespace

struct CastSender::State {
  SessionInfo info;
  Layout layout;
  ContentSource& source;
  Rng rng;
  SenderOptions options;
  PacketCodec codec;
  RsCodec rs;
  std::map<NodeId, Peer> peers;
  std::vector<ReceiverStatus> statuses;  // what receivers() returns
  SenderStats stats;

  bool started = false;
  std::set<std::uint64_t> pending;  // groups whose data some receiver lacks, not yet sent this pass
  std::uint64_t cursor = 0;         // the pass goes on with the first pending group >= cursor
  bool in_pass = false;
  std::uint64_t seq = 0, next_ordinal = 0;
  std::deque<std::pair<std::uint64_t, std::uint64_t>> lagging;  // (ordinal, group) awaiting proactive repair
  std::list<Unit> urgent;                                       // requested rounds, before the stream
  std::list<Unit> stream;                                       // data, proactive repair, stops
  std::vector<GroupState> groups;
  TimePoint last_stop_at{};
  Duration stop_repeat = kFirstStopRepeat;
  TimePoint last_sent_at{};
  TimePoint last_finish_at{};
  double tokens = 0;  // bits the rate allows now
  TimePoint tokens_at{};
  std::map<std::uint64_t, Buffer> cache;  // recently read groups, padded to K blocks
  std::list<std::uint64_t> cache_order;   // most recent first

  State(SessionInfo i, ContentSource& src, Rng r, SenderOptions o)
      : info(std::move(i)),
        layout(Layout::create(info.entries, info.params).value()),
        source(src),
        rng(r),
        options(o),
        codec(info.session_id, info.key, rng),
        rs(RsCodec::create(info.params.k).value()),
        groups(layout.group_count()) {}

  std::size_t block_size() const { return info.params.block_size; }
  int k() const { return info.params.k; }
  bool all_done() const {
    return std::all_of(peers.begin(), peers.end(), [](const auto& p) { return terminal(p.second.status.state); });
  }

  // ---- start and receivers ----

  void start(TimePoint now, Actions& out) {
    for (std::uint32_t c = 1; c <= info.params.repair_channels; ++c) out.join_channel(c);
    last_finish_at = now;
    last_sent_at = now;
    out.set_timer(kStartTimer, options.start_deadline);
    arm_straggler_check(out);
    maybe_begin(now, out);
  }

  void maybe_begin(TimePoint now, Actions& out) {
    if (started) return;
    const bool all_ready = std::none_of(peers.begin(), peers.end(), [](const auto& p) {
      return p.second.status.state == ReceiverStatus::State::waiting;
    });
    if (all_ready) begin(now, out);
  }

  void begin(TimePoint now, Actions& out) {
    started = true;
    tokens_at = now;
    out.cancel_timer(kStartTimer);
    out.output(fmt::format("start groups={} pending={}", layout.group_count(), pending.size()));
    check_finished(now, out);
    pump(now, out);
  }

  void on_ready(TimePoint now, NodeId from, const ReadyPacket& ready, Actions& out) {
    auto it = peers.find(from);
    if (it == peers.end()) return;
    Peer& peer = it->second;
    if (redrop(from, out) || peer.status.state == ReceiverStatus::State::gone) return;
    peer.status.state = ReceiverStatus::State::receiving;
    add_lacking(ready);
    if (!started) {
      maybe_begin(now, out);
      return;
    }
    pump(now, out);
  }

  // Groups the receiver lacks go into the pass: those behind the cursor only
  // if no pass is running (a running pass leaves them to repair requests).
  void add_lacking(const ReadyPacket& ready) {
    std::uint64_t g = 0;
    auto add_until = [&](std::uint64_t end) {
      for (; g < end && g < layout.group_count(); ++g) {
        if (!in_pass || g >= cursor) pending.insert(g);
      }
    };
    for (const GroupRange& range : ready.held) {
      add_until(range.first);
      g = std::max(g, std::min(range.first + range.count, layout.group_count()));
    }
    add_until(layout.group_count());
  }

  // A dropped receiver that still talks missed its Drop.
  bool redrop(NodeId from, Actions& out) {
    auto it = peers.find(from);
    if (it == peers.end() || it->second.status.state != ReceiverStatus::State::dropped) return false;
    send_drop(from, it->second.status.reason, out);
    return true;
  }

  void on_progress(NodeId from, const ProgressPacket& p, Actions& out) {
    if (redrop(from, out)) return;
    auto it = peers.find(from);
    if (it == peers.end() || terminal(it->second.status.state)) return;
    Peer& peer = it->second;
    peer.status.groups_done = p.groups_done;
    peer.lost = p.lost;
    peer.expected = p.expected;
    peer.status.measured_loss = p.expected == 0 ? 0 : static_cast<double>(p.lost) / static_cast<double>(p.expected);
  }

  void on_done(TimePoint now, NodeId from, Actions& out) {
    auto it = peers.find(from);
    if (it == peers.end()) return;
    out.send(from, codec.encode(DoneAckPacket{}));
    ReceiverStatus& status = it->second.status;
    if (terminal(status.state)) return;
    status.state = ReceiverStatus::State::done;
    status.groups_done = layout.group_count();
    out.output(fmt::format("receiver {} done", from));
    finish_one(now, out);
  }

  void gone(TimePoint now, NodeId id, std::string reason, Actions& out) {
    auto it = peers.find(id);
    if (it == peers.end() || terminal(it->second.status.state)) return;
    it->second.status.state = ReceiverStatus::State::gone;
    it->second.status.reason = std::move(reason);
    out.output(fmt::format("receiver {} gone: {}", id, it->second.status.reason));
    finish_one(now, out);
  }

  void drop(TimePoint now, Peer& peer, std::string reason, Actions& out) {
    peer.status.state = ReceiverStatus::State::dropped;
    peer.status.reason = std::move(reason);
    out.output(fmt::format("drop {} {}", peer.status.id, peer.status.reason));
    send_drop(peer.status.id, peer.status.reason, out);
    finish_one(now, out);
  }

  void send_drop(NodeId to, const std::string& reason, Actions& out) {
    out.send(to, codec.encode(DropPacket{reason.substr(0, kMaxDropReason)}));
  }

  void finish_one(TimePoint now, Actions& out) {
    last_finish_at = now;
    if (!started) maybe_begin(now, out);
    check_finished(now, out);
  }

  void check_finished(TimePoint /*now*/, Actions& out) {
    if (!all_done()) return;
    urgent.clear();
    stream.clear();
    pending.clear();
    for (auto& g : groups) g.queued = nullptr;
    out.cancel_timer(kPaceTimer);
    out.cancel_timer(kStragglerTimer);
    out.cancel_timer(kStartTimer);
    out.cancel_timer(kStopRepeatTimer);
    out.output("finished");
  }

  // A receiver is a straggler when nothing has finished and nothing was
  // sent for the budget: everything the others needed went out long ago.
  void arm_straggler_check(Actions& out) {
    out.set_timer(kStragglerTimer, std::max<Duration>(options.straggler_budget / 4, std::chrono::milliseconds(1)));
  }

  void check_stragglers(TimePoint now, Actions& out) {
    if (all_done()) return;
    arm_straggler_check(out);
    if (!started || now - std::max(last_finish_at, last_sent_at) < options.straggler_budget) return;
    const auto seconds = std::chrono::duration<double>(options.straggler_budget).count();
    for (auto& [id, peer] : peers) {
      if (terminal(peer.status.state)) continue;
      const std::string why =
          peer.status.state == ReceiverStatus::State::waiting
              ? fmt::format("never said Ready; gave up {:.1f} s after the others finished", seconds)
              : fmt::format("straggler: had {} of {} groups {:.1f} s after the others finished and the last repair",
                            peer.status.groups_done, layout.group_count(), seconds);
      drop(now, peer, why, out);
      if (all_done()) return;
    }
  }

  // ---- requests ----

  void on_increase(TimePoint now, NodeId from, const IncreasePacket& req, Actions& out) {
    if (redrop(from, out) || !started || req.group >= layout.group_count() || all_done()) return;
    ++stats.requests_heard;
    if (auto it = peers.find(from); it != peers.end()) ++it->second.status.requests;
    GroupState& g = groups[req.group];
    // An asker that has not heard of the last round either crossed it (it is
    // on its way) or lost all of it (long enough ago).
    const bool crossed = req.seen_end < g.repair_end && now - g.last_round_at < protocol::kCrossingWindow;
    const std::uint16_t base = crossed ? req.seen_end : std::max(req.seen_end, g.repair_end);
    const int want = base + req.need;
    if (want <= g.repair_end) return;
    const int cap = rs.max_repair();
    if (g.repair_end >= cap) return resend(now, req.group, g, out);
    const int missing = want - g.repair_end;
    const int extra = protocol::extra_blocks(missing, {{asker_loss(from), 1}}, kRequestedRisk, cap);
    const int end = std::min(cap, g.repair_end + missing + extra);
    if (g.queued != nullptr) {
      g.queued->end = static_cast<std::uint16_t>(end);
    } else {
      Unit unit{Unit::Kind::repair, req.group, g.repair_end, static_cast<std::uint16_t>(end)};
      unit.next = unit.begin;
      unit.requested = true;
      unit.due = in_pass ? now + kRequestGather : now;
      urgent.push_back(std::move(unit));
      g.queued = &urgent.back();
    }
    g.repair_end = static_cast<std::uint16_t>(end);
    g.last_round_at = now;
    pump(now, out);
  }

  // Every repair index of the group went out (K near 254 leaves few, and a
  // receiver that lost round after round uses them all): the group's data
  // goes out again, whole, which completes any receiver that gets it; one
  // that still lacks blocks asks again. Rare enough that a whole group per
  // request costs nothing that matters.
  void resend(TimePoint now, std::uint64_t group, GroupState& g, Actions& out) {
    if (g.resending || now - g.last_round_at < protocol::kCrossingWindow) return;  // one on its way
    Unit unit{Unit::Kind::data, group, 0, layout.group(group).blocks};
    unit.due = now;
    urgent.push_back(std::move(unit));
    g.resending = true;
    g.last_round_at = now;
    pump(now, out);
  }

  // ---- loss model ----

  double pooled_loss() const {
    std::uint64_t lost = 0, expected = 0;
    for (const auto& [id, peer] : peers) {
      lost += peer.lost;
      expected += peer.expected;
    }
    const double prior = std::max(0.0, info.params.expected_loss);
    if (expected == 0) return prior;
    return std::max(prior, static_cast<double>(lost) / static_cast<double>(expected));
  }

  // Each receiver's own measure, pulled towards the pooled one while it has
  // seen few blocks (a few early losses say little).
  double shrunk_loss(const Peer& peer, double pooled) const {
    const double p = (static_cast<double>(peer.lost) + kPriorWeight * pooled) /
                     (static_cast<double>(peer.expected) + kPriorWeight);
    return std::clamp(std::max(p, std::max(0.0, info.params.expected_loss)), 0.0, kMaxLossModel);
  }

  double asker_loss(NodeId from) const {
    const double pooled = pooled_loss();
    auto it = peers.find(from);
    return it == peers.end() ? std::min(pooled, kMaxLossModel) : shrunk_loss(it->second, pooled);
  }

  protocol::LossHistogram loss_histogram() const {
    const double pooled = pooled_loss();
    std::map<int, std::size_t> buckets;  // loss in steps of 1/400
    for (const auto& [id, peer] : peers) {
      if (terminal(peer.status.state)) continue;
      ++buckets[static_cast<int>(shrunk_loss(peer, pooled) * 400 + 0.5)];
    }
    protocol::LossHistogram h;
    for (const auto& [step, count] : buckets) h.emplace_back(step / 400.0, count);
    return h;
  }

  int proactive_amount(std::uint64_t group) const {
    const int blocks = layout.group(group).blocks;
    return protocol::extra_blocks(blocks, loss_histogram(), kProactiveRisk, rs.max_repair());
  }

  // ---- the stream: passes of data, proactive repair, stops ----

  // Appends the next group's data (and the proactive repair that lags it),
  // or ends the pass; false when there is nothing left to do.
  bool extend_stream(TimePoint now) {
    auto next = pending.lower_bound(in_pass ? cursor : 0);
    if (next != pending.end()) {
      if (!in_pass) in_pass = true;
      const std::uint64_t g = *next;
      pending.erase(next);
      cursor = g + 1;
      const std::uint64_t ordinal = next_ordinal++;
      Unit data{Unit::Kind::data, g, 0, layout.group(g).blocks};
      stream.push_back(std::move(data));
      lagging.emplace_back(ordinal, g);
      if (lagging.front().first + protocol::kRepairLag <= ordinal) push_proactive(now);
      return true;
    }
    if (!in_pass) return false;
    while (!lagging.empty()) push_proactive(now);
    for (int i = 0; i < kStopPackets; ++i) stream.push_back(Unit{Unit::Kind::stop});
    in_pass = false;
    cursor = 0;
    return true;
  }

  void push_proactive(TimePoint now) {
    const std::uint64_t g = lagging.front().second;
    lagging.pop_front();
    const int amount = proactive_amount(g);
    GroupState& state = groups[g];
    const int end = std::min(rs.max_repair(), state.repair_end + amount);
    if (end <= state.repair_end) return;
    Unit unit{Unit::Kind::repair, g, state.repair_end, static_cast<std::uint16_t>(end)};
    unit.next = unit.begin;
    state.repair_end = unit.end;
    state.last_round_at = now;
    stream.push_back(std::move(unit));
  }

  // ---- sending ----

  std::size_t packet_bits() const { return (block_size() + 64) * 8; }

  // Sends what the rate allows, at most a burst, and arms the pace timer
  // for the rest.
  void pump(TimePoint now, Actions& out) {
    if (!started || all_done()) return;
    refill(now);
    for (std::size_t sent = 0; sent < burst_packets(); ++sent) {
      Unit* unit = front_unit(now);
      if (unit == nullptr) {
        if (!urgent.empty()) {
          out.set_timer(kPaceTimer, urgent.front().due - now);
        } else if (stats.stop_packets > 0) {
          out.set_timer(kStopRepeatTimer, stop_repeat);
        }
        return;
      }
      if (unit->kind == Unit::Kind::stop && now - last_stop_at < kStopSpacing) {
        out.set_timer(kPaceTimer, last_stop_at + kStopSpacing - now);
        return;
      }
      if (info.params.rate_bits_per_s != 0 && tokens < static_cast<double>(packet_bits())) {
        // Waits for a batch's worth: waking per datagram (the loop's timers
        // are precise to the microsecond) would cost more than the sending.
        const double batch_bits = static_cast<double>(packet_bits() * std::min(kPaceBatch, burst_packets()));
        const double wait_s = (batch_bits - tokens) / static_cast<double>(info.params.rate_bits_per_s);
        out.set_timer(kPaceTimer, std::chrono::duration_cast<Duration>(std::chrono::duration<double>(wait_s)) + 1us);
        return;
      }
      if (!send_one(now, *unit, out)) return;
      tokens -= static_cast<double>(packet_bits());
    }
    out.set_timer(kPaceTimer, info.params.rate_bits_per_s == 0 ? kUncappedGap : Duration(1us));
  }

  std::size_t burst_packets() const {
    const double rate_share = static_cast<double>(info.params.rate_bits_per_s) * kBurstSeconds;
    return std::max(kBurstPackets, static_cast<std::size_t>(rate_share / static_cast<double>(packet_bits())));
  }

  void refill(TimePoint now) {
    if (info.params.rate_bits_per_s == 0) return;
    const double elapsed = std::chrono::duration<double>(now - tokens_at).count();
    tokens_at = now;
    const double cap = static_cast<double>(packet_bits() * burst_packets());
    tokens = std::min(cap, tokens + elapsed * static_cast<double>(info.params.rate_bits_per_s));
  }

  // The unit to send from: a round in progress, else requests, else the stream.
  Unit* front_unit(TimePoint now) {
    if (!stream.empty() && stream.front().kind == Unit::Kind::repair && stream.front().next != stream.front().begin) {
      return &stream.front();
    }
    if (!urgent.empty() && urgent.front().due <= now) return &urgent.front();
    if (stream.empty() && !extend_stream(now)) return nullptr;
    return &stream.front();
  }

  StreamPos next_pos() { return StreamPos{seq++, next_ordinal == 0 ? 0 : next_ordinal - 1}; }

  // Sends the unit's next packet; false if the session had to stop.
  bool send_one(TimePoint now, Unit& unit, Actions& out) {
    const bool is_urgent = !urgent.empty() && &unit == &urgent.front();
    std::list<Unit>& from = is_urgent ? urgent : stream;
    const StreamPos pos = next_pos();
    last_sent_at = now;
    stop_repeat = kFirstStopRepeat;
    switch (unit.kind) {
      case Unit::Kind::stop:
        last_stop_at = now;
        ++stats.stop_packets;
        out.multicast(kPrimaryChannel, codec.encode(StopPacket{pos, layout.group_count()}));
        from.pop_front();
        return true;
      case Unit::Kind::data: {
        auto bytes = group_bytes(now, unit.group, out);
        if (!bytes) return false;
        const GroupExtent& extent = layout.group(unit.group);
        const std::size_t offset = std::size_t{unit.next} * block_size();
        const std::size_t size = std::min<std::size_t>(block_size(), extent.bytes - offset);
        ++stats.data_packets;
        out.multicast(kPrimaryChannel, codec.encode(DataPacket{pos, unit.group, unit.next, bytes->slice(offset, size)}));
        if (++unit.next == unit.end) {
          if (is_urgent) groups[unit.group].resending = false;  // only resends put data there
          from.pop_front();
        }
        return true;
      }
      case Unit::Kind::repair:
        return send_repair(now, unit, pos, from, out);
    }
    return true;
  }

  bool send_repair(TimePoint now, Unit& unit, const StreamPos& pos, std::list<Unit>& from, Actions& out) {
    if (unit.next == unit.begin) {
      if (unit.requested) groups[unit.group].queued = nullptr;
      if (!encode_round(now, unit, out)) return false;
    }
    ++stats.repair_packets;
    if (unit.requested) ++stats.requested_repair;
    Buffer bytes = unit.repair[unit.next - unit.begin];
    out.multicast(repair_channel(info.params, unit.group),
                  codec.encode(RepairPacket{pos, unit.group, unit.next, unit.end, std::move(bytes)}));
    if (++unit.next == unit.end) {
      groups[unit.group].last_round_at = now;
      from.pop_front();
    }
    return true;
  }

  bool encode_round(TimePoint now, Unit& unit, Actions& out) {
    auto bytes = group_bytes(now, unit.group, out);
    if (!bytes) return false;
    std::vector<const std::uint8_t*> data;
    for (int b = 0; b < k(); ++b) data.push_back(bytes->data() + static_cast<std::size_t>(b) * block_size());
    std::vector<int> indices;
    std::vector<std::vector<std::uint8_t>> blocks(unit.end - unit.begin, std::vector<std::uint8_t>(block_size()));
    std::vector<std::uint8_t*> outs;
    for (int i = unit.begin; i < unit.end; ++i) {
      indices.push_back(i);
      outs.push_back(blocks[static_cast<std::size_t>(i - unit.begin)].data());
    }
    if (Status s = rs.encode(data, block_size(), indices, outs); !s) {
      fail_all(now, "the sender could not encode repair: " + s.error().message(), out);
      return false;
    }
    unit.repair.clear();
    for (auto& b : blocks) unit.repair.push_back(Buffer(std::move(b)));
    return true;
  }

  // The group's bytes zero-padded to K blocks, from the cache or the source.
  std::optional<Buffer> group_bytes(TimePoint now, std::uint64_t g, Actions& out) {
    if (auto it = cache.find(g); it != cache.end()) {
      cache_order.remove(g);
      cache_order.push_front(g);
      return it->second;
    }
    const GroupExtent& extent = layout.group(g);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(k()) * block_size(), 0);
    if (Status s = source.read_group(g, std::span(bytes.data(), extent.bytes)); !s) {
      fail_all(now, "the sender could not read group " + std::to_string(g) + ": " + s.error().message(), out);
      return std::nullopt;
    }
    if (cache.size() >= kCachedGroups) {
      cache.erase(cache_order.back());
      cache_order.pop_back();
    }
    cache_order.push_front(g);
    return cache[g] = Buffer(std::move(bytes));
  }

  void fail_all(TimePoint now, const std::string& why, Actions& out) {
    out.output("source failed: " + why);
    for (auto& [id, peer] : peers) {
      if (!terminal(peer.status.state)) drop(now, peer, why, out);
    }
  }

  // ---- events ----

  void on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) {
    auto body = codec.decode(bytes);
    if (!body) {
      if (body.error().code() == Errc::permission_denied) ++stats.forged;
      return;
    }
    if (auto* ready = std::get_if<ReadyPacket>(&*body)) {
      on_ready(now, from, *ready, out);
    } else if (auto* increase = std::get_if<IncreasePacket>(&*body)) {
      on_increase(now, from, *increase, out);
    } else if (auto* progress = std::get_if<ProgressPacket>(&*body)) {
      on_progress(from, *progress, out);
    } else if (std::holds_alternative<DonePacket>(*body)) {
      on_done(now, from, out);
    }
  }

  void on_timer(TimePoint now, TimerKey key, Actions& out) {
    if (key == kStartTimer && !started) {
      begin(now, out);
    } else if (key == kPaceTimer) {
      pump(now, out);
    } else if (key == kStragglerTimer) {
      check_stragglers(now, out);
    } else if (key == kStopRepeatTimer) {
      repeat_stop(out);
    }
  }

  // Not counted as sending: a straggler that only hears Stops is still one.
  void repeat_stop(Actions& out) {
    if (all_done() || !urgent.empty() || !stream.empty() || in_pass) return;
    ++stats.stop_packets;
    out.multicast(kPrimaryChannel, codec.encode(StopPacket{next_pos(), layout.group_count()}));
    stop_repeat = std::min(kLastStopRepeat, stop_repeat * 2);
    out.set_timer(kStopRepeatTimer, stop_repeat);
  }
};

CastSender::CastSender(SessionInfo info, ContentSource& source, std::vector<NodeId> receivers, Rng rng,
                       SenderOptions options)
    : s_(std::make_unique<State>(std::move(info), source, rng, options)) {
  for (NodeId id : receivers) s_->peers[id].status.id = id;
  s_->statuses.resize(s_->peers.size());
}

CastSender::~CastSender() = default;

void CastSender::start(TimePoint now, Actions& out) { s_->start(now, out); }
void CastSender::on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) {
  s_->on_packet(now, from, bytes, out);
}
void CastSender::on_timer(TimePoint now, TimerKey key, Actions& out) { s_->on_timer(now, key, out); }
void CastSender::receiver_gone(TimePoint now, NodeId receiver, std::string reason, Actions& out) {
  s_->gone(now, receiver, std::move(reason), out);
}

bool CastSender::finished() const { return s_->all_done(); }

const std::vector<ReceiverStatus>& CastSender::receivers() const {
  std::size_t i = 0;
  for (const auto& [id, peer] : s_->peers) s_->statuses[i++] = peer.status;
  return s_->statuses;
}

const SenderStats& CastSender::stats() const { return s_->stats; }

}  // namespace cohort::filecast
