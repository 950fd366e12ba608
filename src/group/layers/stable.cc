#include "cohort/group/layers/stable.h"

#include <algorithm>

#include "cohort/core/bytes.h"

namespace cohort::group {

namespace {

enum Kind : std::uint64_t { kGossip = 1, kReply = 2 };
constexpr std::uint32_t kGossipTimer = 1;

bool any_below(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] < b[i]) return true;
  }
  return false;
}

}  // namespace

void Stable::up(Msg msg, LayerContext& ctx) {
  const std::uint64_t kind = ctx.slot(msg).get(0);
  if (me_ == kNoRank || msg.peer >= rows_.size()) {
    if (kind == 0) ctx.up(std::move(msg));
    return;
  }
  if (kind == 0) {
    if (msg.kind == Msg::Kind::cast) ++rows_[me_][msg.peer];
    ctx.up(std::move(msg));
    return;
  }
  if (msg.kind == Msg::Kind::send && (kind == kGossip || kind == kReply)) {
    on_gossip(msg.peer, kind == kReply, msg.payload, ctx);
  }
}

void Stable::down_event(const Event& event, LayerContext& ctx) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) {
    reset(v->view.get(), ctx);
  } else if (std::holds_alternative<StableQueryEvent>(event)) {
    if (me_ != kNoRank) ctx.up(StableEvent{stable_, mine()});
    return;  // answered here; nobody below would
  }
  ctx.down(event);
}

void Stable::timer(std::uint32_t key, LayerContext& ctx) {
  if (key != kGossipTimer) return;
  armed_ = false;
  if (me_ == kNoRank) return;
  update_stable(ctx);
  // Quiet once every cast this member has is stable and it said so.
  if (mine() != last_sent_ || stable_ != mine()) {
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      if (r != me_) gossip(kGossip, static_cast<Rank>(r), ctx);
    }
    last_sent_ = mine();
  }
  armed_ = true;
  ctx.set_timer(kGossipTimer, ctx.rng().duration_between(options_.gossip_interval * 3 / 4,
                                                         options_.gossip_interval * 5 / 4));
}

void Stable::reset(const View* view, LayerContext& ctx) {
  const std::size_t n = view != nullptr ? view->size() : 0;
  me_ = view != nullptr ? view->rank_of(ctx.self()) : kNoRank;
  rows_.assign(n, std::vector<std::uint64_t>(n, 0));
  stable_.assign(n, 0);
  last_sent_.assign(n, 0);
  if (me_ != kNoRank && !armed_) {
    armed_ = true;
    ctx.set_timer(kGossipTimer, options_.gossip_interval);
  }
}

// Payload: the sender's row, then its stable vector, u32 each.
void Stable::gossip(std::uint64_t kind, Rank to, LayerContext& ctx) {
  Msg msg;
  msg.kind = Msg::Kind::send;
  msg.peer = to;
  msg.unreliable = true;  // gossip repeats until everything is stable
  ctx.slot(msg).set(0, kind);
  ByteWriter w(8 * rows_.size());
  for (std::uint64_t v : mine()) w.u32(static_cast<std::uint32_t>(v));
  for (std::uint64_t v : stable_) w.u32(static_cast<std::uint32_t>(v));
  msg.payload = w.finish();
  ctx.down(std::move(msg));
  ++(kind == kGossip ? stats_.gossip_sent : stats_.replies_sent);
}

void Stable::on_gossip(Rank from, bool is_reply, const Buffer& payload, LayerContext& ctx) {
  const std::size_t n = rows_.size();
  ByteReader r(payload);
  std::vector<std::uint64_t> row(n), their_stable(n);
  for (auto& v : row) v = r.u32();
  for (auto& v : their_stable) v = r.u32();
  if (!r.finish().ok() || from == me_) {
    ++stats_.malformed;
    return;
  }
  for (std::size_t i = 0; i < n; ++i) rows_[from][i] = std::max(rows_[from][i], row[i]);
  update_stable(ctx);
  // The sender does not yet know all this member has: tell it, once per ask.
  if (!is_reply && any_below(their_stable, mine())) gossip(kReply, from, ctx);
}

void Stable::update_stable(LayerContext& ctx) {
  std::vector<std::uint64_t> next = mine();
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < next.size(); ++i) next[i] = std::min(next[i], row[i]);
  }
  if (next == stable_) return;
  stable_ = std::move(next);
  ctx.down(StableEvent{stable_, mine()});
  ctx.up(StableEvent{stable_, mine()});
}

}  // namespace cohort::group
