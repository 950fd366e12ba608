#include "cohort/group/layers/total.h"

#include "cohort/core/bytes.h"

namespace cohort::group {

namespace {
constexpr std::uint64_t kData = 1, kOrder = 2;
constexpr std::uint32_t kOrderTimer = 1;
constexpr std::size_t kMaxRuns = 65535;
}  // namespace

void Total::reset(std::shared_ptr<const View> view) {
  view_ = std::move(view);
  waiting_.assign(view_ ? view_->size() : 0, {});
  order_.clear();
  to_announce_.clear();
  blocked_ = false;
}

bool Total::sequencer(const LayerContext& ctx) const { return view_ && view_->members.front() == ctx.self(); }

std::size_t Total::unordered() const {
  std::size_t n = 0;
  for (const auto& q : waiting_) n += q.size();
  return n;
}

void Total::down(Msg msg, LayerContext& ctx) {
  if (msg.kind == Msg::Kind::cast) ctx.slot(msg).set(0, kData);
  ctx.down(std::move(msg));
}

void Total::up(Msg msg, LayerContext& ctx) {
  if (msg.kind != Msg::Kind::cast || !view_ || msg.peer >= waiting_.size()) {
    ctx.up(std::move(msg));
    return;
  }
  std::uint64_t kind = ctx.slot(msg).get(0);
  if (kind == kOrder) {
    on_order(msg);
  } else if (kind == kData) {
    Rank origin = msg.peer;
    waiting_[origin].push_back(std::move(msg));
    if (sequencer(ctx) && !blocked_) {
      if (!to_announce_.empty() && to_announce_.back().origin == origin) {
        ++to_announce_.back().count;
      } else {
        to_announce_.push_back(Run{origin, 1});
      }
      if (!order_timer_armed_) {
        order_timer_armed_ = true;
        ctx.set_timer(kOrderTimer, options_.order_delay);
      }
    }
  } else {
    ctx.up(std::move(msg));
    return;
  }
  deliver_ordered(ctx);
}

void Total::on_order(const Msg& msg) {
  ByteReader r(msg.payload);
  std::uint32_t ltime = r.u32();
  std::size_t runs = r.u16();
  std::vector<Run> parsed;
  for (std::size_t i = 0; i < runs && i < kMaxRuns && !r.failed(); ++i) {
    Run run{r.u16(), r.u32()};
    parsed.push_back(run);
  }
  if (!r.finish().ok() || ltime != view_->id.ltime) return;
  for (const Run& run : parsed) {
    if (run.origin < waiting_.size() && run.count > 0) order_.push_back(run);
  }
}

void Total::deliver_ordered(LayerContext& ctx) {
  while (!order_.empty()) {
    Run& head = order_.front();
    std::deque<Msg>& q = waiting_[head.origin];
    if (q.empty()) return;
    ctx.up(std::move(q.front()));
    q.pop_front();
    if (--head.count == 0) order_.pop_front();
  }
}

// The view is ending and every member that moves on holds the same casts:
// what the sequencer did not order goes up in a fixed order.
void Total::deliver_rest(LayerContext& ctx) {
  deliver_ordered(ctx);
  order_.clear();
  for (auto& q : waiting_) {
    while (!q.empty()) {
      ctx.up(std::move(q.front()));
      q.pop_front();
    }
  }
}

void Total::send_order(LayerContext& ctx) {
  if (to_announce_.empty() || blocked_ || !view_) return;
  ByteWriter w(8 + 6 * to_announce_.size());
  w.u32(view_->id.ltime);
  w.u16(static_cast<std::uint16_t>(to_announce_.size()));
  for (const Run& run : to_announce_) {
    w.u16(run.origin);
    w.u32(run.count);
  }
  to_announce_.clear();
  Msg msg;
  msg.kind = Msg::Kind::cast;
  msg.payload = w.finish();
  ctx.slot(msg).set(0, kOrder);
  ctx.down(std::move(msg));
}

void Total::timer(std::uint32_t key, LayerContext& ctx) {
  if (key != kOrderTimer) return;
  order_timer_armed_ = false;
  send_order(ctx);
}

void Total::up_event(const Event& event, LayerContext& ctx) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) {
    deliver_rest(ctx);
    reset(v->view);
  } else if (std::holds_alternative<BlockEvent>(event)) {
    blocked_ = true;  // an ORDER now could land in the next view
    to_announce_.clear();
  }
  ctx.up(event);
}

}  // namespace cohort::group
