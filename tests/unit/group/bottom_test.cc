// The bottom layer's multicast mode: it joins the group's channel at start,
// a cast is one datagram to the channel (not one per member), sends and
// direct messages stay unicast, and receivers still drop other views'
// datagrams. The fan-out mode is covered in stack_test.cc.
#include "cohort/group/layers/bottom.h"

#include <gtest/gtest.h>

#include "cohort/group/group_machine.h"
#include "cohort/group/stack.h"
#include "machine_actions.h"

namespace cohort::group {
namespace {

constexpr ChannelId kChannel = 4;

class Recorder final : public StackTop {
 public:
  void deliver(const Msg& msg, Actions&) override { delivered.emplace_back(msg.payload.as_string()); }
  void event(const Event&, Actions&) override {}
  std::vector<std::string> delivered;
};

std::unique_ptr<Stack> multicast_stack(NodeId node, Recorder& top) {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Bottom>(BottomOptions{BottomMode::multicast, kChannel}));
  return std::make_unique<Stack>(std::move(layers), Endpoint{node, 0}, Rng(node), top);
}

std::shared_ptr<View> view_of(std::vector<Endpoint> members, std::uint32_t ltime = 1) {
  auto v = std::make_shared<View>();
  v->members = std::move(members);
  v->id = ViewId{ltime, v->members.front()};
  return v;
}

using cohort::testing::actions_of;

TEST(BottomMulticast, JoinsTheChannelAtStart) {
  Recorder top;
  auto stack = multicast_stack(0, top);
  Actions out;
  stack->start(TimePoint{}, out);
  auto joins = actions_of<JoinChannelAction>(out);
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_EQ(joins[0].channel, kChannel);
}

TEST(BottomMulticast, ACastIsOneDatagramToTheChannelAndLoopsBack) {
  Recorder top;
  auto stack = multicast_stack(0, top);
  Actions out;
  stack->down_event(TimePoint{}, ViewEvent{view_of({{0, 0}, {1, 0}, {2, 0}})}, out);
  stack->cast(TimePoint{}, Buffer::copy_of("hi"), out);
  auto casts = actions_of<MulticastAction>(out);
  ASSERT_EQ(casts.size(), 1u);
  EXPECT_EQ(casts[0].channel, kChannel);
  EXPECT_TRUE(actions_of<SendAction>(out).empty());
  EXPECT_EQ(top.delivered, (std::vector<std::string>{"hi"}));
}

TEST(BottomMulticast, AloneInTheViewItSendsNothing) {
  Recorder top;
  auto stack = multicast_stack(0, top);
  Actions out;
  stack->down_event(TimePoint{}, ViewEvent{view_of({{0, 0}})}, out);
  stack->cast(TimePoint{}, Buffer::copy_of("hi"), out);
  EXPECT_TRUE(out.list().empty());
  EXPECT_EQ(top.delivered, (std::vector<std::string>{"hi"}));
}

TEST(BottomMulticast, SendsAndDirectMessagesStayUnicast) {
  Recorder top;
  auto stack = multicast_stack(0, top);
  Actions out;
  stack->down_event(TimePoint{}, ViewEvent{view_of({{0, 0}, {1, 0}, {2, 0}})}, out);
  stack->send(TimePoint{}, 2, Buffer::copy_of("to two"), out);
  auto sends = actions_of<SendAction>(out);
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].to, 2u);
  EXPECT_TRUE(actions_of<MulticastAction>(out).empty());
}

TEST(BottomMulticast, ReceiversInTheViewDeliverAndOthersDrop) {
  Recorder top0, top1, top2;
  auto s0 = multicast_stack(0, top0);
  auto s1 = multicast_stack(1, top1);
  auto s2 = multicast_stack(2, top2);
  auto view = view_of({{0, 0}, {1, 0}});
  Actions out0, out1, out2;
  s0->down_event(TimePoint{}, ViewEvent{view}, out0);
  s1->down_event(TimePoint{}, ViewEvent{view}, out1);
  s2->down_event(TimePoint{}, ViewEvent{view_of({{2, 0}}, 2)}, out2);  // on the channel, another view
  s0->cast(TimePoint{}, Buffer::copy_of("x"), out0);
  for (const auto& cast : actions_of<MulticastAction>(out0)) {
    s1->receive(TimePoint{}, 0, cast.bytes, out1);
    s2->receive(TimePoint{}, 0, cast.bytes, out2);
  }
  EXPECT_EQ(top1.delivered, (std::vector<std::string>{"x"}));
  EXPECT_TRUE(top2.delivered.empty());
  EXPECT_EQ(static_cast<const Bottom&>(*s2->layers().back()).stats().other_view, 1u);
}

class NoApp final : public GroupApp {
 public:
  void on_view(const View&, Actions&) override {}
  void on_deliver(const Endpoint&, const Msg&, Actions&) override {}
};

TEST(BottomMulticast, GroupConfigSelectsTheModeAndChannel) {
  GroupConfig config;
  config.static_members = {{0, 0}, {1, 0}};
  config.bottom = BottomOptions{BottomMode::multicast, 9};
  auto machine = GroupMachine::create(Endpoint{0, 0}, config, Rng(1), std::make_unique<NoApp>());
  ASSERT_TRUE(machine.ok()) << machine.error().to_string();
  Actions out;
  (*machine)->start(TimePoint{}, out);
  ASSERT_TRUE((*machine)->cast(TimePoint{}, Buffer::copy_of("y"), out).ok());
  auto joins = actions_of<JoinChannelAction>(out);
  auto casts = actions_of<MulticastAction>(out);
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_EQ(joins[0].channel, 9u);
  ASSERT_EQ(casts.size(), 1u);
  EXPECT_EQ(casts[0].channel, 9u);
}

TEST(BottomMulticast, ModeNamesParseAndUnknownOnesListTheKnown) {
  EXPECT_EQ(parse_bottom_mode("fanout").value(), BottomMode::fanout);
  EXPECT_EQ(parse_bottom_mode("multicast").value(), BottomMode::multicast);
  EXPECT_EQ(to_string(BottomMode::multicast), "multicast");
  auto bad = parse_bottom_mode("broadcast");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), Errc::invalid_argument);
  EXPECT_NE(bad.error().message().find("fanout, multicast"), std::string::npos) << bad.error().message();
}

}  // namespace
}  // namespace cohort::group
