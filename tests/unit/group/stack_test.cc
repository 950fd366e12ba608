// The stack framework: virtual headers packed once, messages routed through
// layers in order, casts fanned out and looped back by the bottom.
#include "cohort/group/stack.h"

#include <gtest/gtest.h>

#include "cohort/group/group_machine.h"
#include "cohort/group/layers/bottom.h"

namespace cohort::group {
namespace {

// A layer with a two-field header that stamps casts going down and checks
// the stamp coming up.
class Stamp final : public Layer {
 public:
  explicit Stamp(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  std::vector<HeaderField> header_fields() const override { return {{"kind", 1}, {"seq", 4}}; }
  void down(Msg msg, LayerContext& ctx) override {
    HeaderSlot h = ctx.slot(msg);
    h.set(0, 7);
    h.set(1, ++sent_);
    ctx.down(std::move(msg));
  }
  void up(Msg msg, LayerContext& ctx) override {
    HeaderSlot h = ctx.slot(msg);
    seen_.push_back(h.get(1));
    EXPECT_EQ(h.get(0), 7u);
    ctx.up(std::move(msg));
  }
  std::vector<std::uint64_t> seen_;

 private:
  std::string name_;
  std::uint64_t sent_ = 0;
};

class Recorder final : public StackTop {
 public:
  void deliver(const Msg& msg, Actions&) override { delivered.emplace_back(msg.payload.as_string()); }
  void event(const Event&, Actions&) override { ++events; }
  std::vector<std::string> delivered;
  int events = 0;
};

std::vector<std::unique_ptr<Layer>> two_stamps_and_bottom() {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Stamp>("a"));
  layers.push_back(std::make_unique<Stamp>("b"));
  layers.push_back(std::make_unique<Bottom>());
  return layers;
}

std::shared_ptr<View> view_of(std::vector<Endpoint> members) {
  auto v = std::make_shared<View>();
  v->members = std::move(members);
  v->id = ViewId{1, v->members.front()};
  return v;
}

TEST(Stack, PacksEveryLayersFieldsOnce) {
  Recorder top;
  Stack stack(two_stamps_and_bottom(), Endpoint{0, 0}, Rng(1), top);
  EXPECT_EQ(stack.header_bytes(), 10u);
  EXPECT_EQ(stack.wire_header_bytes(), 10u + Bottom::kEnvelopeBytes);
  EXPECT_EQ(stack.describe_header(), "a.kind:1 a.seq:4 b.kind:1 b.seq:4");
}

TEST(Stack, CastFansOutToOtherMembersAndLoopsBack) {
  Recorder top;
  Stack stack(two_stamps_and_bottom(), Endpoint{0, 0}, Rng(1), top);
  Actions out;
  stack.start(TimePoint{}, out);
  stack.down_event(TimePoint{}, ViewEvent{view_of({{0, 0}, {1, 0}, {2, 0}})}, out);
  stack.cast(TimePoint{}, Buffer::copy_of(std::string_view("hi")), out);
  std::vector<NodeId> to;
  for (const Action& a : out.list()) {
    if (const auto* s = std::get_if<SendAction>(&a)) to.push_back(s->to);
  }
  EXPECT_EQ(to, (std::vector<NodeId>{1, 2}));
  EXPECT_EQ(top.delivered, (std::vector<std::string>{"hi"}));
}

TEST(Stack, DatagramCarriesHeadersAcrossStacks) {
  Recorder top0, top1;
  Stack s0(two_stamps_and_bottom(), Endpoint{0, 0}, Rng(1), top0);
  Stack s1(two_stamps_and_bottom(), Endpoint{1, 0}, Rng(2), top1);
  auto view = view_of({{0, 0}, {1, 0}});
  Actions out0, out1;
  s0.down_event(TimePoint{}, ViewEvent{view}, out0);
  s1.down_event(TimePoint{}, ViewEvent{view}, out1);
  s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("x")), out0);
  s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("y")), out0);
  for (const Action& a : out0.list()) {
    if (const auto* s = std::get_if<SendAction>(&a)) s1.receive(TimePoint{}, 0, s->bytes, out1);
  }
  EXPECT_EQ(top1.delivered, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(static_cast<Stamp&>(*s1.layers()[0]).seen_, (std::vector<std::uint64_t>{1, 2}));
}

TEST(Stack, DatagramsOfAnotherViewAreDropped) {
  Recorder top0, top1;
  Stack s0(two_stamps_and_bottom(), Endpoint{0, 0}, Rng(1), top0);
  Stack s1(two_stamps_and_bottom(), Endpoint{1, 0}, Rng(2), top1);
  Actions out0, out1;
  s0.down_event(TimePoint{}, ViewEvent{view_of({{0, 0}, {1, 0}})}, out0);
  auto other = view_of({{0, 0}, {1, 0}});
  other->id.ltime = 2;
  s1.down_event(TimePoint{}, ViewEvent{other}, out1);
  s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("x")), out0);
  for (const Action& a : out0.list()) {
    if (const auto* s = std::get_if<SendAction>(&a)) s1.receive(TimePoint{}, 0, s->bytes, out1);
  }
  EXPECT_TRUE(top1.delivered.empty());
  EXPECT_EQ(static_cast<Bottom&>(*s1.layers().back()).stats().other_view, 1u);
}

TEST(Stack, UnknownLayerIsAClearError) {
  auto layers = make_layers("mnak:nosuch");
  ASSERT_FALSE(layers.ok());
  EXPECT_NE(layers.error().message().find("unknown layer"), std::string::npos);
  EXPECT_FALSE(make_layers("bottom:bottom").ok());
  EXPECT_TRUE(make_layers("").ok());
}

TEST(Bottom, DecoderRejectsGarbageAndTruncation) {
  std::vector<std::uint8_t> junk{9, 0, 0};
  EXPECT_FALSE(decode_datagram(Buffer::copy_of(junk), 0).ok());
  std::vector<std::uint8_t> short_cast{1, 0, 0, 1, 0, 0, 0};
  EXPECT_EQ(decode_datagram(Buffer::copy_of(short_cast), 0).error().code(), Errc::truncated);
}

}  // namespace
}  // namespace cohort::group
