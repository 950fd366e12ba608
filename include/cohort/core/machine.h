// The uniform interface of every I/O-free protocol in cohort. A Machine takes
// events (start, a packet, a timer) with the current time passed in, and
// answers with Actions (packets to send, timers to set, observable outputs).
// It never touches a socket or a clock: a driver binds it to the event loop
// and real sockets, the simulator binds it to a simulated network and clock.
// Application calls are the protocol's own methods, taking `now` and Actions.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/clock.h"

namespace cohort {

using NodeId = std::uint32_t;
using TimerKey = std::uint64_t;

struct SendAction {
  NodeId to;
  Buffer bytes;
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

using Action = std::variant<SendAction, SetTimerAction, CancelTimerAction, OutputAction>;

// The batch of actions one event produced, applied by the driver in order.
class Actions {
 public:
  void send(NodeId to, Buffer bytes) { list_.push_back(SendAction{to, std::move(bytes)}); }
  void set_timer(TimerKey key, Duration after) { list_.push_back(SetTimerAction{key, after}); }
  void cancel_timer(TimerKey key) { list_.push_back(CancelTimerAction{key}); }
  void output(std::string record) { list_.push_back(OutputAction{std::move(record)}); }

  bool empty() const { return list_.empty(); }
  const std::vector<Action>& list() const { return list_; }
  std::vector<Action> take() { return std::move(list_); }

 private:
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
