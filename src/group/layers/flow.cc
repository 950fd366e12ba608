#include "cohort/group/layers/flow.h"

#include <algorithm>

namespace cohort::group {

namespace {
constexpr std::uint8_t kData = 1, kAckKind = 2;
constexpr std::size_t kKind = 0, kSeq = 1;
}  // namespace

void Flow::down(Msg msg, LayerContext& ctx) {
  if (msg.kind != Msg::Kind::cast || me_ == kNoRank) {
    ctx.down(std::move(msg));
    return;
  }
  if (!can_send_) ++stats_.overrun;
  HeaderSlot h = ctx.slot(msg);
  h.set(kKind, kData);
  h.set(kSeq, ++sent_);
  ctx.down(std::move(msg));
  update_window(ctx);
}

void Flow::up(Msg msg, LayerContext& ctx) {
  HeaderSlot h = ctx.slot(msg);
  std::uint64_t kind = h.get(kKind);
  if (kind == 0) {
    ctx.up(std::move(msg));
    return;
  }
  if (msg.peer >= members_.size()) return;  // ours, but from outside the view
  if (kind == kAckKind) {
    Member& m = members_[msg.peer];
    m.has_ours = std::max(m.has_ours, h.get(kSeq));
    update_window(ctx);
    return;
  }
  on_data(msg.peer, h.get(kSeq), ctx);
  ctx.up(std::move(msg));
}

void Flow::on_data(Rank origin, std::uint64_t seq, LayerContext& ctx) {
  Member& m = members_[origin];
  m.received = std::max(m.received, seq);
  if (origin == me_) {
    m.has_ours = m.received;  // our own loopback: no ack needed
    m.acked = m.received;
    update_window(ctx);
    return;
  }
  if (m.received - m.acked >= options_.ack_every) {
    send_acks(ctx);
  } else if (!ack_armed_) {
    ack_armed_ = true;
    ctx.set_timer(kAck, options_.ack_delay);
  }
}

void Flow::send_acks(LayerContext& ctx) {
  for (std::size_t r = 0; r < members_.size(); ++r) {
    Member& m = members_[r];
    if (r == me_ || m.received == m.acked) continue;
    m.acked = m.received;
    ++stats_.acks_sent;
    Msg ack;
    ack.kind = Msg::Kind::send;
    ack.peer = static_cast<Rank>(r);
    HeaderSlot h = ctx.slot(ack);
    h.set(kKind, kAckKind);
    h.set(kSeq, m.received);
    ctx.down(std::move(ack));
  }
}

void Flow::timer(std::uint32_t /*key*/, LayerContext& ctx) {
  ack_armed_ = false;
  send_acks(ctx);
}

std::uint64_t Flow::in_flight() const {
  std::uint64_t everyone = sent_;
  for (const Member& m : members_) everyone = std::min(everyone, m.has_ours);
  return sent_ - std::max(everyone, std::min(stable_, sent_));
}

void Flow::update_window(LayerContext& ctx) {
  bool can_send = in_flight() < options_.window;
  if (can_send == can_send_) return;
  can_send_ = can_send;
  if (!can_send) ++stats_.blocked;
  ctx.up(Event{FlowEvent{can_send}});
}

void Flow::up_event(const Event& event, LayerContext& ctx) {
  if (const auto* s = std::get_if<StableEvent>(&event); s != nullptr && me_ < s->stable.size()) {
    stable_ = std::max(stable_, s->stable[me_]);
    update_window(ctx);
  }
  ctx.up(event);
}

void Flow::down_event(const Event& event, LayerContext& ctx) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) reset(*v, ctx);
  ctx.down(event);
}

void Flow::reset(const ViewEvent& event, LayerContext& ctx) {
  me_ = event.view->rank_of(ctx.self());
  members_.assign(event.view->size(), Member{});
  sent_ = 0;
  stable_ = 0;
  ack_armed_ = false;
  ctx.cancel_timer(kAck);
  update_window(ctx);
}

}  // namespace cohort::group
