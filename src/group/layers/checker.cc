#include "cohort/group/layers/checker.h"

#include <fmt/format.h>

#include "cohort/core/bytes.h"

namespace cohort::group {

namespace {

constexpr std::uint64_t kData = 1, kSummary = 2;
constexpr std::size_t kKind = 0, kSeq = 1;
constexpr std::uint32_t kGossipTimer = 1;

// splitmix64's finaliser: a bijection that spreads every input bit.
std::uint64_t mix(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void put(ByteWriter& w, const ViewDigest& d) {
  w.u32(d.view.ltime);
  w.u32(d.view.coordinator.node);
  w.u32(d.view.coordinator.incarnation);
  w.u64(d.count);
  w.u64(d.chain);
  w.u64(d.set);
}

ViewDigest get_digest(ByteReader& r) {
  ViewDigest d;
  d.view.ltime = r.u32();
  d.view.coordinator.node = r.u32();
  d.view.coordinator.incarnation = r.u32();
  d.count = r.u64();
  d.chain = r.u64();
  d.set = r.u64();
  return d;
}

}  // namespace

void ViewDigest::add(std::uint64_t cast_hash) {
  ++count;
  chain = mix(chain ^ cast_hash);
  set += cast_hash;
}

// Layout: current digest, u8 1 if a previous digest follows, previous digest.
// A digest: u32 ltime, u32 node, u32 incarnation (the view id), u64 count,
// u64 chain, u64 set.
Buffer encode_check_summary(const CheckSummary& summary) {
  ByteWriter w(73);
  put(w, summary.current);
  w.u8(summary.previous ? 1 : 0);
  if (summary.previous) put(w, *summary.previous);
  return w.finish();
}

Result<CheckSummary> decode_check_summary(const Buffer& bytes) {
  ByteReader r(bytes);
  CheckSummary s;
  s.current = get_digest(r);
  std::uint8_t has_previous = r.u8();
  if (has_previous > 1) r.fail(Errc::malformed, "checker summary: bad previous-view flag");
  if (has_previous == 1) s.previous = get_digest(r);
  if (Status st = r.finish(); !st) return st.error();
  return s;
}

void Checker::start(LayerContext& ctx) {
  if (gossips_) ctx.set_timer(kGossipTimer, options_.gossip_interval);
}

void Checker::down(Msg msg, LayerContext& ctx) {
  if (msg.kind == Msg::Kind::cast) {
    HeaderSlot h = ctx.slot(msg);
    h.set(kKind, kData);
    h.set(kSeq, ++next_seq_);
  }
  ctx.down(std::move(msg));
}

void Checker::up(Msg msg, LayerContext& ctx) {
  HeaderSlot h = ctx.slot(msg);
  const std::uint64_t kind = h.get(kKind);
  const bool in_view = view_ && msg.peer < view_->size();
  if (kind == kSummary) {
    if (msg.kind == Msg::Kind::send && in_view) on_summary(msg.peer, msg.payload, ctx);
    return;
  }
  if (kind == kData && msg.kind == Msg::Kind::cast && in_view) {
    Cast cast{view_->members[msg.peer], static_cast<std::uint32_t>(h.get(kSeq))};
    const std::uint64_t origin = (std::uint64_t{cast.origin.node} << 32) | cast.origin.incarnation;
    current_.add(mix(mix(origin) ^ cast.seq));
    ++stats_.deliveries;
    delivered(cast, ctx);
  }
  ctx.up(std::move(msg));
}

// The view arrives going down in stacks without a membership layer (and
// below one), going up above one; either way it is handled once.
void Checker::down_event(const Event& event, LayerContext& ctx) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) on_view(v->view, ctx);
  ctx.down(event);
}

void Checker::up_event(const Event& event, LayerContext& ctx) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) on_view(v->view, ctx);
  ctx.up(event);
}

void Checker::on_view(const std::shared_ptr<const View>& view, LayerContext& ctx) {
  if (view_ && view->id == view_->id) return;
  if (view_) {
    view_ending(ctx);
    previous_ = current_;
  }
  view_ = view;
  current_ = ViewDigest{view->id};
  gossiped_count_ = 0;
  repeats_ = 0;
}

void Checker::on_summary(Rank from, const Buffer& payload, LayerContext& ctx) {
  auto summary = decode_check_summary(payload);
  if (!summary) {
    ++stats_.malformed;
    return;
  }
  if (summary->current.view != current_.view) return;  // a view this member has left or not reached
  compare(view_->members[from], *summary, ctx);
}

void Checker::timer(std::uint32_t key, LayerContext& ctx) {
  if (key != kGossipTimer) return;
  ctx.set_timer(kGossipTimer, options_.gossip_interval);
  if (view_ && (current_.count != gossiped_count_ || repeats_ < options_.gossip_repeats)) gossip(ctx);
}

void Checker::gossip(LayerContext& ctx) {
  const Rank me = view_->rank_of(ctx.self());
  if (me == kNoRank) return;
  gossiped_count_ = current_.count;
  ++repeats_;
  Buffer payload = encode_check_summary(CheckSummary{current_, previous_});
  for (std::size_t r = 0; r < view_->size(); ++r) {
    if (r == me) continue;
    Msg msg;
    msg.kind = Msg::Kind::send;
    msg.peer = static_cast<Rank>(r);
    msg.unreliable = true;  // repeated by the next summary
    msg.payload = payload;
    ctx.slot(msg).set(kKind, kSummary);
    ctx.down(std::move(msg));
    ++stats_.summaries_sent;
  }
}

void Checker::report(const std::string& what, LayerContext& ctx) {
  ++stats_.violations;
  std::string record = fmt::format("{} violation: member {}: {}", name(), ctx.self().to_string(), what);
  if (reports_.size() < kMaxReports) reports_.push_back(record);
  ctx.output(std::move(record));
}

}  // namespace cohort::group
