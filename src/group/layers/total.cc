#include "cohort/group/layers/total.h"

#include <algorithm>

#include "cohort/core/bytes.h"

namespace cohort::group {

namespace {
constexpr std::uint64_t kData = 1, kOrder = 2, kAck = 3;
constexpr std::uint32_t kOrderTimer = 1, kAckTimer = 2;
constexpr std::size_t kMaxRuns = 65535;

// Whether `member` of `old` goes on to `next` straight from `old` (not by way
// of another view it moved to in between).
bool moves_on(const Endpoint& member, const View& old, const View& next) {
  Rank r = next.rank_of(member);
  if (r == kNoRank) return false;
  return next.previous.size() != next.size() || next.previous[r] == old.id;
}
}  // namespace

void Total::reset(std::shared_ptr<const View> view, LayerContext& ctx) {
  view_ = std::move(view);
  me_ = view_ ? view_->rank_of(ctx.self()) : kNoRank;
  waiting_.assign(view_ ? view_->size() : 0, {});
  order_.clear();
  orders_ = 0;
  committed_ = 0;
  to_announce_.clear();
  acked_.assign(view_ ? view_->size() : 0, 0);
  commit_sent_ = 0;
  blocked_ = false;
}

bool Total::sequencer(const LayerContext& ctx) const { return view_ && view_->members.front() == ctx.self(); }

void Total::down(Msg msg, LayerContext& ctx) {
  if (msg.kind == Msg::Kind::cast) ctx.slot(msg).set(0, kData);
  ctx.down(std::move(msg));
}

void Total::up(Msg msg, LayerContext& ctx) {
  if (msg.kind == Msg::Kind::direct || !view_ || msg.peer >= waiting_.size()) {
    ctx.up(std::move(msg));
    return;
  }
  const std::uint64_t kind = ctx.slot(msg).get(0);
  const bool cast = msg.kind == Msg::Kind::cast;
  if (cast && kind == kData) {
    on_data(std::move(msg), ctx);
  } else if (cast && kind == kOrder) {
    on_order(msg, ctx);
  } else if (!cast && kind == kAck) {
    on_ack(msg.peer, msg, ctx);
  } else {
    ctx.up(std::move(msg));
  }
}

void Total::on_data(Msg msg, LayerContext& ctx) {
  Rank origin = msg.peer;
  waiting_[origin].push_back(std::move(msg));
  if (sequencer(ctx) && !blocked_) {
    if (!to_announce_.empty() && to_announce_.back().origin == origin) {
      ++to_announce_.back().count;
    } else {
      to_announce_.push_back(Run{origin, 1});
    }
    arm_order(ctx);
  }
  deliver_ordered(ctx);
}

void Total::on_order(const Msg& msg, LayerContext& ctx) {
  ByteReader r(msg.payload);
  std::uint32_t ltime = r.u32();
  std::uint32_t commit_point = r.u32();
  std::size_t runs = r.u16();
  std::vector<Run> parsed;
  for (std::size_t i = 0; i < runs && i < kMaxRuns && !r.failed(); ++i) {
    Run run{r.u16(), r.u32()};
    parsed.push_back(run);
  }
  if (!r.finish().ok() || ltime != view_->id.ltime) return;
  // ORDERs come FIFO from the sequencer: those it says are committed are here.
  committed_ = std::max(committed_, std::min(commit_point, orders_));
  if (!parsed.empty()) {
    ++orders_;
    for (Run& run : parsed) {
      run.order = orders_;
      if (run.origin < waiting_.size() && run.count > 0) order_.push_back(run);
    }
    if (sequencer(ctx)) {
      acked_[me_] = orders_;
      try_commit(ctx);
    } else {
      send_ack(ctx);
    }
  }
  deliver_ordered(ctx);
}

void Total::on_ack(Rank from, const Msg& msg, LayerContext& ctx) {
  ByteReader r(msg.payload);
  std::uint32_t ltime = r.u32();
  std::uint32_t held = r.u32();
  if (!r.finish().ok() || ltime != view_->id.ltime || !sequencer(ctx) || from >= acked_.size()) return;
  acked_[from] = std::max(acked_[from], std::min(held, orders_));
  try_commit(ctx);
}

// The sequencer: ORDERs every member holds may be acted on; say so.
void Total::try_commit(LayerContext& ctx) {
  if (blocked_ || acked_.empty()) return;
  std::uint32_t everyone = *std::min_element(acked_.begin(), acked_.end());
  if (everyone > commit_sent_) arm_order(ctx);
}

void Total::send_ack(LayerContext& ctx) {
  if (me_ == kNoRank || orders_ <= committed_) return;
  Msg ack;
  ack.kind = Msg::Kind::send;
  ack.peer = 0;
  ack.unreliable = true;  // repeated on a timer until committed
  ctx.slot(ack).set(0, kAck);
  ByteWriter w(8);
  w.u32(view_->id.ltime);
  w.u32(orders_);
  ack.payload = w.finish();
  ctx.down(std::move(ack));
  if (!ack_timer_armed_) {
    ack_timer_armed_ = true;
    ctx.set_timer(kAckTimer, options_.ack_interval);
  }
}

void Total::deliver_ordered(LayerContext& ctx) {
  while (!order_.empty() && order_.front().order <= committed_) {
    Run& head = order_.front();
    std::deque<Msg>& q = waiting_[head.origin];
    if (q.empty()) return;
    ctx.up(std::move(q.front()));
    q.pop_front();
    if (--head.count == 0) order_.pop_front();
  }
}

// The view is ending; every member that moves on to `next` with this one holds
// the same casts, ORDERs and commit. Committed runs are delivered as announced
// (every member has those ORDERs, wherever it goes next). Uncommitted runs and
// the unordered rest are delivered only for origins that move on with us: any
// other member delivering them is in another partition, and delivers none of
// our origins' casts outside committed ORDERs.
void Total::finish_view(const View& next, LayerContext& ctx) {
  std::vector<bool> with_us(view_->size());
  for (std::size_t r = 0; r < with_us.size(); ++r) with_us[r] = moves_on(view_->members[r], *view_, next);
  for (Run& run : order_) {
    std::deque<Msg>& q = waiting_[run.origin];
    bool deliver = run.order <= committed_ || with_us[run.origin];
    for (std::uint32_t i = 0; i < run.count && !q.empty(); ++i) {
      if (deliver) ctx.up(std::move(q.front()));
      q.pop_front();
    }
  }
  order_.clear();
  for (std::size_t r = 0; r < waiting_.size(); ++r) {
    for (Msg& m : waiting_[r]) {
      if (with_us[r]) ctx.up(std::move(m));
    }
    waiting_[r].clear();
  }
}

void Total::arm_order(LayerContext& ctx) {
  if (order_timer_armed_) return;
  order_timer_armed_ = true;
  ctx.set_timer(kOrderTimer, options_.order_delay);
}

void Total::send_order(LayerContext& ctx) {
  if (blocked_ || !sequencer(ctx)) return;
  std::uint32_t everyone = acked_.empty() ? 0 : *std::min_element(acked_.begin(), acked_.end());
  if (to_announce_.empty() && everyone <= commit_sent_) return;
  commit_sent_ = std::max(commit_sent_, everyone);
  ByteWriter w(12 + 6 * to_announce_.size());
  w.u32(view_->id.ltime);
  w.u32(commit_sent_);
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
  if (key == kOrderTimer) {
    order_timer_armed_ = false;
    send_order(ctx);
  } else if (key == kAckTimer) {
    ack_timer_armed_ = false;
    if (!sequencer(ctx)) send_ack(ctx);
  }
}

void Total::up_event(const Event& event, LayerContext& ctx) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) {
    if (view_) finish_view(*v->view, ctx);
    reset(v->view, ctx);
  } else if (std::holds_alternative<BlockEvent>(event)) {
    blocked_ = true;  // an ORDER now could land in the next view
    to_announce_.clear();
  }
  ctx.up(event);
}

}  // namespace cohort::group
