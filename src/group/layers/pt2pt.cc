#include "cohort/group/layers/pt2pt.h"

#include <algorithm>

namespace cohort::group {

namespace {

enum Field : std::size_t { kKind = 0, kSeq = 1 };
enum Kind : std::uint64_t { kData = 1, kAck = 2 };
constexpr std::uint32_t kRetransmitTimer = 1;

}  // namespace

std::vector<HeaderField> Pt2pt::header_fields() const { return {{"kind", 1}, {"seq", 4}}; }

std::size_t Pt2pt::unacked() const {
  std::size_t n = 0;
  for (const Peer& p : peers_) n += p.unacked.size();
  return n;
}

void Pt2pt::down(Msg msg, LayerContext& ctx) {
  // Sends to oneself loop back in the bottom and cannot be lost; unreliable
  // ones are retried by the layer that made them.
  if (msg.kind != Msg::Kind::send || msg.unreliable || me_ == kNoRank || msg.peer >= peers_.size() || msg.peer == me_) {
    ctx.down(std::move(msg));
    return;
  }
  Peer& p = peers_[msg.peer];
  HeaderSlot h = ctx.slot(msg);
  h.set(kKind, kData);
  h.set(kSeq, ++p.sent);
  p.unacked.push_back(Outgoing{msg, ctx.now()});
  ctx.down(std::move(msg));
  arm(ctx);
}

void Pt2pt::up(Msg msg, LayerContext& ctx) {
  HeaderSlot h = ctx.slot(msg);
  const std::uint64_t kind = h.get(kKind);
  if (kind == 0) {
    ctx.up(std::move(msg));
    return;
  }
  const std::uint64_t seq = h.get(kSeq);
  if (msg.kind != Msg::Kind::send || msg.peer >= peers_.size() || msg.peer == me_) return;
  if (kind == kData && seq != 0) {
    const Rank from = msg.peer;
    on_data(from, seq, std::move(msg), ctx);
    send_ack(from, ctx);
  } else if (kind == kAck) {
    on_ack(msg.peer, seq);
  }
}

void Pt2pt::down_event(const Event& event, LayerContext& ctx) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) {
    me_ = v->view ? v->view->rank_of(ctx.self()) : kNoRank;
    peers_.assign(v->view ? v->view->size() : 0, Peer{});
    for (Peer& p : peers_) p.rto = options_.retransmit_after;
  }
  ctx.down(event);
}

void Pt2pt::timer(std::uint32_t key, LayerContext& ctx) {
  if (key != kRetransmitTimer) return;
  armed_ = false;
  retransmit(ctx);
}

void Pt2pt::on_data(Rank from, std::uint64_t seq, Msg msg, LayerContext& ctx) {
  Peer& p = peers_[from];
  if (seq <= p.delivered || p.ahead.count(seq) != 0) {
    ++stats_.duplicates;
    return;
  }
  if (seq != p.delivered + 1) {
    if (p.ahead.size() >= options_.max_out_of_order) {
      ++stats_.over_limit;  // never acknowledged, so the sender sends it again
      return;
    }
    p.ahead.emplace(seq, std::move(msg));
    return;
  }
  p.delivered = seq;
  ctx.up(std::move(msg));
  while (!p.ahead.empty() && p.ahead.begin()->first == p.delivered + 1) {
    auto node = p.ahead.extract(p.ahead.begin());
    p.delivered = node.key();
    ctx.up(std::move(node.mapped()));
  }
}

void Pt2pt::on_ack(Rank from, std::uint64_t seq) {
  Peer& p = peers_[from];
  while (p.acked < seq && !p.unacked.empty()) {
    p.unacked.pop_front();
    ++p.acked;
  }
}

void Pt2pt::send_ack(Rank to, LayerContext& ctx) {
  Msg ack;
  ack.kind = Msg::Kind::send;
  ack.peer = to;
  HeaderSlot h = ctx.slot(ack);
  h.set(kKind, kAck);
  h.set(kSeq, peers_[to].delivered);
  ctx.down(std::move(ack));
}

void Pt2pt::retransmit(LayerContext& ctx) {
  const TimePoint now = ctx.now();
  bool pending = false;
  for (Peer& p : peers_) {
    std::size_t burst = 0;
    for (Outgoing& out : p.unacked) {
      if (burst == options_.max_burst) break;
      if (now - out.sent_at < p.rto) continue;
      out.sent_at = now;
      ctx.down(Msg(out.msg));
      ++burst;
      ++stats_.retransmits;
    }
    // A peer that acknowledged nothing since the last round (crashed, cut
    // off) is tried less and less often until it answers or the next view.
    if (burst != 0) {
      p.rto = p.acked == p.acked_at_retransmit ? std::min(p.rto * 2, options_.max_retransmit_after)
                                               : options_.retransmit_after;
      p.acked_at_retransmit = p.acked;
    }
    pending = pending || !p.unacked.empty();
  }
  if (pending) arm(ctx);
}

void Pt2pt::arm(LayerContext& ctx) {
  if (armed_) return;
  armed_ = true;
  ctx.set_timer(kRetransmitTimer, options_.tick);
}

}  // namespace cohort::group
