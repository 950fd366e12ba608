// Binds one I/O-free Machine to a real UdpSocket and EventLoop: datagrams in
// become on_packet, SetTimer/CancelTimer become loop timers, SendAction
// becomes a datagram to the peer's address, OutputAction goes to a callback.
// Multicast channels map to IP multicast groups: MulticastAction is a
// datagram to the channel's group, sent from the unicast socket so that
// receivers know the sender by its address; Join/LeaveChannelAction join and
// leave the group on the channel's own receiving socket. Where the network
// has no multicast, channels can instead be carried by unicast fan-out.
// The protocol stays ignorant of sockets, addresses and clocks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
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
  std::uint64_t unknown_channel_drops = 0; // multicasts, joins and leaves of channels not configured
  std::uint64_t join_failures = 0;         // joins the kernel refused (logged)
  std::uint64_t own_multicast_drops = 0;   // our own multicasts looped back to us
  std::uint64_t unjoined_drops = 0;        // fan-out datagrams of channels the machine has not joined
};

struct MulticastOptions {
  // Each channel's group address and port. Channels on one port share a
  // socket, so their datagrams are taken in the order they arrived (a
  // socket per channel let a later repair overtake the data before it).
  std::map<ChannelId, Address> channels;
  std::string interface;                  // where to join and send; empty lets the kernel choose
  int ttl = 1;                            // 1 stays on the local network
  // Copies reach other members on this host. Needs the driver's socket bound
  // to a specific address: the driver drops datagrams from that address on
  // a channel, since they are its own multicasts coming back.
  bool loopback = true;
  int receive_buffer_bytes = 0;  // each channel port's socket's SO_RCVBUF; 0 keeps the system default
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
  // Interrupt moderation for a bulk receiver: after draining a socket that
  // had at least `busy` datagrams, the driver sleeps `pause` before the loop waits
  // again, so that the next datagrams queue up and are taken in one batch
  // instead of each waking the process (on a loaded host the wake-ups cost
  // more than the datagrams). The socket buffers must hold `pause` worth of
  // traffic. Zero (the default) turns it off.
  void set_receive_coalescing(Duration pause, std::size_t busy) {
    coalesce_pause_ = pause;
    coalesce_busy_ = busy;
  }
  // Once, before the machine joins a channel. Errors: invalid_argument (not a
  // multicast group, wrong family, two channels on one group, loopback with
  // a wildcard-bound socket, called twice), interface_not_found,
  // multicast_unavailable, address_in_use.
  Status enable_multicast(const MulticastOptions& options);
  // Channels without IP multicast: a MulticastAction goes to every peer in
  // the table as a datagram of its own, each datagram names its channel
  // (after the tag), and a receiving driver passes on only those of channels
  // its machine joined (and every direct SendAction); a peer at the
  // driver's own bound address is left out. Every member of the session
  // must use it. Once, before start(), instead of enable_multicast.
  // Errors: invalid_argument.
  Status enable_unicast_channels();

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
  bool has_tag(const Buffer& bytes) const;
  struct Channel {
    Address group;
    UdpSocket* socket = nullptr;  // its port's, in ports_
    bool joined = false;          // the machine asked for it
  };
  Status open_channel(ChannelId id, const Address& group);
  Result<UdpSocket*> port_socket(const Address& group);
  // `multicast`: a channel socket, where our own looped-back multicasts arrive.
  void receive_available(UdpSocket& socket, bool multicast);
  void pause_after_busy_drain();
  // Fan-out mode: strips the channel header; false if the machine must not see it.
  bool take_fanout_header(Buffer& bytes);
  void fan_out(ChannelId channel, const Buffer& bytes, std::vector<Datagram>& outgoing) const;
  void join(ChannelId id, bool on);
  Channel* channel(ChannelId id);
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
  Duration coalesce_pause_{};
  std::size_t coalesce_busy_ = 0;
  std::map<ChannelId, Channel> channels_;
  std::map<std::uint16_t, std::unique_ptr<UdpSocket>> ports_;  // bound to the wildcard, joined groups only
  std::optional<MulticastOptions> multicast_;
  bool fanout_ = false;                  // channels by unicast (enable_unicast_channels)
  std::set<ChannelId> fanout_joined_;
  Address self_;  // the socket's bound address, to spot our own multicasts
  UdpDriverStats stats_;
};

}  // namespace cohort
