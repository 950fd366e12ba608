#include "cohort/group/stack.h"

#include <fmt/format.h>

#include <cassert>

namespace cohort::group {

void Layer::down(Msg msg, LayerContext& ctx) { ctx.down(std::move(msg)); }
void Layer::up(Msg msg, LayerContext& ctx) { ctx.up(std::move(msg)); }
void Layer::down_event(const Event& event, LayerContext& ctx) { ctx.down(event); }
void Layer::up_event(const Event& event, LayerContext& ctx) { ctx.up(event); }

namespace {
// Layer timers become Machine timers tagged with the layer's index.
TimerKey machine_timer(std::size_t layer, std::uint32_t key) {
  return (static_cast<TimerKey>(layer) << 32) | key;
}
}  // namespace

class Stack::Context final : public LayerContext {
 public:
  Context(Stack& stack, std::size_t index) : stack_(stack), index_(index) {}

  void down(Msg msg) override { stack_.enqueue(Work{Work::Kind::msg_down, index_ + 1, std::move(msg), {}}); }
  void up(Msg msg) override {
    stack_.enqueue(Work{Work::Kind::msg_up, index_ == 0 ? kToApp : index_ - 1, std::move(msg), {}});
  }
  void down(Event event) override {
    stack_.enqueue(Work{Work::Kind::event_down, index_ + 1, {}, std::move(event)});
  }
  void up(Event event) override {
    stack_.enqueue(Work{Work::Kind::event_up, index_ == 0 ? kToApp : index_ - 1, {}, std::move(event)});
  }
  void set_timer(std::uint32_t key, Duration after) override {
    stack_.out_->set_timer(machine_timer(index_, key), after);
  }
  void cancel_timer(std::uint32_t key) override { stack_.out_->cancel_timer(machine_timer(index_, key)); }
  TimePoint now() const override { return stack_.now_; }
  Rng& rng() override { return stack_.rng_; }
  const Endpoint& self() const override { return stack_.self_; }
  HeaderSlot slot(Msg& msg) override {
    return HeaderSlot(msg.header, stack_.offsets_[index_], stack_.fields_[index_]);
  }
  std::size_t header_bytes() const override { return stack_.header_bytes_; }
  void transmit(NodeId to, Buffer bytes) override { stack_.out_->send(to, std::move(bytes)); }
  void output(std::string record) override { stack_.out_->output(std::move(record)); }
  void multicast(ChannelId channel, Buffer bytes) override { stack_.out_->multicast(channel, std::move(bytes)); }
  void join_channel(ChannelId channel) override { stack_.out_->join_channel(channel); }

  static constexpr std::size_t kToApp = static_cast<std::size_t>(-1);

 private:
  Stack& stack_;
  std::size_t index_;
};

Stack::Stack(std::vector<std::unique_ptr<Layer>> layers, Endpoint self, Rng rng, StackTop& top)
    : layers_(std::move(layers)), self_(self), rng_(rng), top_(top) {
  assert(!layers_.empty() && dynamic_cast<BottomLayer*>(layers_.back().get()) != nullptr);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    contexts_.push_back(std::make_unique<Context>(*this, i));
    fields_.push_back(layers_[i]->header_fields());
    std::vector<std::size_t> offsets;
    for (const HeaderField& f : fields_.back()) {
      offsets.push_back(header_bytes_);
      header_bytes_ += f.bytes;
    }
    offsets_.push_back(std::move(offsets));
  }
  assert(header_bytes_ <= kMaxHeaderBytes);
  static_cast<BottomLayer&>(*layers_.back()).set_header_bytes(header_bytes_);
}

Stack::~Stack() = default;

std::size_t Stack::wire_header_bytes() const {
  return header_bytes_ + static_cast<const BottomLayer&>(*layers_.back()).envelope_bytes();
}

std::string Stack::describe_header() const {
  std::string out;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    for (const HeaderField& f : fields_[i]) {
      out += fmt::format("{}{}.{}:{}", out.empty() ? "" : " ", layers_[i]->name(), f.name, f.bytes);
    }
  }
  return out;
}

void Stack::start(TimePoint now, Actions& out) {
  now_ = now;
  out_ = &out;
  for (std::size_t i = layers_.size(); i-- > 0;) layers_[i]->start(*contexts_[i]);
  run(now, out);
}

void Stack::cast(TimePoint now, Buffer payload, Actions& out) {
  Msg msg;
  msg.kind = Msg::Kind::cast;
  msg.payload = std::move(payload);
  enqueue(Work{Work::Kind::msg_down, 0, std::move(msg), {}});
  run(now, out);
}

void Stack::send(TimePoint now, Rank to, Buffer payload, Actions& out) {
  Msg msg;
  msg.kind = Msg::Kind::send;
  msg.peer = to;
  msg.payload = std::move(payload);
  enqueue(Work{Work::Kind::msg_down, 0, std::move(msg), {}});
  run(now, out);
}

void Stack::down_event(TimePoint now, Event event, Actions& out) {
  enqueue(Work{Work::Kind::event_down, 0, {}, std::move(event)});
  run(now, out);
}

void Stack::receive(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) {
  now_ = now;
  out_ = &out;
  std::size_t bottom = layers_.size() - 1;
  static_cast<BottomLayer&>(*layers_[bottom]).receive(from, bytes, *contexts_[bottom]);
  run(now, out);
}

void Stack::timer(TimePoint now, TimerKey key, Actions& out) {
  auto layer = static_cast<std::size_t>(key >> 32);
  if (layer >= layers_.size()) return;
  Work work{Work::Kind::timer, layer, {}, {}};
  work.timer_key = static_cast<std::uint32_t>(key);
  enqueue(std::move(work));
  run(now, out);
}

void Stack::run(TimePoint now, Actions& out) {
  if (running_) return;  // the outer run drains what was queued
  running_ = true;
  now_ = now;
  out_ = &out;
  while (!queue_.empty()) {
    Work work = std::move(queue_.front());
    queue_.pop_front();
    dispatch(work);
  }
  running_ = false;
}

void Stack::dispatch(Work& work) {
  if (work.layer == Context::kToApp) {
    if (work.kind == Work::Kind::msg_up) top_.deliver(work.msg, *out_);
    if (work.kind == Work::Kind::event_up) top_.event(work.event, *out_);
    return;
  }
  if (work.layer >= layers_.size()) return;  // below the bottom: nothing there
  Layer& layer = *layers_[work.layer];
  LayerContext& ctx = *contexts_[work.layer];
  switch (work.kind) {
    case Work::Kind::msg_down:
      layer.down(std::move(work.msg), ctx);
      break;
    case Work::Kind::msg_up:
      layer.up(std::move(work.msg), ctx);
      break;
    case Work::Kind::event_down:
      layer.down_event(work.event, ctx);
      break;
    case Work::Kind::event_up:
      layer.up_event(work.event, ctx);
      break;
    case Work::Kind::timer:
      layer.timer(work.timer_key, ctx);
      break;
  }
}

}  // namespace cohort::group
