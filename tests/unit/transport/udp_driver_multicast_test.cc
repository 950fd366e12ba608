// UdpMachineDriver's multicast channels: configuration errors are clear,
// unknown channels are counted, and a multicast reaches the drivers whose
// machines joined the channel, attributed to its sender, never to itself;
// the same holds for channels carried by unicast fan-out.
//
// The exchange needs an interface with the MULTICAST flag. `lo` usually lacks
// it, so as root the exchange runs in a private network namespace (made by
// its own thread with unshare, gone when the thread ends) whose `lo` has the
// flag set; otherwise on this namespace's `lo` if it has the flag; otherwise
// the test is skipped and says why (tests/cluster covers real interfaces).
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cohort/transport/udp_driver.h"

namespace cohort {
namespace {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

constexpr ChannelId kChannel = 7;
constexpr TimerKey kCast = 1;

// Joins the channel at start if told to; shortly after, multicasts `count`
// datagrams naming itself. Counts receipts per sender; a datagram whose named
// sender differs from `from` counts as misattributed.
class Caster final : public Machine {
 public:
  Caster(NodeId self, bool join, int count) : self_(self), join_(join), count_(count) {}
  void start(TimePoint, Actions& out) override {
    if (join_) out.join_channel(kChannel);
    out.set_timer(kCast, 50ms);
  }
  void on_packet(TimePoint, NodeId from, const Buffer& bytes, Actions&) override {
    if (bytes.as_string() != std::to_string(from)) ++misattributed;
    ++got[from];
  }
  void on_timer(TimePoint, TimerKey, Actions& out) override {
    for (int i = 0; i < count_; ++i) out.multicast(kChannel, Buffer::copy_of(std::to_string(self_)));
  }
  std::map<NodeId, int> got;
  int misattributed = 0;

 private:
  NodeId self_;
  bool join_;
  int count_;
};

std::unique_ptr<UdpMachineDriver> make_driver(EventLoop& loop, Machine& machine, const Address& local) {
  auto socket = UdpSocket::bind(local);
  EXPECT_TRUE(socket.ok()) << socket.error().to_string();
  auto driver = UdpMachineDriver::create(loop, std::move(socket).value(), machine);
  EXPECT_TRUE(driver.ok());
  return std::move(driver).value();
}

MulticastOptions channel_on(const std::string& group, const std::string& interface = "") {
  MulticastOptions options;
  options.channels[kChannel] = Address::parse(group).value();
  options.interface = interface;
  return options;
}

TEST(UdpMachineDriverMulticast, ConfigurationErrorsSayWhatIsWrong) {
  auto loop = EventLoop::create().value();
  Caster machine(1, false, 0);
  auto driver = make_driver(*loop, machine, Address::ipv4_loopback(0));

  Status unicast_group = driver->enable_multicast(channel_on("127.0.0.1:9"));
  EXPECT_EQ(unicast_group.error().code(), Errc::invalid_argument);
  EXPECT_NE(unicast_group.error().message().find("not a multicast group"), std::string::npos);

  MulticastOptions twice = channel_on("239.255.77.3:9");
  twice.channels[kChannel + 1] = twice.channels[kChannel];
  EXPECT_EQ(driver->enable_multicast(twice).error().code(), Errc::invalid_argument);

  Status no_interface = driver->enable_multicast(channel_on("239.255.77.3:9", "nosuchif0"));
  EXPECT_EQ(no_interface.error().code(), Errc::interface_not_found);

  // Failed attempts leave nothing behind, so a good one still works, once.
  ASSERT_TRUE(driver->enable_multicast(channel_on("239.255.77.3:0")).ok());
  EXPECT_EQ(driver->enable_multicast(channel_on("239.255.77.4:0")).error().code(), Errc::invalid_argument);
}

TEST(UdpMachineDriverMulticast, LoopbackNeedsASpecificallyBoundSocket) {
  auto loop = EventLoop::create().value();
  Caster machine(1, false, 0);
  auto driver = make_driver(*loop, machine, Address::ipv4_any(0));
  Status s = driver->enable_multicast(channel_on("239.255.77.3:0"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), Errc::invalid_argument);
  EXPECT_NE(s.error().message().find("bind"), std::string::npos) << s.error().message();
  MulticastOptions no_loopback = channel_on("239.255.77.3:0");
  no_loopback.loopback = false;
  EXPECT_TRUE(driver->enable_multicast(no_loopback).ok());
}

TEST(UdpMachineDriverMulticast, UnknownChannelsAreCounted) {
  auto loop = EventLoop::create().value();
  Caster machine(1, false, 0);
  auto driver = make_driver(*loop, machine, Address::ipv4_loopback(0));
  driver->call([](TimePoint, Actions& out) {
    out.join_channel(3);
    out.multicast(3, Buffer::copy_of("nobody"));
    out.leave_channel(3);
  });
  EXPECT_EQ(driver->stats().unknown_channel_drops, 3u);
}

// Why the exchange cannot run in this thread's network namespace, if it cannot.
std::optional<std::string> prepare_loopback_multicast() {
  bool private_namespace = ::unshare(CLONE_NEWNET) == 0;
  int probe = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return std::string("socket: ") + std::strerror(errno);
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ::ioctl(probe, SIOCGIFFLAGS, &request);
  if (rc == 0 && private_namespace) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_MULTICAST);
    rc = ::ioctl(probe, SIOCSIFFLAGS, &request);
  }
  ::close(probe);
  if (rc != 0) return std::string("reading or setting the flags of lo: ") + std::strerror(errno);
  if ((request.ifr_flags & IFF_MULTICAST) == 0) {
    return std::string("lo lacks the MULTICAST flag and a private network namespace needs root; "
                       "tests/cluster checks multicast between namespaces");
  }
  return std::nullopt;
}

struct Exchange {
  std::optional<std::string> skipped;
  std::map<NodeId, int> got1, got2, got3;
  int misattributed = 0;
  UdpDriverStats stats1, stats3;
};

// Drivers 1 and 2 join, 3 does not; each multicasts 5 datagrams. Then 2
// leaves, 3 joins, and 1 multicasts once more. By IP multicast, or with
// `fanout` by unicast to every peer (no multicast needed).
Exchange exchange(bool fanout = false) {
  Exchange result;
  if (!fanout) result.skipped = prepare_loopback_multicast();
  if (result.skipped) return result;
  auto loop = EventLoop::create().value();
  Caster m1(1, true, 5), m2(2, true, 5), m3(3, false, 5);
  std::map<NodeId, std::unique_ptr<UdpMachineDriver>> drivers;
  drivers[1] = make_driver(*loop, m1, Address::ipv4_loopback(0));
  drivers[2] = make_driver(*loop, m2, Address::ipv4_loopback(0));
  drivers[3] = make_driver(*loop, m3, Address::ipv4_loopback(0));
  // A free port, released again: the channel sockets bind it on the wildcard address.
  const std::uint16_t port = UdpSocket::bind(Address::ipv4_loopback(0)).value().local_address().value().port();
  std::string group = "239.255.77.5:" + std::to_string(port);
  for (auto& [id, driver] : drivers) {
    for (auto& [peer, other] : drivers) {  // a shared peer list names each driver itself too
      EXPECT_TRUE(driver->add_peer(peer, other->socket().local_address().value()).ok());
    }
    Status enabled = fanout ? driver->enable_unicast_channels() : driver->enable_multicast(channel_on(group, "lo"));
    EXPECT_TRUE(enabled.ok()) << enabled.error().to_string();
  }
  auto wait_for = [&](auto done) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < deadline) EXPECT_TRUE(loop->run_for(10ms).ok());
  };
  for (auto& [id, driver] : drivers) driver->start();
  wait_for([&] { return m1.got[2] == 5 && m1.got[3] == 5 && m2.got[1] == 5 && m2.got[3] == 5; });
  EXPECT_TRUE(loop->run_for(100ms).ok());  // time for strays to show up

  drivers[2]->call([](TimePoint, Actions& out) { out.leave_channel(kChannel); });
  drivers[3]->call([](TimePoint, Actions& out) { out.join_channel(kChannel); });
  drivers[1]->call([](TimePoint, Actions& out) { out.multicast(kChannel, Buffer::copy_of("1")); });
  wait_for([&] { return m3.got[1] == 1; });
  EXPECT_TRUE(loop->run_for(100ms).ok());

  result.got1 = m1.got;
  result.got2 = m2.got;
  result.got3 = m3.got;
  result.misattributed = m1.misattributed + m2.misattributed + m3.misattributed;
  result.stats1 = drivers[1]->stats();
  result.stats3 = drivers[3]->stats();
  return result;
}

TEST(UdpMachineDriverMulticast, ReachesJoinedPeersAttributedToTheSenderNeverItself) {
  Exchange r;
  std::thread([&] { r = exchange(); }).join();  // the namespace stays with that thread
  if (r.skipped) GTEST_SKIP() << *r.skipped;
  EXPECT_EQ(r.got1, (std::map<NodeId, int>{{2, 5}, {3, 5}}));
  EXPECT_EQ(r.got2, (std::map<NodeId, int>{{1, 5}, {3, 5}}));  // left before 1's last multicast
  EXPECT_EQ(r.got3, (std::map<NodeId, int>{{1, 1}}));          // joined only for it
  EXPECT_EQ(r.misattributed, 0);
  EXPECT_EQ(r.stats1.own_multicast_drops, 6u);
  EXPECT_EQ(r.stats1.unknown_sender_drops, 0u);
  EXPECT_EQ(r.stats1.join_failures, 0u);
  EXPECT_EQ(r.stats3.unknown_channel_drops, 0u);
}

TEST(UdpMachineDriverMulticast, UnicastFanOutKeepsTheSameChannelSemantics) {
  Exchange r = exchange(true);
  EXPECT_EQ(r.got1, (std::map<NodeId, int>{{2, 5}, {3, 5}}));
  EXPECT_EQ(r.got2, (std::map<NodeId, int>{{1, 5}, {3, 5}}));
  EXPECT_EQ(r.got3, (std::map<NodeId, int>{{1, 1}}));
  EXPECT_EQ(r.misattributed, 0);
  EXPECT_EQ(r.stats1.unknown_sender_drops, 0u);
  EXPECT_EQ(r.stats3.unjoined_drops, 10u);  // 1's and 2's first five, before it joined
}

// Multicasts `count` datagrams alternating between two channels, numbered.
class Alternator final : public Machine {
 public:
  explicit Alternator(int count) : count_(count) {}
  void start(TimePoint, Actions& out) override { out.set_timer(kCast, 50ms); }
  void on_packet(TimePoint, NodeId, const Buffer&, Actions&) override {}
  void on_timer(TimePoint, TimerKey, Actions& out) override {
    for (int i = 0; i < count_; ++i) out.multicast(kChannel + static_cast<ChannelId>(i % 2), Buffer::copy_of(std::to_string(i)));
  }

 private:
  int count_;
};

// Joins both channels and records the numbers in the order it gets them.
class Recorder final : public Machine {
 public:
  void start(TimePoint, Actions& out) override {
    out.join_channel(kChannel);
    out.join_channel(kChannel + 1);
  }
  void on_packet(TimePoint, NodeId, const Buffer& bytes, Actions&) override {
    order.push_back(std::stoi(std::string(bytes.as_string())));
  }
  void on_timer(TimePoint, TimerKey, Actions&) override {}
  std::vector<int> order;
};

// The filecast receiver's repair must not overtake the data sent before it:
// datagrams of two channels on one port, queued together, come out in the
// order they were sent.
TEST(UdpMachineDriverMulticast, ChannelsOnOnePortAreTakenInTheOrderTheyArrived) {
  constexpr int kCount = 64;
  std::optional<std::string> skipped;
  std::vector<int> order;
  std::thread([&] {
    skipped = prepare_loopback_multicast();
    if (skipped) return;
    auto loop = EventLoop::create().value();
    Alternator sender_machine(kCount);
    Recorder receiver_machine;
    auto sender = make_driver(*loop, sender_machine, Address::ipv4_loopback(0));
    auto receiver = make_driver(*loop, receiver_machine, Address::ipv4_loopback(0));
    const std::uint16_t port = UdpSocket::bind(Address::ipv4_loopback(0)).value().local_address().value().port();
    MulticastOptions options = channel_on("239.255.77.7:" + std::to_string(port), "lo");
    options.channels[kChannel + 1] = Address::parse("239.255.77.8:" + std::to_string(port)).value();
    for (auto* driver : {sender.get(), receiver.get()}) {
      EXPECT_TRUE(driver->add_peer(1, sender->socket().local_address().value()).ok());
      EXPECT_TRUE(driver->add_peer(2, receiver->socket().local_address().value()).ok());
      EXPECT_TRUE(driver->enable_multicast(options).ok());
    }
    receiver->start();
    sender->start();  // all of it is sent in one timer, so it queues before the receiver reads
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (receiver_machine.order.size() < kCount && std::chrono::steady_clock::now() < deadline) {
      EXPECT_TRUE(loop->run_for(10ms).ok());
    }
    order = receiver_machine.order;
  }).join();
  if (skipped) GTEST_SKIP() << *skipped;
  std::vector<int> sent(kCount);
  for (int i = 0; i < kCount; ++i) sent[static_cast<std::size_t>(i)] = i;
  EXPECT_EQ(order, sent);
}

TEST(UdpMachineDriverMulticast, FanOutAndMulticastExcludeEachOther) {
  auto loop = EventLoop::create().value();
  Caster machine(1, false, 0);
  auto driver = make_driver(*loop, machine, Address::ipv4_loopback(0));
  EXPECT_TRUE(driver->enable_unicast_channels().ok());
  EXPECT_EQ(driver->enable_multicast(channel_on("239.255.77.6:7000")).error().code(), Errc::invalid_argument);
  EXPECT_EQ(driver->enable_unicast_channels().error().code(), Errc::invalid_argument);
}

}  // namespace
}  // namespace cohort
