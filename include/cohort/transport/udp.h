// UDP sockets, unicast and IP multicast, non-blocking, with batched send and
// receive (sendmmsg/recvmmsg, with UDP segmentation offload both ways where
// the kernel has it). Errors say what went wrong in the user's terms:
// interface not found, multicast not available, address in use.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"
#include "cohort/transport/address.h"
#include "cohort/transport/unique_fd.h"

namespace cohort {

struct UdpOptions {
  bool reuse_address = false;      // SO_REUSEADDR (several receivers of one multicast port)
  int send_buffer_bytes = 0;       // 0 keeps the system default; else SO_SNDBUF(FORCE)
  int receive_buffer_bytes = 0;    // 0 keeps the system default; else SO_RCVBUF(FORCE)
  // IP(V6)_MULTICAST_ALL off: a wildcard-bound socket gets the multicast
  // groups it joined itself only, not every group some socket of the host joined.
  bool only_joined_groups = false;
  // UDP_GRO: the kernel may hand over a run of one sender's equal-sized
  // datagrams as one; receive_batch splits it again. receive() does not, so
  // leave this off for sockets read with it.
  bool coalesced_receive = false;
};

struct Datagram {
  Address peer;
  Buffer bytes;
};

class UdpSocket {
 public:
  // Binds to `local` (port 0 picks a free port).
  static Result<UdpSocket> bind(const Address& local, const UdpOptions& options = {});

  int fd() const { return fd_.get(); }
  Result<Address> local_address() const;

  // Sends one datagram; would_block if the socket buffer is full.
  Status send_to(const Address& to, ByteView bytes);
  // Receives one datagram of at most `max_size` bytes; would_block if none.
  // A longer datagram is dropped, counted, and reported as too_large.
  Result<Datagram> receive(std::size_t max_size = 65536);
  // Sends as many as the kernel takes in one sendmmsg call; returns how many.
  // A non-empty `prefix` goes in front of every datagram (gathered, not copied).
  // Consecutive datagrams to one peer of one size leave as one segmented
  // message (UDP_SEGMENT) unless the kernel refused that once.
  Result<std::size_t> send_batch(std::span<const Datagram> datagrams, ByteView prefix = {});
  // Receives up to `max_count` datagrams with one recvmmsg call; would_block
  // if none. Datagrams longer than `max_size` are dropped and counted. The
  // datagrams of one call share one allocation of their total size (a bulk
  // receiver spent a tenth of its CPU in malloc with one per datagram), so a
  // datagram kept keeps its batch's bytes alive.
  Result<std::vector<Datagram>> receive_batch(std::size_t max_count, std::size_t max_size = 65536);
  std::uint64_t truncated_count() const { return truncated_; }
  bool segments_sends() const { return segment_sends_; }

  // Multicast. `interface_name` empty means the system's choice. A named
  // interface that does not exist is interface_not_found; one that cannot do
  // multicast (no MULTICAST flag, or the kernel refuses) is
  // multicast_unavailable.
  Status join_group(const Address& group, const std::string& interface_name);
  Status leave_group(const Address& group, const std::string& interface_name);
  Status set_multicast_interface(const std::string& interface_name);
  Status set_multicast_ttl(int ttl);
  Status set_multicast_loopback(bool enabled);

 private:
  struct ReceiveRoom;  // recvmmsg's buffers, kept from one batch to the next
  struct FreeRoom {
    void operator()(ReceiveRoom* room) const;
  };
  UdpSocket(int fd, int family) : fd_(fd), family_(family) {}
  Status change_membership(const Address& group, const std::string& interface_name, bool join);
  int send_messages(std::span<const Datagram> datagrams, ByteView prefix, bool segment, std::size_t& sent);

  UniqueFd fd_;
  int family_ = AF_INET;
  std::uint64_t truncated_ = 0;
  bool segment_sends_ = true;
  std::unique_ptr<ReceiveRoom, FreeRoom> receive_room_;
};

}  // namespace cohort
