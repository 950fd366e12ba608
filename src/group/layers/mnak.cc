#include "cohort/group/layers/mnak.h"

#include <algorithm>
#include <limits>

#include "cohort/core/bytes.h"

namespace cohort::group {

namespace {

enum Field : std::size_t { kKind = 0, kOrigin = 1, kSeq = 2 };
enum Kind : std::uint64_t { kData = 1, kRetrans = 2, kNak = 3, kStatus = 4 };
enum TimerKey : std::uint32_t { kRepairTimer = 1, kStatusTimer = 2 };
// Gaps asked for in one repair pass per origin: under bursty loss many gaps
// are open at once, and one NAK per pass would repair them one by one.
constexpr std::size_t kMaxNakRanges = 32;

}  // namespace

std::vector<HeaderField> Mnak::header_fields() const { return {{"kind", 1}, {"origin", 2}, {"seq", 4}}; }

std::size_t Mnak::retained() const {
  std::size_t n = ahead_total_;
  for (const Origin& o : origins_) n += o.kept.size();
  return n;
}

void Mnak::down(Msg msg, LayerContext& ctx) {
  if (msg.kind != Msg::Kind::cast || me_ == kNoRank) {
    ctx.down(std::move(msg));
    return;
  }
  HeaderSlot h = ctx.slot(msg);
  h.set(kKind, kData);
  h.set(kOrigin, me_);
  h.set(kSeq, ++sent_);
  ctx.down(std::move(msg));  // the bottom loops it back: on_data keeps it
  arm_status(ctx);
}

void Mnak::up(Msg msg, LayerContext& ctx) {
  HeaderSlot h = ctx.slot(msg);
  const std::uint64_t kind = h.get(kKind);
  if (kind == 0) {
    ctx.up(std::move(msg));
    return;
  }
  const std::uint64_t origin = h.get(kOrigin);
  const std::uint64_t seq = h.get(kSeq);
  if (me_ == kNoRank || origin >= origins_.size() || seq == 0) return;
  const auto o = static_cast<Rank>(origin);
  const bool cast = msg.kind == Msg::Kind::cast;
  if (kind == kData && cast && msg.peer == o) {
    on_data(o, seq, std::move(msg), ctx);
  } else if (kind == kRetrans && !cast) {
    h.set(kKind, kData);
    msg.kind = Msg::Kind::cast;
    msg.peer = o;
    on_data(o, seq, std::move(msg), ctx);
  } else if (kind == kNak && !cast) {
    on_nak(msg.peer, o, seq, msg.payload, ctx);
  } else if (kind == kStatus && cast) {
    learn_known(o, seq, ctx);
    if (origins_[o].known > origins_[o].delivered) arm_repair(ctx);
  }
}

void Mnak::down_event(const Event& event, LayerContext& ctx) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) {
    reset(v->view.get(), ctx);
  } else if (const auto* s = std::get_if<StableEvent>(&event)) {
    on_stable(s->stable);
  } else if (const auto* c = std::get_if<CutEvent>(&event)) {
    on_cut(c->cut, ctx);
  }
  ctx.down(event);
}

void Mnak::timer(std::uint32_t key, LayerContext& ctx) {
  if (key == kRepairTimer) {
    repair_armed_ = false;
    repair(ctx);
  } else if (key == kStatusTimer) {
    status_armed_ = false;
    if (me_ != kNoRank && sent_ > origins_[me_].stable) {
      send_status(ctx);
      arm_status(ctx);
    }
  }
}

void Mnak::reset(const View* view, LayerContext& ctx) {
  me_ = view != nullptr ? view->rank_of(ctx.self()) : kNoRank;
  origins_.assign(view != nullptr ? view->size() : 0, Origin{});
  sent_ = 0;
  ahead_total_ = 0;
  cut_.clear();
  cut_reached_ = false;
}

void Mnak::on_data(Rank origin, std::uint64_t seq, Msg msg, LayerContext& ctx) {
  Origin& o = origins_[origin];
  if (seq <= o.delivered || o.ahead.count(seq) != 0) {
    ++stats_.duplicates;
    return;
  }
  if (seq > limit(origin)) return;  // beyond the cut: not of this view's history
  learn_known(origin, seq, ctx);
  if (seq != o.delivered + 1) {
    arm_repair(ctx);
    if (ahead_total_ >= options_.max_out_of_order) {
      ++stats_.over_limit;  // `known` keeps the gap; a NAK fetches it again
      return;
    }
    o.ahead.emplace(seq, std::move(msg));
    ++ahead_total_;
    return;
  }
  o.kept.push_back(msg);
  o.delivered = seq;
  ctx.up(std::move(msg));
  deliver_in_order(origin, ctx);
  o.attempts = 0;
  o.next_nak = ctx.now() + jitter(options_.nak_delay, ctx);
  check_cut(ctx);
}

void Mnak::deliver_in_order(Rank origin, LayerContext& ctx) {
  Origin& o = origins_[origin];
  while (!o.ahead.empty() && o.ahead.begin()->first == o.delivered + 1 && o.delivered < limit(origin)) {
    auto node = o.ahead.extract(o.ahead.begin());
    --ahead_total_;
    o.kept.push_back(node.mapped());
    o.delivered = node.key();
    ctx.up(std::move(node.mapped()));
  }
}

void Mnak::learn_known(Rank origin, std::uint64_t seq, LayerContext& ctx) {
  Origin& o = origins_[origin];
  if (seq <= o.known) return;
  if (o.known == o.delivered) {
    o.attempts = 0;
    o.next_nak = ctx.now() + jitter(options_.nak_delay, ctx);
  }
  o.known = seq;
}

void Mnak::on_nak(Rank from, Rank origin, std::uint64_t seq, const Buffer& payload, LayerContext& ctx) {
  ByteReader r(payload);
  const std::uint64_t count = std::min<std::uint64_t>(r.u32(), options_.max_nak_range);
  if (!r.finish().ok() || from >= origins_.size() || from == me_) return;
  for (std::uint64_t s = seq; s < seq + count; ++s) {
    const Msg* held = find(origin, s);
    if (held == nullptr) continue;
    Msg copy = *held;
    ctx.slot(copy).set(kKind, kRetrans);
    copy.kind = Msg::Kind::send;
    copy.peer = from;
    copy.unreliable = true;  // the NAK is repeated until it arrives
    ctx.down(std::move(copy));
    ++stats_.retransmits_sent;
  }
}

const Msg* Mnak::find(Rank origin, std::uint64_t seq) const {
  const Origin& o = origins_[origin];
  if (seq > o.stable && seq <= o.delivered) return &o.kept[seq - o.stable - 1];
  auto it = o.ahead.find(seq);
  return it == o.ahead.end() ? nullptr : &it->second;
}

void Mnak::on_stable(const std::vector<std::uint64_t>& stable) {
  if (stable.size() != origins_.size()) return;
  for (std::size_t r = 0; r < origins_.size(); ++r) {
    Origin& o = origins_[r];
    const std::uint64_t now_stable = std::min(stable[r], o.delivered);
    while (o.stable < now_stable) {
      o.kept.pop_front();
      ++o.stable;
    }
  }
}

void Mnak::on_cut(const std::vector<std::uint64_t>& cut, LayerContext& ctx) {
  if (cut.size() != origins_.size()) return;
  cut_ = cut;
  cut_reached_ = false;
  for (std::size_t r = 0; r < origins_.size(); ++r) {
    Origin& o = origins_[r];
    o.attempts = 0;
    o.next_nak = ctx.now() + jitter(options_.nak_delay, ctx);
    learn_known(static_cast<Rank>(r), cut[r], ctx);
  }
  arm_repair(ctx);
  check_cut(ctx);
}

void Mnak::check_cut(LayerContext& ctx) {
  if (cut_.empty() || cut_reached_) return;
  for (std::size_t r = 0; r < origins_.size(); ++r) {
    if (origins_[r].delivered < cut_[r]) return;
  }
  cut_reached_ = true;
  ctx.up(CutReachedEvent{});
}

std::uint64_t Mnak::limit(Rank origin) const {
  return cut_.empty() ? std::numeric_limits<std::uint64_t>::max() : cut_[origin];
}

void Mnak::repair(LayerContext& ctx) {
  bool gaps = false;
  for (std::size_t r = 0; r < origins_.size(); ++r) {
    Origin& o = origins_[r];
    if (std::min(o.known, limit(static_cast<Rank>(r))) <= o.delivered) continue;
    gaps = true;
    if (ctx.now() >= o.next_nak) send_nak(static_cast<Rank>(r), ctx);
  }
  if (gaps) arm_repair(ctx);
}

// Asks for every gap below the highest cast buffered beyond one (all of them
// are known lost or late), at most kMaxNakRanges per pass; the range after
// the last buffered cast only once nothing is buffered, as before.
void Mnak::send_nak(Rank origin, LayerContext& ctx) {
  Origin& o = origins_[origin];
  Rank to = origin;
  if (!cut_.empty() || origin == me_) {
    // The origin may be gone: ask a random other member; retries spread out.
    if (origins_.size() < 2) return;
    to = static_cast<Rank>(ctx.rng().below(origins_.size() - 1));
    if (to >= me_) ++to;
  }
  std::uint64_t first = o.delivered + 1;
  std::size_t ranges = 0;
  for (auto it = o.ahead.begin(); it != o.ahead.end() && ranges < kMaxNakRanges; ++it) {
    if (it->first > first) {
      nak_range(origin, to, first, std::min(it->first - 1, limit(origin)), ctx);
      ++ranges;
    }
    first = it->first + 1;
  }
  if (o.ahead.empty()) nak_range(origin, to, first, std::min(o.known, limit(origin)), ctx);
  o.attempts = std::min<std::uint32_t>(o.attempts + 1, 16);
  const Duration backoff = std::min<Duration>(options_.nak_delay * (std::int64_t{1} << o.attempts),
                                              options_.nak_backoff_max);
  o.next_nak = ctx.now() + jitter(backoff, ctx);
}

void Mnak::nak_range(Rank origin, Rank to, std::uint64_t first, std::uint64_t last, LayerContext& ctx) {
  if (last < first) return;
  const std::uint64_t count = std::min<std::uint64_t>(last - first + 1, options_.max_nak_range);
  Msg nak;
  nak.kind = Msg::Kind::send;
  nak.peer = to;
  nak.unreliable = true;
  HeaderSlot h = ctx.slot(nak);
  h.set(kKind, kNak);
  h.set(kOrigin, origin);
  h.set(kSeq, first);
  ByteWriter w(4);
  w.u32(static_cast<std::uint32_t>(count));
  nak.payload = w.finish();
  ctx.down(std::move(nak));
  ++stats_.naks_sent;
}

void Mnak::send_status(LayerContext& ctx) {
  Msg status;
  status.kind = Msg::Kind::cast;
  HeaderSlot h = ctx.slot(status);
  h.set(kKind, kStatus);
  h.set(kOrigin, me_);
  h.set(kSeq, sent_);
  ctx.down(std::move(status));
  ++stats_.status_sent;
}

Duration Mnak::jitter(Duration base, LayerContext& ctx) const {
  return ctx.rng().duration_between(base / 2, base + base / 2);
}

void Mnak::arm_repair(LayerContext& ctx) {
  if (repair_armed_) return;
  repair_armed_ = true;
  ctx.set_timer(kRepairTimer, options_.repair_tick);
}

void Mnak::arm_status(LayerContext& ctx) {
  if (status_armed_) return;
  status_armed_ = true;
  ctx.set_timer(kStatusTimer, jitter(options_.status_interval, ctx));
}

}  // namespace cohort::group
