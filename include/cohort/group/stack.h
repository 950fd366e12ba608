// A protocol stack: layers from the top (index 0, just below the application)
// to the bottom (a BottomLayer). The stack packs all layers' header fields
// into one block once (virtual headers), routes messages and events between
// layers through one FIFO work queue, and maps layer timers to Machine
// timers. It is I/O-free: each entry point takes the time and an Actions sink.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cohort/core/machine.h"
#include "cohort/group/layer.h"

namespace cohort::group {

// What reaches the application from the top of the stack.
class StackTop {
 public:
  virtual ~StackTop() = default;
  virtual void deliver(const Msg& msg, Actions& out) = 0;
  virtual void event(const Event& event, Actions& out) = 0;
};

class Stack {
 public:
  // REQUIRES: layers non-empty, the last one a BottomLayer, total header
  // fields within kMaxHeaderBytes (checked by make_stack).
  Stack(std::vector<std::unique_ptr<Layer>> layers, Endpoint self, Rng rng, StackTop& top);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  void start(TimePoint now, Actions& out);
  void cast(TimePoint now, Buffer payload, Actions& out);
  void send(TimePoint now, Rank to, Buffer payload, Actions& out);
  void down_event(TimePoint now, Event event, Actions& out);
  void receive(TimePoint now, NodeId from, const Buffer& bytes, Actions& out);
  void timer(TimePoint now, TimerKey key, Actions& out);

  std::size_t header_bytes() const { return header_bytes_; }
  // Header bytes a data message carries on the wire (block + envelope).
  std::size_t wire_header_bytes() const;
  // "layer.field:bytes ..." in packing order.
  std::string describe_header() const;
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }

 private:
  class Context;
  struct Work {
    enum class Kind : std::uint8_t { msg_down, msg_up, event_down, event_up, timer };
    Kind kind;
    std::size_t layer;  // the layer that handles it; layers_.size() means "past the end"
    Msg msg;
    Event event;
    std::uint32_t timer_key = 0;
  };

  void enqueue(Work work) { queue_.push_back(std::move(work)); }
  void run(TimePoint now, Actions& out);
  void dispatch(Work& work);

  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<std::vector<HeaderField>> fields_;
  std::vector<std::vector<std::size_t>> offsets_;
  std::size_t header_bytes_ = 0;
  Endpoint self_;
  Rng rng_;
  StackTop& top_;
  std::deque<Work> queue_;
  TimePoint now_{};
  Actions* out_ = nullptr;
  bool running_ = false;
};

}  // namespace cohort::group
