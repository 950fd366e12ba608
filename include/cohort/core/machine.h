// The uniform interface of every I/O-free protocol in cohort. A Machine takes
// events (start, a packet, a timer) with the current time passed in, and
// answers with Actions (packets to send, timers to set, observable outputs).
// It never touches a socket or a clock: a driver binds it to the event loop
// and real sockets, the simulator binds it to a simulated network and clock.
// Application calls are the protocol's own methods, taking `now` and Actions.
//
// Multicast goes to numbered channels, not addresses: a machine joins a
// channel and multicasts one datagram to it; the driver maps each channel to
// an IP multicast group (the simulator to its joined nodes). A multicast
// reaches every other node that joined the channel, never the sender itself,
// and arrives through on_packet with the sender's NodeId, like a unicast.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/clock.h"

namespace cohort {

using NodeId = std::uint32_t;
using TimerKey = std::uint64_t;
using ChannelId = std::uint32_t;

struct SendAction {
  NodeId to;
  Buffer bytes;
};
// One datagram to every other node that joined `channel`.
struct MulticastAction {
  ChannelId channel;
  Buffer bytes;
};
// Receive the channel's multicasts from now on (joining twice is joining once).
struct JoinChannelAction {
  ChannelId channel;
};
struct LeaveChannelAction {
  ChannelId channel;
};
// Setting a key that is already armed re-arms it.
struct SetTimerAction {
  TimerKey key;
  Duration after;
};
struct CancelTimerAction {
  TimerKey key;
};
// Something the protocol did that an observer may check (a delivery, say),
// as one line of text; the simulator records these into the history.
struct OutputAction {
  std::string record;
};

using Action = std::variant<SendAction, MulticastAction, JoinChannelAction, LeaveChannelAction, SetTimerAction,
                            CancelTimerAction, OutputAction>;

// The batch of actions one event produced, applied by the driver in order.
class Actions {
 public:
  void send(NodeId to, Buffer bytes) { add<SendAction>(to, std::move(bytes)); }
  void multicast(ChannelId channel, Buffer bytes) { add<MulticastAction>(channel, std::move(bytes)); }
  void join_channel(ChannelId channel) { add<JoinChannelAction>(channel); }
  void leave_channel(ChannelId channel) { add<LeaveChannelAction>(channel); }
  void set_timer(TimerKey key, Duration after) { add<SetTimerAction>(key, after); }
  void cancel_timer(TimerKey key) { add<CancelTimerAction>(key); }
  void output(std::string record) { add<OutputAction>(std::move(record)); }

  bool empty() const { return list_.empty(); }
  const std::vector<Action>& list() const { return list_; }
  std::vector<Action> take() { return std::move(list_); }

 private:
  // Built in place: moving a whole variant here trips GCC 12's
  // -Wmaybe-uninitialized at -O3.
  template <typename A, typename... Args>
  void add(Args&&... args) {
    list_.emplace_back(std::in_place_type<A>, A{std::forward<Args>(args)...});
  }

  std::vector<Action> list_;
};

class Machine {
 public:
  virtual ~Machine() = default;
  virtual void start(TimePoint now, Actions& out) = 0;
  virtual void on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) = 0;
  virtual void on_timer(TimePoint now, TimerKey key, Actions& out) = 0;
};

}  // namespace cohort
