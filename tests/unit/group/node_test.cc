#include "cohort/group/node.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace cohort::group {
namespace {

// Remembers what the member saw.
class Recorder final : public NodeApp {
 public:
  void on_view(const View& view, Actions&) override { views.push_back(view); }
  void on_deliver(const Endpoint& from, const Msg& msg, Actions&) override {
    delivered.push_back(from.to_string() + ": " + std::string(msg.payload.as_string()));
  }
  void on_writable() override { ++writable; }
  std::vector<View> views;
  std::vector<std::string> delivered;
  int writable = 0;
};

// Free loopback ports, found by binding and letting go (good enough on loopback).
std::vector<Peer> loopback_peers(int count) {
  std::vector<Peer> peers;
  std::vector<UdpSocket> held;
  for (int i = 1; i <= count; ++i) {
    auto socket = UdpSocket::bind(Address::ipv4_loopback(0));
    EXPECT_TRUE(socket) << socket.error().to_string();
    peers.push_back(Peer{static_cast<NodeId>(i), socket->local_address().value()});
    held.push_back(std::move(socket).value());
  }
  return peers;
}

class GroupNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    loop_ = std::move(loop).value();
  }

  GroupNode& add(const std::string& group, NodeId id, const std::vector<Peer>& peers) {
    NodeOptions options;
    options.group = group;
    options.id = id;
    options.peers = peers;
    auto node = GroupNode::create(*loop_, options, std::make_unique<Recorder>());
    EXPECT_TRUE(node) << node.error().to_string();
    nodes_.push_back(std::move(node).value());
    nodes_.back()->start();
    return *nodes_.back();
  }

  static Recorder& app(GroupNode& node) { return static_cast<Recorder&>(node.app()); }

  // Runs the loop until `done` holds; false after 20 s without it.
  bool run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 2000 && !done(); ++i) EXPECT_TRUE(loop_->run_for(10ms));
    return done();
  }

  static bool in_view_of(GroupNode& node, std::size_t size) { return node.view() && node.view()->size() == size; }

  std::unique_ptr<EventLoop> loop_;
  std::vector<std::unique_ptr<GroupNode>> nodes_;
};

TEST_F(GroupNodeTest, ThreeMembersFormAPrimaryViewCastAndOneLeaves) {
  auto peers = loopback_peers(3);
  for (NodeId id = 1; id <= 3; ++id) add("demo", id, peers);
  ASSERT_TRUE(run_until([&] {
    return in_view_of(*nodes_[0], 3) && in_view_of(*nodes_[1], 3) && in_view_of(*nodes_[2], 3);
  }));
  EXPECT_TRUE(nodes_[0]->view()->primary);
  for (auto& node : nodes_) {
    Status cast = node->cast(Buffer::copy_of("hello from " + node->self().to_string()));
    // A view change may still be settling: then casting waits for on_writable.
    if (!cast) {
      ASSERT_EQ(cast.error().code(), Errc::would_block);
      ASSERT_TRUE(run_until([&] { return node->can_send(); }));
      ASSERT_TRUE(node->cast(Buffer::copy_of("hello from " + node->self().to_string())));
    }
  }
  ASSERT_TRUE(run_until([&] {
    return app(*nodes_[0]).delivered.size() == 3 && app(*nodes_[1]).delivered.size() == 3 &&
           app(*nodes_[2]).delivered.size() == 3;
  }));
  EXPECT_EQ(app(*nodes_[0]).delivered, app(*nodes_[1]).delivered);  // total order
  EXPECT_EQ(app(*nodes_[0]).delivered, app(*nodes_[2]).delivered);

  std::optional<bool> graceful;
  nodes_[2]->leave([&](bool g) { graceful = g; });
  ASSERT_TRUE(run_until([&] { return graceful.has_value() && in_view_of(*nodes_[0], 2) && in_view_of(*nodes_[1], 2); }));
  EXPECT_TRUE(*graceful);
  EXPECT_FALSE(nodes_[0]->view()->contains(nodes_[2]->self()));
}

TEST_F(GroupNodeTest, DatagramsOfAnotherGroupAreDropped) {
  auto peers = loopback_peers(2);
  GroupNode& a = add("alpha", 1, peers);
  GroupNode& b = add("beta", 2, peers);
  ASSERT_TRUE(run_until([&] { return a.stats().other_tag_drops > 5 && b.stats().other_tag_drops > 5; }));
  EXPECT_TRUE(in_view_of(a, 1));
  EXPECT_TRUE(in_view_of(b, 1));
}

TEST_F(GroupNodeTest, RefusalsSayWhatToDo) {
  auto peers = loopback_peers(2);
  add("demo", 1, peers);
  NodeOptions options;
  options.group = "demo";
  options.id = 2;
  options.peers = peers;
  options.listen = peers[0].address;  // node 1 holds it
  auto in_use = GroupNode::create(*loop_, options, std::make_unique<Recorder>());
  ASSERT_FALSE(in_use);
  EXPECT_EQ(in_use.error().code(), Errc::address_in_use);
  EXPECT_NE(in_use.error().message().find("--listen"), std::string::npos) << in_use.error().message();

  options.listen.reset();
  options.stack = "total:nosuch:gmp";
  auto unknown = GroupNode::create(*loop_, options, std::make_unique<Recorder>());
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("unknown layer 'nosuch'"), std::string::npos) << unknown.error().message();

  options.stack = kDefaultNodeStack;
  options.id = 7;
  auto stranger = GroupNode::create(*loop_, options, std::make_unique<Recorder>());
  ASSERT_FALSE(stranger);
  EXPECT_NE(stranger.error().message().find("7=HOST:PORT"), std::string::npos) << stranger.error().message();
}

TEST(GroupTag, DiffersBetweenNames) {
  EXPECT_EQ(group_tag("a").size(), 8u);
  EXPECT_EQ(group_tag("a"), group_tag("a"));
  EXPECT_NE(group_tag("a"), group_tag("b"));
}

}  // namespace
}  // namespace cohort::group
