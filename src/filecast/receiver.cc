#include "cohort/filecast/receiver.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "cohort/filecast/digest.h"
#include "cohort/filecast/fec.h"
#include "cohort/filecast/packet.h"
#include "protocol.h"

namespace cohort::filecast {

namespace {

constexpr TimerKey kReadyTimer = 1;
constexpr TimerKey kDoneTimer = 2;
constexpr TimerKey kSilenceTimer = 3;
constexpr TimerKey kGroupTimerBase = TimerKey{1} << 32;  // + group: that group's request timer
constexpr Duration kFirstReadyRetry = std::chrono::milliseconds(20);
constexpr Duration kMaxReadyRetry = std::chrono::milliseconds(500);
constexpr Duration kFirstDoneRetry = std::chrono::milliseconds(100);
constexpr Duration kMaxDoneRetry = kFirstDoneRetry * 16;
constexpr int kDoneAttempts = 12;
constexpr std::uint64_t kFirstProgress = 1;     // the first report as soon as a group went by
constexpr std::uint64_t kProgressCeiling = 2048;

// The wait before retry number `attempt` (from 0): `first`, doubling up to `cap`.
Duration doubling(Duration first, int attempt, Duration cap) {
  return std::min(cap, first * (1 << std::clamp(attempt, 0, 8)));
}

// A group this receiver lacks and knows the sender is sending.
struct OpenGroup {
  std::vector<Buffer> blocks;  // by BlockId; empty Buffer: not held
  int have = 0;                // blocks held, the group's zero blocks included
  bool short_known = false;    // a loss was noticed: on the repair channel
  std::uint16_t seen_end = 0;  // repair indices heard of
  std::optional<std::uint64_t> round_last_seq;  // the last sequence number of the newest round heard of
  std::uint64_t ordinal_due = 0;                // round 0 is over once the stream reaches this ordinal
  bool round0_over = false;                     // a stop packet followed
  enum class Ask : std::uint8_t { await_round, backoff, asked } ask = Ask::await_round;
  int attempts = 0;
  std::optional<TimePoint> asked_at;  // this receiver's own request, until a round answers it
};

}  // namespace

struct CastReceiver::State {
  SessionInfo info;
  Layout layout;
  ContentSink& sink;
  NodeId sender;
  Rng rng;
  ReceiverOptions options;
  PacketCodec codec;
  RsCodec rs;
  GroupDigester digester;
  ReceiverStats stats;
  Outcome outcome = Outcome::running;
  std::string failure;

  std::vector<bool> stored;             // per group: held (resumed or verified here)
  std::vector<bool> resumed;            // held before this session started
  std::vector<std::uint16_t> data_seen; // distinct data blocks taken, per group
  std::map<std::uint64_t, OpenGroup> open;
  std::map<std::uint32_t, int> channel_users;  // repair channel -> open groups short on it
  std::uint64_t scan = 0;               // every group below has been seen in the stream
  std::uint64_t accounted = 0;          // groups below are counted in lost/expected
  std::uint64_t max_seq = 0, max_ordinal = 0;
  bool heard_sender = false;
  TimePoint last_heard{};
  Duration packet_gap{};                // between the sender's packets, smoothed
  std::optional<Duration> answer_time;  // from a request to its round's first packet, smoothed
  std::uint64_t lost = 0, expected = 0, next_progress = kFirstProgress;
  int ready_attempts = 0;
  int done_attempts = 0;
  bool done_acked = false;

  State(SessionInfo i, ContentSink& s, NodeId from, Rng r, ReceiverOptions o)
      : info(std::move(i)),
        layout(Layout::create(info.entries, info.params).value()),
        sink(s),
        sender(from),
        rng(r),
        options(o),
        codec(info.session_id, info.key, rng),
        rs(RsCodec::create(info.params.k).value()),
        digester(info.digest_key),
        stored(layout.group_count()),
        resumed(layout.group_count()),
        data_seen(layout.group_count()) {
    stats.groups_total = layout.group_count();
  }

  int k() const { return info.params.k; }
  std::size_t block_size() const { return info.params.block_size; }
  bool running() const { return outcome == Outcome::running; }

  // ---- start, ready, done, failure ----

  void start(TimePoint now, Actions& out) {
    last_heard = now;
    for (std::uint64_t g = 0; g < layout.group_count(); ++g) {
      if (sink.has_group(g)) {
        stored[g] = resumed[g] = true;
        ++stats.groups_done;
      }
    }
    if (!store_zero_groups(out)) return;
    if (stats.groups_done == layout.group_count()) {
      complete(out);
      return;
    }
    out.join_channel(kPrimaryChannel);
    send_ready(out);
    out.set_timer(kSilenceTimer, options.sender_silence);
  }

  // Groups whose digest is that of zeros (a sparse file's holes, say) are
  // stored here without a packet: reported held, the sender never sends them.
  bool store_zero_groups(Actions& out) {
    for (std::uint64_t g = 0; g < layout.group_count(); ++g) {
      if (stored[g]) continue;
      const std::size_t bytes = layout.group(g).bytes;
      if (info.group_digests[g] != digester.of_zeros(g, bytes)) continue;
      if (Status s = sink.write_zero_group(g, bytes); !s) {
        fail("cannot store group " + std::to_string(g) + ": " + s.error().message(), out);
        return false;
      }
      stored[g] = resumed[g] = true;
      ++stats.groups_done;
      ++stats.zero_groups;  // not in bytes_stored: that counts what came by the network
    }
    return true;
  }

  // Held groups as ranges, as many as fit one datagram.
  void send_ready(Actions& out) {
    ReadyPacket ready;
    for (std::uint64_t g = 0; g < layout.group_count(); ++g) {
      if (!stored[g]) continue;
      if (!ready.held.empty() && ready.held.back().first + ready.held.back().count == g) {
        ++ready.held.back().count;
      } else if (ready.held.size() < kMaxReadyRanges) {
        ready.held.push_back(GroupRange{g, 1});
      } else {
        ready.complete = false;
        break;
      }
    }
    out.send(sender, codec.encode(std::move(ready)));
    out.set_timer(kReadyTimer, doubling(kFirstReadyRetry, ready_attempts++, kMaxReadyRetry));
  }

  void complete(Actions& out) {
    outcome = Outcome::complete;
    out.output(fmt::format("done groups={} bytes={}", layout.group_count(), stats.bytes_stored));
    out.cancel_timer(kSilenceTimer);
    out.cancel_timer(kReadyTimer);
    leave_all(out);
    send_done(out);
  }

  void send_done(Actions& out) {
    if (done_acked || done_attempts >= kDoneAttempts) return;
    out.send(sender, codec.encode(DonePacket{}));
    out.set_timer(kDoneTimer, doubling(kFirstDoneRetry, done_attempts, kMaxDoneRetry));
    ++done_attempts;
  }

  void fail(std::string why, Actions& out) {
    outcome = Outcome::failed;
    failure = std::move(why);
    out.output("failed " + failure);
    out.cancel_timer(kSilenceTimer);
    out.cancel_timer(kReadyTimer);
    for (const auto& [g, group] : open) out.cancel_timer(kGroupTimerBase + g);
    leave_all(out);
    open.clear();
  }

  void leave_all(Actions& out) {
    out.leave_channel(kPrimaryChannel);
    for (const auto& [channel, users] : channel_users) {
      if (users > 0) out.leave_channel(channel);
    }
    channel_users.clear();
  }

  // ---- groups ----

  OpenGroup& open_group(std::uint64_t g, std::uint64_t ordinal) {
    auto [it, fresh] = open.try_emplace(g);
    if (fresh) {
      OpenGroup& group = it->second;
      group.blocks.resize(RsCodec::kMaxBlocks);
      group.have = k() - layout.group(g).blocks;
      group.ordinal_due = ordinal + protocol::kRepairLag + 1;
    }
    return it->second;
  }

  void mark_short(std::uint64_t g, OpenGroup& group, Actions& out) {
    if (group.short_known) return;
    group.short_known = true;
    await_round(g, group, out);
    const std::uint32_t channel = repair_channel(info.params, g);
    if (channel_users[channel]++ == 0) out.join_channel(channel);
  }

  void close_group(std::uint64_t g, Actions& out) {
    auto it = open.find(g);
    if (it == open.end()) return;
    out.cancel_timer(kGroupTimerBase + g);
    if (it->second.short_known) {
      const std::uint32_t channel = repair_channel(info.params, g);
      if (--channel_users[channel] == 0) {
        channel_users.erase(channel);
        out.leave_channel(channel);
      }
    }
    open.erase(it);
  }

  // Data of group h: every group before it went by; those still lacking are
  // short (and, never seen, were lost whole).
  void saw_group(std::uint64_t h, std::uint64_t ordinal, Actions& out) {
    for (auto& [g, group] : open) {
      if (g >= h) break;
      mark_short(g, group, out);
    }
    for (; scan < h; ++scan) {
      if (!stored[scan]) mark_short(scan, open_group(scan, ordinal), out);
    }
    // Blocks overtake each other: count a group's data once a few more went by.
    const std::uint64_t settled = h >= layout.group_count() ? h : h - std::min(h, protocol::kRepairLag);
    for (; accounted < settled; ++accounted) account(accounted);
    maybe_progress(out);
  }

  // Loss measured on data blocks whose pass went by.
  void account(std::uint64_t g) {
    if (resumed[g]) return;
    expected += layout.group(g).blocks;
    lost += static_cast<std::uint64_t>(layout.group(g).blocks - std::min(data_seen[g], layout.group(g).blocks));
  }

  void maybe_progress(Actions& out) {
    if (expected < next_progress) return;
    next_progress = expected + std::clamp<std::uint64_t>(expected, static_cast<std::uint64_t>(k()), kProgressCeiling);
    out.send(sender, codec.encode(ProgressPacket{stats.groups_done, std::min(lost, expected), expected}));
  }

  void on_data(const DataPacket& d, Actions& out) {
    if (d.group >= layout.group_count() || d.block >= layout.group(d.group).blocks ||
        d.bytes.size() != block_bytes(d.group, d.block)) {
      return;
    }
    saw_group(d.group, d.pos.ordinal, out);
    if (stored[d.group]) {
      ++stats.duplicates;
      return;
    }
    OpenGroup& group = open_group(d.group, d.pos.ordinal);
    for (BlockId b = 0; b < d.block; ++b) {
      if (group.blocks[b].empty()) {
        mark_short(d.group, group, out);
        break;
      }
    }
    if (!group.blocks[d.block].empty() || group.have >= k()) {
      ++stats.duplicates;
      return;
    }
    ++data_seen[d.group];
    ++stats.data_packets;
    take(d.group, group, d.block, d.bytes, out);
  }

  void on_repair(TimePoint now, const RepairPacket& r, Actions& out) {
    if (r.group >= layout.group_count() || r.bytes.size() != block_size() || r.round_end > rs.max_repair()) return;
    if (stored[r.group]) {
      ++stats.duplicates;
      return;
    }
    OpenGroup& group = open_group(r.group, r.pos.ordinal);
    mark_short(r.group, group, out);
    if (r.round_end > group.seen_end) {
      // A new round: whatever was pending waits for its end.
      group.seen_end = r.round_end;
      group.round_last_seq = r.pos.seq + static_cast<std::uint64_t>(r.round_end - 1 - r.index);
      if (group.asked_at) note_answer(now - *group.asked_at);
      group.asked_at.reset();
      await_round(r.group, group, out);
    }
    const auto id = static_cast<BlockId>(k() + r.index);
    if (!group.blocks[id].empty() || group.have >= k()) {
      ++stats.duplicates;
      return;
    }
    ++stats.repair_used;
    take(r.group, group, id, r.bytes, out);
  }

  void on_stop(const StopPacket& s, Actions& out) {
    if (s.groups != layout.group_count()) return;
    saw_group(layout.group_count(), s.pos.ordinal, out);
    for (auto& [g, group] : open) {
      mark_short(g, group, out);
      group.round0_over = true;
    }
  }

  void on_increase(TimePoint /*now*/, const IncreasePacket& inc, Actions& out) {
    auto it = open.find(inc.group);
    if (it == open.end() || it->second.ask != OpenGroup::Ask::backoff) return;
    OpenGroup& group = it->second;
    const int mine = k() - group.have;
    if (inc.seen_end + inc.need < group.seen_end + mine) return;
    ++stats.requests_suppressed;
    wait_for_answer(inc.group, group, out);
  }

  std::size_t block_bytes(std::uint64_t g, BlockId b) const {
    const GroupExtent& extent = layout.group(g);
    return std::min<std::size_t>(block_size(), extent.bytes - std::size_t{b} * block_size());
  }

  void take(std::uint64_t g, OpenGroup& group, BlockId id, const Buffer& bytes, Actions& out) {
    group.blocks[id] = bytes;
    if (++group.have == k()) decode(g, group, out);
  }

  // ---- decoding ----

  void decode(std::uint64_t g, OpenGroup& group, Actions& out) {
    const GroupExtent& extent = layout.group(g);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(k()) * block_size(), 0);
    std::vector<BlockId> have;
    std::vector<const std::uint8_t*> have_bytes;
    std::vector<BlockId> lost_ids;
    for (BlockId b = 0; b < k(); ++b) {
      std::uint8_t* slot = bytes.data() + std::size_t{b} * block_size();
      if (b >= extent.blocks || !group.blocks[b].empty()) {
        if (b < extent.blocks) std::copy_n(group.blocks[b].data(), group.blocks[b].size(), slot);
        have.push_back(b);
        have_bytes.push_back(slot);
      } else {
        lost_ids.push_back(b);
      }
    }
    for (std::size_t id = static_cast<std::size_t>(k()); id < group.blocks.size() && have.size() < std::size_t(k()); ++id) {
      if (group.blocks[id].empty()) continue;
      have.push_back(static_cast<BlockId>(id));
      have_bytes.push_back(group.blocks[id].data());
    }
    if (!lost_ids.empty()) {
      std::vector<std::vector<std::uint8_t>> rebuilt(lost_ids.size(), std::vector<std::uint8_t>(block_size()));
      std::vector<std::uint8_t*> outs;
      for (auto& r : rebuilt) outs.push_back(r.data());
      if (Status s = rs.decode(have, have_bytes, block_size(), outs); !s) {
        fail("cannot decode group " + std::to_string(g) + ": " + s.error().message(), out);
        return;
      }
      for (std::size_t i = 0; i < lost_ids.size(); ++i) {
        std::copy(rebuilt[i].begin(), rebuilt[i].end(), bytes.begin() + std::ptrdiff_t(lost_ids[i] * block_size()));
      }
    }
    verify_and_store(g, group, std::span(bytes.data(), extent.bytes), out);
  }

  void verify_and_store(std::uint64_t g, OpenGroup& group, std::span<const std::uint8_t> bytes, Actions& out) {
    if (digester(g, bytes) != info.group_digests[g]) {
      ++stats.bad_groups;
      out.output(fmt::format("bad group {}", g));
      group.blocks.assign(group.blocks.size(), Buffer());
      group.have = k() - layout.group(g).blocks;
      back_off(g, group, out);
      return;
    }
    if (Status s = sink.write_group(g, bytes); !s) {
      fail("cannot store group " + std::to_string(g) + ": " + s.error().message(), out);
      return;
    }
    stored[g] = true;
    ++stats.groups_done;
    stats.bytes_stored += bytes.size();
    close_group(g, out);
    if (stats.groups_done == layout.group_count()) complete(out);
  }

  // ---- requests ----

  // Rounds whose end has gone by leave their short groups to ask.
  void check_rounds(Actions& out) {
    for (auto& [g, group] : open) {
      if (!group.short_known || group.ask != OpenGroup::Ask::await_round) continue;
      const bool over = group.round_last_seq ? max_seq >= *group.round_last_seq
                                             : group.round0_over || max_ordinal >= group.ordinal_due;
      if (over) back_off(g, group, out);
    }
  }

  // Packets that would show the round over may never come (the sender has
  // nothing more to send, or they were lost): the timer asks anyway, once
  // the round should long have gone by at the pace packets arrive.
  void await_round(std::uint64_t g, OpenGroup& group, Actions& out) {
    group.ask = OpenGroup::Ask::await_round;
    const auto stream_ahead = static_cast<Duration::rep>(k() * static_cast<int>(protocol::kRepairLag + 2));
    if (group.round_last_seq) {
      const auto left = static_cast<Duration::rep>(*group.round_last_seq - std::min(*group.round_last_seq, max_seq));
      out.set_timer(kGroupTimerBase + g, protocol::kRoundGrace + packet_gap * left);
      return;
    }
    out.set_timer(kGroupTimerBase + g, protocol::kFirstRetry + std::min(protocol::kMaxRetry, packet_gap * stream_ahead));
  }

  // Larger needs ask sooner, so that their request suppresses the smaller.
  void back_off(std::uint64_t g, OpenGroup& group, Actions& out) {
    group.ask = OpenGroup::Ask::backoff;
    const int need = k() - group.have;
    const Duration slot = protocol::kRequestSpread / protocol::kNeedSlots;
    const auto rank = static_cast<Duration::rep>(std::max(0, protocol::kNeedSlots - need));
    out.set_timer(kGroupTimerBase + g, protocol::kRequestSettle + rank * slot + within_slot(slot));
  }

  // Where in its slot a request falls: a truncated exponential rather than a
  // uniform draw (Nonnenmacher and Biersack's feedback timers), so that among
  // many receivers with the same need few ask before the first is heard, and
  // among a few one still asks early in the slot.
  Duration within_slot(Duration slot) {
    const double u = std::max(rng.unit(), 1e-12);
    const double at = std::max(0.0, 1.0 + std::log(u) / protocol::kFeedbackLambda);
    return std::chrono::duration_cast<Duration>(slot * at);
  }

  void wait_for_answer(std::uint64_t g, OpenGroup& group, Actions& out) {
    group.ask = OpenGroup::Ask::asked;
    out.set_timer(kGroupTimerBase + g, doubling(first_retry(), group.attempts++, protocol::kMaxRetry));
  }

  Duration first_retry() const {
    if (!answer_time) return protocol::kFirstRetry;
    const Duration paced = protocol::kRetryAnswers * *answer_time;
    return std::clamp<Duration>(paced, protocol::kMinRetry, protocol::kFirstRetry);
  }

  void note_answer(Duration sample) {
    answer_time = answer_time ? (7 * *answer_time + sample) / 8 : sample;
  }

  void on_group_timer(TimePoint now, std::uint64_t g, Actions& out) {
    auto it = open.find(g);
    if (it == open.end()) return;
    OpenGroup& group = it->second;
    if (group.ask != OpenGroup::Ask::backoff) {  // the round never showed its end, or no answer came
      back_off(g, group, out);
      return;
    }
    const int need = k() - group.have;
    ++stats.requests_sent;
    out.multicast(repair_channel(info.params, g),
                  codec.encode(IncreasePacket{g, static_cast<std::uint16_t>(need), group.seen_end}));
    group.asked_at = now;
    wait_for_answer(g, group, out);
  }

  // ---- events ----

  void on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) {
    if (!running()) {
      if (outcome == Outcome::complete && from == sender) note_done_ack(bytes);
      return;
    }
    auto body = codec.decode(bytes);
    if (!body) {
      if (body.error().code() == Errc::permission_denied) ++stats.forged;
      return;
    }
    if (auto* inc = std::get_if<IncreasePacket>(&*body)) {
      on_increase(now, *inc, out);
      return;
    }
    if (from != sender) return;
    heard(now, out);
    if (auto* data = std::get_if<DataPacket>(&*body)) {
      advance(data->pos);
      on_data(*data, out);
    } else if (auto* repair = std::get_if<RepairPacket>(&*body)) {
      advance(repair->pos);
      on_repair(now, *repair, out);
    } else if (auto* stop = std::get_if<StopPacket>(&*body)) {
      advance(stop->pos);
      on_stop(*stop, out);
    } else if (auto* drop = std::get_if<DropPacket>(&*body)) {
      fail("dropped by the sender: " + drop->reason, out);
      return;
    }
    if (running()) check_rounds(out);
  }

  void note_done_ack(const Buffer& bytes) {
    auto body = codec.decode(bytes);
    if (body && std::holds_alternative<DoneAckPacket>(*body)) done_acked = true;
  }

  void heard(TimePoint now, Actions& out) {
    if (heard_sender) {
      // Pauses (the sender idle between rounds) move the estimate only slowly.
      const Duration sample = std::min<Duration>(now - last_heard, 2 * packet_gap + 100us);
      packet_gap = (7 * packet_gap + sample) / 8;
    }
    last_heard = now;
    if (!heard_sender) {
      heard_sender = true;
      out.cancel_timer(kReadyTimer);
    }
  }

  void advance(const StreamPos& pos) {
    max_seq = std::max(max_seq, pos.seq);
    max_ordinal = std::max(max_ordinal, pos.ordinal);
  }

  void on_timer(TimePoint now, TimerKey key, Actions& out) {
    if (key == kDoneTimer) {
      if (outcome == Outcome::complete) send_done(out);
      return;
    }
    if (!running()) return;
    if (key == kReadyTimer) {
      send_ready(out);
    } else if (key == kSilenceTimer) {
      check_silence(now, out);
    } else if (key >= kGroupTimerBase) {
      on_group_timer(now, key - kGroupTimerBase, out);
    }
  }

  void check_silence(TimePoint now, Actions& out) {
    const Duration quiet = now - last_heard;
    if (quiet < options.sender_silence) {
      out.set_timer(kSilenceTimer, options.sender_silence - quiet);
      return;
    }
    fail(fmt::format("the sender has been silent for {:.1f} s; check that it is still running and that multicast "
                     "reaches this host",
                     std::chrono::duration<double>(quiet).count()),
         out);
  }
};

CastReceiver::CastReceiver(SessionInfo info, ContentSink& sink, NodeId sender, Rng rng, ReceiverOptions options)
    : s_(std::make_unique<State>(std::move(info), sink, sender, rng, options)) {}

CastReceiver::~CastReceiver() = default;

void CastReceiver::start(TimePoint now, Actions& out) { s_->start(now, out); }
void CastReceiver::on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) {
  s_->on_packet(now, from, bytes, out);
}
void CastReceiver::on_timer(TimePoint now, TimerKey key, Actions& out) { s_->on_timer(now, key, out); }

CastReceiver::Outcome CastReceiver::outcome() const { return s_->outcome; }
const std::string& CastReceiver::failure() const { return s_->failure; }
const ReceiverStats& CastReceiver::stats() const { return s_->stats; }

}  // namespace cohort::filecast
