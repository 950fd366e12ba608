// The uniform interface of group micro-protocols (Ensemble's layers). A layer
// is an I/O-free object in a stack: messages and control events come to it
// from above (down) and from below (up); it handles them and passes on what
// it wants through its LayerContext. It asks for wake-ups with timers and
// reads the time from the context; it never touches a socket or a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/clock.h"
#include "cohort/core/rng.h"
#include "cohort/group/header.h"
#include "cohort/group/types.h"

namespace cohort::group {

// The largest message (cast or send payload) the group accepts: an explicit
// limit so that reassembly memory is bounded; larger ones are refused.
inline constexpr std::size_t kMaxMessageBytes = std::size_t{64} << 20;

struct Msg {
  // direct: a message to or from an endpoint outside the current view
  // (membership traffic between views), addressed by endpoint, not rank.
  enum class Kind : std::uint8_t { cast = 1, send = 2, direct = 3 };
  Kind kind = Kind::cast;
  Rank peer = kNoRank;  // going down: the destination of a send; going up: the origin
  Endpoint endpoint;    // direct only: going down the destination, going up the source
  // Sends going down: the layer above retries this itself (repair traffic,
  // gossip), so reliable layers below must not queue it (Ensemble's
  // ESendUnrel). Not carried on the wire.
  bool unreliable = false;
  HeaderBlock header;
  Buffer payload;
};

// A new view: goes down from the membership layer (lower layers reset their
// per-view state) and up to the application.
struct ViewEvent {
  std::shared_ptr<const View> view;
};
// Up from the failure detector: these ranks of the current view are suspected.
struct SuspectEvent {
  std::vector<Rank> ranks;
};
// Up to the application: stop casting until the next view; answered by BlockOk.
struct BlockEvent {};
struct BlockOkEvent {};
// Up from the stability layer: per origin rank, how many casts of the current
// view every member has received (stable) and this member has received.
struct StableEvent {
  std::vector<std::uint64_t> stable;
  std::vector<std::uint64_t> received;
};
// Down from the application: leave the group gracefully.
struct LeaveEvent {};
// Down from the membership layer during a flush: deliver up, for every origin
// rank r, casts 1..cut[r] of the current view, fetching missing ones from any
// member that has them (the origin may be gone). Answered by CutReachedEvent.
struct CutEvent {
  std::vector<std::uint64_t> cut;
};
struct CutReachedEvent {};
// Down: ask the stability layer for a StableEvent now.
struct StableQueryEvent {};
// Up to the application: whether casts are accepted (credit flow control).
struct FlowEvent {
  bool can_send = true;
};

using Event = std::variant<ViewEvent, SuspectEvent, BlockEvent, BlockOkEvent, StableEvent, LeaveEvent,
                           CutEvent, CutReachedEvent, StableQueryEvent, FlowEvent>;

class LayerContext;

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string_view name() const = 0;
  // The fields of this layer's header slot, in order.
  virtual std::vector<HeaderField> header_fields() const { return {}; }

  virtual void start(LayerContext& /*ctx*/) {}
  virtual void down(Msg msg, LayerContext& ctx);
  virtual void up(Msg msg, LayerContext& ctx);
  virtual void down_event(const Event& event, LayerContext& ctx);
  virtual void up_event(const Event& event, LayerContext& ctx);
  virtual void timer(std::uint32_t /*key*/, LayerContext& /*ctx*/) {}
};

// What a layer may do. Calls queue work; the stack runs the queue in order,
// so a layer is never re-entered while it is handling something.
class LayerContext {
 public:
  virtual ~LayerContext() = default;
  virtual void down(Msg msg) = 0;
  virtual void up(Msg msg) = 0;
  virtual void down(Event event) = 0;
  virtual void up(Event event) = 0;
  virtual void set_timer(std::uint32_t key, Duration after) = 0;
  virtual void cancel_timer(std::uint32_t key) = 0;
  virtual TimePoint now() const = 0;
  virtual Rng& rng() = 0;
  virtual const Endpoint& self() const = 0;
  // This layer's header slot in `msg`.
  virtual HeaderSlot slot(Msg& msg) = 0;
  // Size of the stack's packed header block, for layers that carry whole
  // blocks inside a payload (batch).
  virtual std::size_t header_bytes() const = 0;
  // Only for the bottom layer: a datagram to a node, a datagram to every
  // other node on a multicast channel, and joining that channel.
  virtual void transmit(NodeId to, Buffer bytes) = 0;
  virtual void multicast(ChannelId channel, Buffer bytes) = 0;
  virtual void join_channel(ChannelId channel) = 0;
  // An observable record for the host (the simulator's history, a driver's
  // log): how checker layers report violations without doing I/O.
  virtual void output(std::string record) = 0;
};

// The lowest layer turns messages into datagrams and back.
class BottomLayer : public Layer {
 public:
  virtual void receive(NodeId from, const Buffer& bytes, LayerContext& ctx) = 0;
  // Bytes the bottom adds to every datagram besides the packed header block.
  virtual std::size_t envelope_bytes() const = 0;
  // Set once by the stack after packing every layer's fields.
  void set_header_bytes(std::size_t bytes) { header_bytes_ = bytes; }

 protected:
  std::size_t header_bytes_ = 0;
};

}  // namespace cohort::group
