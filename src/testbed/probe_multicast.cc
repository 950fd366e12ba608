#include "probe_multicast.h"

#include <iostream>

#include "cohort/core/event_loop.h"
#include "cohort/transport/udp_driver.h"

namespace cohort::probe {
namespace {

constexpr ChannelId kChannel = 1;
constexpr TimerKey kNext = 1;

class Caster final : public Machine {
 public:
  explicit Caster(const MulticastProbeOptions& options) : options_(options) {}
  void start(TimePoint, Actions& out) override {
    out.join_channel(kChannel);
    if (options_.count > 0) out.set_timer(kNext, std::chrono::milliseconds(options_.start_after_ms));
  }
  void on_packet(TimePoint, NodeId from, const Buffer& bytes, Actions&) override {
    if (bytes.as_string() == std::to_string(from)) {
      ++got[from];
    } else {
      ++misattributed;
    }
  }
  void on_timer(TimePoint, TimerKey, Actions& out) override {
    out.multicast(kChannel, Buffer::copy_of(std::to_string(options_.self)));
    if (++sent < options_.count) out.set_timer(kNext, std::chrono::milliseconds(options_.interval_ms));
  }

  std::map<NodeId, int> got;
  int sent = 0;
  int misattributed = 0;

 private:
  const MulticastProbeOptions& options_;
};

int fail(const Error& error) {
  std::cerr << "cohort-probe multicast: " << error.to_string() << "\n";
  return 1;
}

}  // namespace

int run_multicast(const MulticastProbeOptions& options) {
  auto loop = EventLoop::create();
  if (!loop) return fail(loop.error());
  auto socket = UdpSocket::bind(options.bind);
  if (!socket) return fail(socket.error());
  Caster caster(options);
  auto driver = UdpMachineDriver::create(**loop, std::move(socket).value(), caster);
  if (!driver) return fail(driver.error());
  for (const auto& [id, address] : options.peers) {
    if (Status s = (*driver)->add_peer(id, address); !s) return fail(s.error());
  }
  MulticastOptions multicast;
  multicast.channels[kChannel] = options.group;
  multicast.interface = options.interface;
  if (Status s = (*driver)->enable_multicast(multicast); !s) return fail(s.error());
  (*driver)->start();
  if (Status s = (*loop)->run_for(std::chrono::milliseconds(options.duration_ms)); !s) return fail(s.error());

  const UdpDriverStats& stats = (*driver)->stats();
  std::cout << "sent " << caster.sent;
  for (const auto& [from, n] : caster.got) std::cout << " from" << from << " " << n;
  std::cout << " misattributed " << caster.misattributed << " own " << stats.own_multicast_drops << " unknown "
            << stats.unknown_sender_drops << " join_failures " << stats.join_failures << std::endl;
  return 0;
}

}  // namespace cohort::probe
