// The reliable layers one message at a time, with datagrams carried by hand
// between two stacks: header layout, mnak ordering, duplicates, the buffer
// limit and NAK repair, pt2pt ordering and acks, and stability queries.
#include <gtest/gtest.h>

#include "cohort/group/group_machine.h"
#include "cohort/group/layers/bottom.h"
#include "cohort/group/layers/mnak.h"
#include "cohort/group/layers/pt2pt.h"
#include "cohort/group/layers/stable.h"

namespace cohort::group {
namespace {

using namespace std::chrono_literals;

class Recorder final : public StackTop {
 public:
  void deliver(const Msg& msg, Actions&) override { delivered.emplace_back(msg.payload.as_string()); }
  void event(const Event& e, Actions&) override {
    if (const auto* s = std::get_if<StableEvent>(&e)) stable.push_back(*s);
  }
  std::vector<std::string> delivered;
  std::vector<StableEvent> stable;
};

std::shared_ptr<View> pair_view() {
  auto v = std::make_shared<View>();
  v->members = {{0, 0}, {1, 0}};
  v->id = ViewId{1, v->members.front()};
  return v;
}

// Two members of one view, each a stack; datagrams are handed over by the test.
struct Pair {
  explicit Pair(const std::function<std::vector<std::unique_ptr<Layer>>()>& layers)
      : s0(layers(), Endpoint{0, 0}, Rng(1), top0), s1(layers(), Endpoint{1, 0}, Rng(2), top1) {
    s0.start(t, out0);
    s1.start(t, out1);
    s0.down_event(t, ViewEvent{pair_view()}, out0);
    s1.down_event(t, ViewEvent{pair_view()}, out1);
  }
  // The datagrams an Actions batch sends to `to`, and clears the batch.
  static std::vector<Buffer> to(NodeId node, Actions& out) {
    std::vector<Buffer> got;
    for (const Action& a : out.take()) {
      if (const auto* s = std::get_if<SendAction>(&a); s != nullptr && s->to == node) got.push_back(s->bytes);
    }
    return got;
  }
  TimePoint t{};
  Recorder top0, top1;
  Actions out0, out1;
  Stack s0, s1;
};

std::vector<std::unique_ptr<Layer>> with_bottom(std::unique_ptr<Layer> layer) {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::move(layer));
  layers.push_back(std::make_unique<Bottom>());
  return layers;
}

Buffer text(std::string_view s) { return Buffer::copy_of(s); }

TEST(ReliableLayers, FullStackHeaderIsCompact) {
  auto layers = make_layers("stable:mnak:pt2pt");
  ASSERT_TRUE(layers.ok()) << layers.error().to_string();
  Recorder top;
  Stack stack(std::move(layers).value(), Endpoint{0, 0}, Rng(1), top);
  EXPECT_EQ(stack.describe_header(),
            "stable.kind:1 mnak.kind:1 mnak.origin:2 mnak.seq:4 pt2pt.kind:1 pt2pt.seq:4");
  EXPECT_EQ(stack.header_bytes(), 13u);
  EXPECT_EQ(stack.wire_header_bytes(), 28u);
}

// The header a steady-state data message of the default and the benchmark
// stacks carries: packed block plus the bottom's envelope.
TEST(ReliableLayers, DefaultAndBenchmarkStackHeaders) {
  for (auto [spec, block] : {std::pair{"total:gmp:stable:mnak:suspect", 13u},
                             std::pair{"total:gmp:flow:stable:mnak:suspect:batch", 20u}}) {
    auto layers = make_layers(spec);
    ASSERT_TRUE(layers.ok()) << layers.error().to_string();
    Recorder top;
    Stack stack(std::move(layers).value(), Endpoint{0, 0}, Rng(1), top);
    EXPECT_EQ(stack.header_bytes(), block) << spec << ": " << stack.describe_header();
    EXPECT_EQ(stack.wire_header_bytes(), block + Bottom::kEnvelopeBytes) << spec;
  }
}

TEST(Mnak, DeliversInOrderOnceWhateverTheArrivalOrder) {
  Pair p([] { return with_bottom(std::make_unique<Mnak>()); });
  for (auto s : {"a", "b", "c"}) p.s0.cast(p.t, text(s), p.out0);
  auto d = Pair::to(1, p.out0);
  ASSERT_EQ(d.size(), 3u);
  for (std::size_t i : {2u, 0u, 2u, 1u, 0u}) p.s1.receive(p.t, 0, d[i], p.out1);
  EXPECT_EQ(p.top1.delivered, (std::vector<std::string>{"a", "b", "c"}));
  auto& mnak = static_cast<Mnak&>(*p.s1.layers()[0]);
  EXPECT_EQ(mnak.stats().duplicates, 2u);
  EXPECT_EQ(mnak.retained(), 3u);  // no stability layer: nothing is freed
}

TEST(Mnak, DropsBeyondTheBufferLimitAndRepairsByNak) {
  Pair p([] { return with_bottom(std::make_unique<Mnak>(MnakOptions{.max_out_of_order = 1})); });
  for (auto s : {"a", "b", "c"}) p.s0.cast(p.t, text(s), p.out0);
  auto d = Pair::to(1, p.out0);
  p.s1.receive(p.t, 0, d[1], p.out1);
  p.s1.receive(p.t, 0, d[2], p.out1);
  auto& mnak = static_cast<Mnak&>(*p.s1.layers()[0]);
  EXPECT_EQ(mnak.stats().over_limit, 1u);
  EXPECT_TRUE(p.top1.delivered.empty());
  // The repair tick, well after the NAK delay, asks the origin for the gap.
  p.s1.timer(p.t + 1s, TimerKey{1}, p.out1);
  auto naks = Pair::to(0, p.out1);
  ASSERT_EQ(naks.size(), 1u);
  p.s0.receive(p.t, 1, naks[0], p.out0);
  for (const Buffer& b : Pair::to(1, p.out0)) p.s1.receive(p.t, 0, b, p.out1);
  EXPECT_EQ(p.top1.delivered, (std::vector<std::string>{"a", "b"}));
  // The next round fetches the cast dropped at the limit.
  p.s1.timer(p.t + 2s, TimerKey{1}, p.out1);
  for (const Buffer& b : Pair::to(0, p.out1)) p.s0.receive(p.t + 2s, 1, b, p.out0);
  for (const Buffer& b : Pair::to(1, p.out0)) p.s1.receive(p.t + 2s, 0, b, p.out1);
  EXPECT_EQ(p.top1.delivered, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(mnak.stats().naks_sent, 2u);
}

TEST(Mnak, StatusRevealsALostLastCast) {
  Pair p([] { return with_bottom(std::make_unique<Mnak>()); });
  for (auto s : {"a", "b"}) p.s0.cast(p.t, text(s), p.out0);
  auto d = Pair::to(1, p.out0);
  p.s1.receive(p.t, 0, d[0], p.out1);  // b is lost, and nothing follows it
  p.s0.timer(p.t + 1s, TimerKey{2}, p.out0);
  for (const Buffer& b : Pair::to(1, p.out0)) p.s1.receive(p.t + 1s, 0, b, p.out1);
  p.s1.timer(p.t + 2s, TimerKey{1}, p.out1);
  for (const Buffer& b : Pair::to(0, p.out1)) p.s0.receive(p.t + 2s, 1, b, p.out0);
  for (const Buffer& b : Pair::to(1, p.out0)) p.s1.receive(p.t + 2s, 0, b, p.out1);
  EXPECT_EQ(p.top1.delivered, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(static_cast<Mnak&>(*p.s0.layers()[0]).stats().status_sent, 1u);
}

TEST(Mnak, StableEventFreesRetainedCasts) {
  Pair p([] { return with_bottom(std::make_unique<Mnak>()); });
  for (auto s : {"a", "b"}) p.s0.cast(p.t, text(s), p.out0);
  auto& mnak = static_cast<Mnak&>(*p.s0.layers()[0]);
  EXPECT_EQ(mnak.retained(), 2u);
  p.s0.down_event(p.t, StableEvent{{1, 0}, {2, 0}}, p.out0);
  EXPECT_EQ(mnak.retained(), 1u);
  p.s0.down_event(p.t, StableEvent{{5, 0}, {2, 0}}, p.out0);  // beyond what it has: clamped
  EXPECT_EQ(mnak.retained(), 0u);
}

TEST(Pt2pt, DeliversSendsInOrderAndAcknowledges) {
  Pair p([] { return with_bottom(std::make_unique<Pt2pt>()); });
  p.s0.send(p.t, 1, text("x"), p.out0);
  p.s0.send(p.t, 1, text("y"), p.out0);
  auto d = Pair::to(1, p.out0);
  ASSERT_EQ(d.size(), 2u);
  p.s1.receive(p.t, 0, d[1], p.out1);
  p.s1.receive(p.t, 0, d[0], p.out1);
  p.s1.receive(p.t, 0, d[0], p.out1);
  EXPECT_EQ(p.top1.delivered, (std::vector<std::string>{"x", "y"}));
  auto& sender = static_cast<Pt2pt&>(*p.s0.layers()[0]);
  EXPECT_EQ(sender.unacked(), 2u);
  for (const Buffer& ack : Pair::to(0, p.out1)) p.s0.receive(p.t, 1, ack, p.out0);
  EXPECT_EQ(sender.unacked(), 0u);
}

TEST(Pt2pt, RetransmitsWhatIsNotAcknowledged) {
  Pair p([] { return with_bottom(std::make_unique<Pt2pt>()); });
  p.s0.send(p.t, 1, text("x"), p.out0);
  (void)Pair::to(1, p.out0);  // lost
  p.s0.timer(p.t + 1s, TimerKey{1}, p.out0);
  auto again = Pair::to(1, p.out0);
  ASSERT_EQ(again.size(), 1u);
  p.s1.receive(p.t + 1s, 0, again[0], p.out1);
  EXPECT_EQ(p.top1.delivered, (std::vector<std::string>{"x"}));
}

TEST(Stable, AnswersAQueryAndReachesStabilityByGossip) {
  Pair p([] {
    std::vector<std::unique_ptr<Layer>> layers;
    layers.push_back(std::make_unique<Stable>());
    layers.push_back(std::make_unique<Mnak>());
    layers.push_back(std::make_unique<Bottom>());
    return layers;
  });
  p.s0.cast(p.t, text("a"), p.out0);
  for (const Buffer& b : Pair::to(1, p.out0)) p.s1.receive(p.t, 0, b, p.out1);
  p.s0.down_event(p.t, StableQueryEvent{}, p.out0);
  ASSERT_EQ(p.top0.stable.size(), 1u);
  EXPECT_EQ(p.top0.stable[0].received, (std::vector<std::uint64_t>{1, 0}));
  EXPECT_EQ(p.top0.stable[0].stable, (std::vector<std::uint64_t>{0, 0}));
  p.s1.timer(p.t + 1s, TimerKey{1}, p.out1);  // s1 gossips; s0 learns s1 has it
  for (const Buffer& b : Pair::to(0, p.out1)) p.s0.receive(p.t + 1s, 1, b, p.out0);
  p.s0.timer(p.t + 1s, TimerKey{1}, p.out0);
  ASSERT_FALSE(p.top0.stable.empty());
  EXPECT_EQ(p.top0.stable.back().stable, (std::vector<std::uint64_t>{1, 0}));
  EXPECT_EQ(static_cast<Mnak&>(*p.s0.layers()[1]).retained(), 0u);
}

}  // namespace
}  // namespace cohort::group
