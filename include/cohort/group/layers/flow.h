// flow: credit-based flow control for casts. A member may have at most
// `window` of its casts not yet known to be received by every member of the
// view. Knowledge comes from the layer's own acknowledgements: each member
// sends the origin, at least every ack_every casts and ack_delay after any
// unacknowledged one, how many of its casts it has received. A StableEvent
// passing up (from a stability layer below) counts as well.
//
// When a cast fills the window, FlowEvent{can_send=false} goes up; when
// acknowledgements free a slot, FlowEvent{true}. The layer queues nothing:
// GroupMachine::cast refuses with would_block in between. Casts that arrive
// while the window is full anyway (a caller ignoring FlowEvent) pass and are
// counted in stats().overrun. Sits above the reliable layers (its acks are
// sends and must not be lost) and below nothing that casts on its own.
// A new view resets the counts and reopens the window.
//
// Header slot: kind:1 (1 data cast, 2 ack), seq:4 (data: the cast's number
// from 1; ack: casts received from the destination).
#pragma once

#include <vector>

#include "cohort/group/layer.h"

namespace cohort::group {

struct FlowOptions {
  std::uint64_t window = 64;
  std::uint64_t ack_every = 16;
  Duration ack_delay = std::chrono::milliseconds(5);
};

struct FlowStats {
  std::uint64_t blocked = 0;  // times the window filled
  std::uint64_t acks_sent = 0;
  std::uint64_t overrun = 0;
};

class Flow final : public Layer {
 public:
  explicit Flow(FlowOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "flow"; }
  std::vector<HeaderField> header_fields() const override { return {{"kind", 1}, {"seq", 4}}; }
  void down(Msg msg, LayerContext& ctx) override;
  void up(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;
  void up_event(const Event& event, LayerContext& ctx) override;
  void timer(std::uint32_t key, LayerContext& ctx) override;

  const FlowStats& stats() const { return stats_; }

 private:
  // Per member of the view.
  struct Member {
    std::uint64_t received = 0;  // its casts received here
    std::uint64_t acked = 0;     // of those, acknowledged to it
    std::uint64_t has_ours = 0;  // our casts it has acknowledged
  };
  static constexpr std::uint32_t kAck = 1;

  void reset(const ViewEvent& event, LayerContext& ctx);
  void on_data(Rank origin, std::uint64_t seq, LayerContext& ctx);
  void send_acks(LayerContext& ctx);
  void update_window(LayerContext& ctx);
  std::uint64_t in_flight() const;

  FlowOptions options_;
  Rank me_ = kNoRank;
  std::vector<Member> members_;
  std::uint64_t sent_ = 0;
  std::uint64_t stable_ = 0;  // our casts known stable from StableEvent
  bool can_send_ = true;
  bool ack_armed_ = false;
  FlowStats stats_;
};

}  // namespace cohort::group
