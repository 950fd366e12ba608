// Binds one I/O-free Machine to a real UdpSocket and EventLoop: datagrams in
// become on_packet, SetTimer/CancelTimer become loop timers, SendAction
// becomes a datagram to the peer's address, OutputAction goes to a callback.
// The protocol stays ignorant of sockets and clocks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/core/event_loop.h"
#include "cohort/core/machine.h"
#include "cohort/transport/udp.h"

namespace cohort {

struct UdpDriverStats {
  std::uint64_t unknown_sender_drops = 0;  // datagrams from addresses not in the peer table
  std::uint64_t unknown_peer_drops = 0;    // SendActions to a NodeId not in the peer table
  std::uint64_t send_drops = 0;            // datagrams the socket refused (UDP may lose them anyway)
  std::uint64_t receive_errors = 0;        // failed receives other than would_block
  std::uint64_t other_tag_drops = 0;       // datagrams that do not start with the driver's tag
};

class UdpMachineDriver {
 public:
  using OutputCallback = std::function<void(const std::string& record)>;

  // Watches `socket` on `loop`; `loop` and `machine` must outlive the driver.
  static Result<std::unique_ptr<UdpMachineDriver>> create(EventLoop& loop, UdpSocket socket, Machine& machine);
  ~UdpMachineDriver();
  UdpMachineDriver(const UdpMachineDriver&) = delete;
  UdpMachineDriver& operator=(const UdpMachineDriver&) = delete;

  // Maps a NodeId to its address, both ways; an address may name one node only.
  Status add_peer(NodeId id, const Address& address);
  void on_output(OutputCallback callback) { on_output_ = std::move(callback); }
  // Every datagram sent starts with `tag`; one received that does not is
  // dropped, and the machine sees the rest. Keeps apart the groups (or
  // protocols) that share a port range. Set before start().
  void set_tag(std::vector<std::uint8_t> tag) { tag_ = std::move(tag); }

  void start();
  // Runs an application call on the machine, `f(now, actions)`, then applies
  // the actions it produced.
  template <class F>
  void call(F&& f) {
    Actions actions;
    std::forward<F>(f)(loop_.now(), actions);
    apply(actions);
  }

  const UdpSocket& socket() const { return socket_; }
  const UdpDriverStats& stats() const { return stats_; }

 private:
  UdpMachineDriver(EventLoop& loop, UdpSocket socket, Machine& machine);
  void receive_available();
  bool has_tag(const Buffer& bytes) const;
  void apply(Actions& actions);
  void arm_timer(TimerKey key, Duration after);
  void cancel_timer(TimerKey key);
  void fire_timer(TimerKey key);

  EventLoop& loop_;
  UdpSocket socket_;
  Machine& machine_;
  OutputCallback on_output_;
  std::map<NodeId, Address> peers_;
  std::map<Address, NodeId> nodes_by_address_;
  std::unordered_map<TimerKey, EventLoop::TimerId> timers_;
  std::vector<std::uint8_t> tag_;
  UdpDriverStats stats_;
};

}  // namespace cohort
