#include "cohort/transport/udp_driver.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cohort {
namespace {

constexpr TimerKey kRetry = 1;

// Node `first` serves a counter to its peer; each side answers n with n+1
// until `goal`. A retry timer resends the last message, so the exchange
// survives a lost datagram.
class PingPong final : public Machine {
 public:
  PingPong(NodeId peer, bool first, int goal) : peer_(peer), first_(first), goal_(goal) {}

  void start(TimePoint, Actions& out) override {
    if (first_) send(0, out);
  }
  void on_packet(TimePoint, NodeId from, const Buffer& bytes, Actions& out) override {
    if (from != peer_) return;
    int n = std::stoi(std::string(bytes.as_string()));
    if (n <= last_sent_) return;  // a duplicate from a retry
    ++received_;
    if (n >= goal_) {
      out.cancel_timer(kRetry);
      out.output("done " + std::to_string(n));
      return;
    }
    send(n + 1, out);
  }
  void on_timer(TimePoint, TimerKey key, Actions& out) override {
    if (key == kRetry) send(last_sent_, out);
  }
  int received() const { return received_; }

 private:
  void send(int n, Actions& out) {
    last_sent_ = n;
    out.send(peer_, Buffer::copy_of(std::to_string(n)));
    out.set_timer(kRetry, 50ms);
  }

  NodeId peer_;
  bool first_;
  int goal_;
  int last_sent_ = -1;
  int received_ = 0;
};

// Records timer firings and answers application calls, to observe how the
// driver applies SetTimer/CancelTimer.
class TimerProbe final : public Machine {
 public:
  void start(TimePoint, Actions&) override {}
  void on_packet(TimePoint, NodeId, const Buffer&, Actions&) override {}
  void on_timer(TimePoint, TimerKey key, Actions& out) override {
    fired.push_back(key);
    out.output("fired " + std::to_string(key));
  }
  std::vector<TimerKey> fired;
};

std::unique_ptr<EventLoop> make_loop() {
  auto loop = EventLoop::create();
  EXPECT_TRUE(loop.ok());
  return std::move(loop).value();
}

std::unique_ptr<UdpMachineDriver> make_driver(EventLoop& loop, Machine& machine) {
  auto socket = UdpSocket::bind(Address::ipv4_loopback(0));
  EXPECT_TRUE(socket.ok());
  auto driver = UdpMachineDriver::create(loop, std::move(socket).value(), machine);
  EXPECT_TRUE(driver.ok());
  return std::move(driver).value();
}

Address address_of(const UdpMachineDriver& driver) { return driver.socket().local_address().value(); }

TEST(UdpMachineDriver, TwoMachinesPlayPingPongAndStrangersAreDropped) {
  auto loop = make_loop();
  PingPong alice(2, true, 100);
  PingPong bob(1, false, 100);
  PingPong stranger(1, true, 100);
  auto a = make_driver(*loop, alice);
  auto b = make_driver(*loop, bob);
  auto s = make_driver(*loop, stranger);
  ASSERT_TRUE(a->add_peer(2, address_of(*b)).ok());
  ASSERT_TRUE(b->add_peer(1, address_of(*a)).ok());
  ASSERT_TRUE(s->add_peer(1, address_of(*a)).ok());  // alice does not know the stranger

  std::vector<std::string> outputs;
  auto record = [&](const std::string& line) {
    outputs.push_back(line);
    loop->stop();
  };
  a->on_output(record);
  b->on_output(record);
  s->start();
  a->start();
  b->start();
  ASSERT_TRUE(loop->run_for(20s).ok());

  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0], "done 100");  // alice sends the even numbers, so bob reaches 100
  EXPECT_EQ(bob.received(), 51);  // 0, 2, ..., 100
  EXPECT_EQ(alice.received(), 50);  // 1, 3, ..., 99
  EXPECT_GE(a->stats().unknown_sender_drops, 1u);
  EXPECT_EQ(b->stats().unknown_sender_drops, 0u);
}

TEST(UdpMachineDriver, RearmingReplacesAndCancelStops) {
  auto loop = make_loop();
  TimerProbe probe;
  auto driver = make_driver(*loop, probe);
  driver->on_output([&](const std::string&) { loop->stop(); });
  driver->call([](TimePoint, Actions& out) {
    out.set_timer(7, 1ms);
    out.set_timer(7, 20ms);  // replaces the 1ms arming
    out.set_timer(8, 1ms);
    out.cancel_timer(8);
  });
  ASSERT_TRUE(loop->run_for(10s).ok());
  EXPECT_EQ(probe.fired, std::vector<TimerKey>{7});
  ASSERT_TRUE(loop->run_for(50ms).ok());  // nothing else is armed, nothing else fires
  EXPECT_EQ(probe.fired, std::vector<TimerKey>{7});
}

TEST(UdpMachineDriver, SendsToUnknownNodesAreCounted) {
  auto loop = make_loop();
  TimerProbe probe;
  auto driver = make_driver(*loop, probe);
  driver->call([](TimePoint, Actions& out) { out.send(42, Buffer::copy_of("nobody")); });
  EXPECT_EQ(driver->stats().unknown_peer_drops, 1u);
}

TEST(UdpMachineDriver, AnAddressNamesOneNodeOnly) {
  auto loop = make_loop();
  TimerProbe probe;
  auto driver = make_driver(*loop, probe);
  Address shared = Address::ipv4_loopback(9999);
  ASSERT_TRUE(driver->add_peer(1, shared).ok());
  Status clash = driver->add_peer(2, shared);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code(), Errc::invalid_argument);
  EXPECT_TRUE(driver->add_peer(1, Address::ipv4_loopback(9998)).ok());  // moving node 1 frees 9999
  EXPECT_TRUE(driver->add_peer(2, shared).ok());
}

TEST(UdpMachineDriver, TaggedDriversTalkAndOtherTagsAreDropped) {
  auto loop = make_loop();
  PingPong alice(2, true, 10);
  PingPong bob(1, false, 10);
  PingPong other(1, true, 10);  // same peer table entry, another group
  auto a = make_driver(*loop, alice);
  auto b = make_driver(*loop, bob);
  auto o = make_driver(*loop, other);
  a->set_tag({'g', '1'});
  b->set_tag({'g', '1'});
  o->set_tag({'g', '2'});
  ASSERT_TRUE(a->add_peer(2, address_of(*b)).ok());
  ASSERT_TRUE(b->add_peer(1, address_of(*a)).ok());
  ASSERT_TRUE(a->add_peer(3, address_of(*o)).ok());
  ASSERT_TRUE(o->add_peer(1, address_of(*a)).ok());

  std::vector<std::string> outputs;
  b->on_output([&](const std::string& line) {
    outputs.push_back(line);
    loop->stop();
  });
  o->start();
  a->start();
  b->start();
  ASSERT_TRUE(loop->run_for(20s).ok());

  EXPECT_EQ(outputs, std::vector<std::string>{"done 10"});  // the payload arrives without the tag
  EXPECT_GE(a->stats().other_tag_drops, 1u);
  EXPECT_EQ(alice.received(), 5);  // 1, 3, ..., 9: nothing from the other group
}

// Counts datagrams; at the `wake_after`-th it asks for a timer due at once,
// and records when the datagram and the timer were seen.
class BurstProbe final : public Machine {
 public:
  explicit BurstProbe(int wake_after) : wake_after_(wake_after) {}
  void start(TimePoint, Actions&) override {}
  void on_packet(TimePoint now, NodeId, const Buffer&, Actions& out) override {
    if (++received_ != wake_after_) return;
    last_packet_at = now;
    out.set_timer(kRetry, Duration::zero());
  }
  void on_timer(TimePoint now, TimerKey, Actions& out) override {
    timer_at = now;
    out.output("timer");
  }
  TimePoint last_packet_at{}, timer_at{};

 private:
  int wake_after_;
  int received_ = 0;
};

// The pause follows a busy drain, so the loop attends to nothing else
// meanwhile: a timer due at once fires only after it.
TEST(UdpMachineDriver, ReceiveCoalescingPausesAfterABusyDrain) {
  auto loop = make_loop();
  BurstProbe probe(10);
  auto driver = make_driver(*loop, probe);
  driver->set_receive_coalescing(100ms, 8);
  auto sender = UdpSocket::bind(Address::ipv4_loopback(0));
  ASSERT_TRUE(sender.ok());
  ASSERT_TRUE(driver->add_peer(2, sender->local_address().value()).ok());
  driver->on_output([&](const std::string&) { loop->stop(); });
  driver->start();
  std::vector<Datagram> burst;
  for (int i = 0; i < 10; ++i) burst.push_back({address_of(*driver), Buffer::copy_of("x")});
  ASSERT_EQ(sender->send_batch(burst).value(), 10u);
  ASSERT_TRUE(loop->run_for(20s).ok());

  ASSERT_NE(probe.timer_at, TimePoint{});
  EXPECT_GE(probe.timer_at - probe.last_packet_at, 100ms);
}

}  // namespace
}  // namespace cohort
