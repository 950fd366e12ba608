// The layers with non-default options, driven through bare stacks: frag's
// boundaries and its FIFO check, batch carrying whole header blocks, flow's
// window and acknowledgements, safe's holding, chk_fifo's reports.
#include <gtest/gtest.h>

#include "cohort/group/layers/batch.h"
#include "cohort/group/layers/bottom.h"
#include "cohort/group/layers/chk_fifo.h"
#include "cohort/group/layers/flow.h"
#include "cohort/group/layers/frag.h"
#include "cohort/group/layers/safe.h"
#include "cohort/group/stack.h"

namespace cohort::group {
namespace {

class Recorder final : public StackTop {
 public:
  void deliver(const Msg& msg, Actions&) override { delivered.emplace_back(msg.payload.as_string()); }
  void event(const Event& e, Actions&) override {
    if (const auto* f = std::get_if<FlowEvent>(&e)) flow.push_back(f->can_send);
  }
  std::vector<std::string> delivered;
  std::vector<bool> flow;
};

template <typename... L>
std::vector<std::unique_ptr<Layer>> layers(std::unique_ptr<L>... l) {
  std::vector<std::unique_ptr<Layer>> out;
  (out.push_back(std::move(l)), ...);
  out.push_back(std::make_unique<Bottom>());
  return out;
}

std::shared_ptr<View> two_members() {
  auto v = std::make_shared<View>();
  v->members = {{0, 0}, {1, 0}};
  v->id = ViewId{1, v->members.front()};
  return v;
}

std::vector<Buffer> datagrams_in(Actions& out) {
  std::vector<Buffer> bytes;
  for (Action& a : out.take()) {
    if (auto* s = std::get_if<SendAction>(&a)) bytes.push_back(s->bytes);
  }
  return bytes;
}

// Hands every datagram in `out` to `to`, in order; returns how many.
std::size_t pump(Actions& out, Stack& to, Actions& to_out) {
  std::vector<Buffer> bytes = datagrams_in(out);
  for (const Buffer& b : bytes) to.receive(TimePoint{}, 0, b, to_out);
  return bytes.size();
}

struct Pair {
  Recorder top0, top1;
  Stack s0, s1;
  Actions out0, out1;
  Pair(std::vector<std::unique_ptr<Layer>> l0, std::vector<std::unique_ptr<Layer>> l1)
      : s0(std::move(l0), Endpoint{0, 0}, Rng(1), top0), s1(std::move(l1), Endpoint{1, 0}, Rng(2), top1) {
    auto view = two_members();
    s0.down_event(TimePoint{}, ViewEvent{view}, out0);
    s1.down_event(TimePoint{}, ViewEvent{view}, out1);
  }
};

TEST(Frag, SmallFragmentsRoundTripEverySizeAroundTheBoundary) {
  Pair p(layers(std::make_unique<Frag>(FragOptions{4})), layers(std::make_unique<Frag>(FragOptions{4})));
  std::vector<std::string> sent;
  for (std::size_t size = 0; size <= 13; ++size) {
    sent.emplace_back(size, static_cast<char>('a' + size));
    p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view(sent.back())), p.out0);
  }
  // 0..4 bytes go whole, 5..8 in two, 9..12 in three, 13 in four.
  EXPECT_EQ(pump(p.out0, p.s1, p.out1), 5u + 4 * 2 + 4 * 3 + 4);
  EXPECT_EQ(p.top1.delivered, sent);
  EXPECT_EQ(p.top0.delivered, sent);
}

TEST(Frag, FragmentOutOfOrderDropsItsMessageAndCountsIt) {
  Pair p(layers(std::make_unique<Frag>(FragOptions{4})), layers(std::make_unique<Frag>(FragOptions{4})));
  p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("abcdefgh")), p.out0);
  std::vector<Buffer> datagrams = datagrams_in(p.out0);
  ASSERT_EQ(datagrams.size(), 2u);
  p.s1.receive(TimePoint{}, 0, datagrams[1], p.out1);
  EXPECT_TRUE(p.top1.delivered.empty());
  EXPECT_EQ(static_cast<Frag&>(*p.s1.layers()[0]).stats().out_of_order, 1u);
}

TEST(Frag, MessageOverTheLimitIsRefusedAndCounted) {
  Pair p(layers(std::make_unique<Frag>()), layers(std::make_unique<Frag>()));
  p.s0.cast(TimePoint{}, Buffer(std::vector<std::uint8_t>(kMaxMessageBytes + 1)), p.out0);
  EXPECT_EQ(pump(p.out0, p.s1, p.out1), 0u);
  EXPECT_EQ(static_cast<Frag&>(*p.s0.layers()[0]).stats().too_large, 1u);
}

// Fragments carry frag's header slot; packed into one batch they must come
// out with it intact.
TEST(Batch, ItemsKeepTheHeaderBlocksOfTheLayersAbove) {
  auto make = [] { return layers(std::make_unique<Frag>(FragOptions{2}), std::make_unique<Batch>()); };
  Pair p(make(), make());
  p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("hello world")), p.out0);
  p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("x")), p.out0);
  p.s0.timer(TimePoint{}, (TimerKey{1} << 32) | 1, p.out0);  // the batch's flush timer
  EXPECT_EQ(pump(p.out0, p.s1, p.out1), 1u);
  EXPECT_EQ(p.top1.delivered, (std::vector<std::string>{"hello world", "x"}));
  EXPECT_EQ(static_cast<Batch&>(*p.s0.layers()[1]).stats().items, 7u);
}

TEST(Batch, CorruptBatchDeliversNothingAndIsCounted) {
  Pair p(layers(std::make_unique<Batch>()), layers(std::make_unique<Batch>()));
  p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("one")), p.out0);
  p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("two")), p.out0);
  p.s0.timer(TimePoint{}, (TimerKey{0} << 32) | 1, p.out0);
  std::vector<Buffer> datagrams = datagrams_in(p.out0);
  ASSERT_EQ(datagrams.size(), 1u);
  const Buffer& whole = datagrams[0];
  p.s1.receive(TimePoint{}, 0, whole.slice(0, whole.size() - 1), p.out1);
  EXPECT_TRUE(p.top1.delivered.empty());
  EXPECT_EQ(static_cast<Batch&>(*p.s1.layers()[0]).stats().malformed, 1u);
}

TEST(Flow, WindowClosesOnTheLastCreditAndReopensOnAcks) {
  FlowOptions options{.window = 2, .ack_every = 1};
  Pair p(layers(std::make_unique<Flow>(options)), layers(std::make_unique<Flow>(options)));
  p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("1")), p.out0);
  EXPECT_TRUE(p.top0.flow.empty());
  p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("2")), p.out0);
  EXPECT_EQ(p.top0.flow, (std::vector<bool>{false}));
  EXPECT_EQ(pump(p.out0, p.s1, p.out1), 2u);
  EXPECT_EQ(pump(p.out1, p.s0, p.out0), 2u);  // one ack per cast
  EXPECT_EQ(p.top0.flow, (std::vector<bool>{false, true}));
  EXPECT_EQ(p.top1.delivered, (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(p.top1.flow.empty());
}

// Stands for the stability layer: answers a StableQueryEvent with a
// StableEvent saying member 0's first cast is stable.
class FakeStable final : public Layer {
 public:
  std::string_view name() const override { return "fake_stable"; }
  void down_event(const Event& event, LayerContext& ctx) override {
    if (std::holds_alternative<StableQueryEvent>(event)) ctx.up(Event{StableEvent{{1, 0}, {1, 0}}});
    ctx.down(event);
  }
};

TEST(Flow, StableEventFromBelowAlsoFreesCredit) {
  FlowOptions options{.window = 1};
  Pair p(layers(std::make_unique<Flow>(options), std::make_unique<FakeStable>()),
         layers(std::make_unique<Flow>(options), std::make_unique<FakeStable>()));
  p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("1")), p.out0);
  ASSERT_EQ(p.top0.flow, (std::vector<bool>{false}));
  p.s0.down_event(TimePoint{}, StableQueryEvent{}, p.out0);
  EXPECT_EQ(p.top0.flow, (std::vector<bool>{false, true}));
}

// safe holds casts until a StableEvent covers them, and lets the rest go
// at the next view.
TEST(Safe, HoldsCastsUntilStableAndReleasesTheRestAtTheNextView) {
  Pair p(layers(std::make_unique<Safe>(), std::make_unique<FakeStable>()),
         layers(std::make_unique<Safe>(), std::make_unique<FakeStable>()));
  p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("1")), p.out0);
  p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view("2")), p.out0);
  EXPECT_TRUE(p.top0.delivered.empty());  // own loopback, not yet stable
  p.s0.down_event(TimePoint{}, StableQueryEvent{}, p.out0);
  EXPECT_EQ(p.top0.delivered, (std::vector<std::string>{"1"}));
  auto next = two_members();
  next->id.ltime = 2;
  p.s0.down_event(TimePoint{}, ViewEvent{next}, p.out0);
  EXPECT_EQ(p.top0.delivered, (std::vector<std::string>{"1", "2"}));
  const auto& safe = static_cast<const Safe&>(*p.s0.layers()[0]);
  EXPECT_EQ(safe.stats().released_stable, 1u);
  EXPECT_EQ(safe.stats().released_at_view, 1u);
  EXPECT_EQ(safe.held(), 0u);
}

std::vector<std::string> records_in(Actions& out) {
  std::vector<std::string> records;
  for (const Action& a : out.list()) {
    if (const auto* o = std::get_if<OutputAction>(&a)) records.push_back(o->record);
  }
  return records;
}

// chk_fifo at the receiver: casts 1, 3, 2, 2 of one sender give a gap, an
// out-of-order cast and a duplicate, each reported as an output record.
TEST(ChkFifo, ReportsAGapAnOutOfOrderCastAndADuplicate) {
  Pair p(layers(std::make_unique<ChkFifo>()), layers(std::make_unique<ChkFifo>()));
  for (const char* text : {"a", "b", "c"}) p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view(text)), p.out0);
  std::vector<Buffer> d = datagrams_in(p.out0);
  ASSERT_EQ(d.size(), 3u);
  for (std::size_t i : {0u, 2u, 1u, 1u}) p.s1.receive(TimePoint{}, 0, d[i], p.out1);
  std::vector<std::string> r = records_in(p.out1);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], "chk_fifo violation: member 1.0: casts 2..2 of 0.0 are missing before its cast 3 in view 1:0.0");
  EXPECT_NE(r[1].find("cast 2 of 0.0 came up after its cast 3"), std::string::npos) << r[1];
  EXPECT_NE(r[2].find("cast 2 of 0.0 came up after its cast 3"), std::string::npos) << r[2];
  const auto& chk = static_cast<const ChkFifo&>(*p.s1.layers()[0]);
  EXPECT_EQ(chk.stats().violations, 3u);
  EXPECT_EQ(chk.stats().deliveries, 4u);
  EXPECT_EQ(chk.reports(), r);
  EXPECT_EQ(p.top1.delivered, (std::vector<std::string>{"a", "c", "b", "b"}));  // checks, never filters
}

TEST(ChkFifo, InOrderCastsAreSilent) {
  Pair p(layers(std::make_unique<ChkFifo>()), layers(std::make_unique<ChkFifo>()));
  for (const char* text : {"a", "b", "c"}) p.s0.cast(TimePoint{}, Buffer::copy_of(std::string_view(text)), p.out0);
  EXPECT_EQ(pump(p.out0, p.s1, p.out1), 3u);
  EXPECT_TRUE(records_in(p.out1).empty());
  EXPECT_EQ(static_cast<const ChkFifo&>(*p.s1.layers()[0]).stats().deliveries, 3u);
}

TEST(CheckSummary, RoundTripsWithAndWithoutAPreviousView) {
  CheckSummary s{ViewDigest{ViewId{4, {1, 2}}, 7, 0xabc, 0x123}, std::nullopt};
  auto back = decode_check_summary(encode_check_summary(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->current, s.current);
  EXPECT_FALSE(back->previous.has_value());
  s.previous = ViewDigest{ViewId{3, {0, 0}}, 9, 1, 2};
  back = decode_check_summary(encode_check_summary(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->previous, s.previous);
  Buffer truncated = encode_check_summary(s).slice(0, 40);
  EXPECT_FALSE(decode_check_summary(truncated).ok());
}

}  // namespace
}  // namespace cohort::group
