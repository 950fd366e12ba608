// A toy FIFO reliable broadcast: the protocol that proves the simulator.
// Every node relays each message it learns to every peer and retransmits
// until each peer acknowledges it, so a message delivered by one process
// that stays up reaches all processes that stay up, through loss,
// duplication, reordering, partitions and restarts. Delivery is FIFO per
// origin; a restarted node is a new incarnation and a new origin.
//
// Wire format (little-endian), one message per datagram:
//   u8 type (1 DATA, 2 ACK, 3 HELLO, 4 HELLO_ACK), u32 sender incarnation,
//   DATA:  u32 origin, u32 origin incarnation, u64 seq, blob payload (<= 64 KiB)
//   ACK:   u32 origin, u32 origin incarnation, u64 seq
//   HELLO / HELLO_ACK: nothing more
// A HELLO announces a new incarnation so peers resend what it has lost.
//
// Output records: "bcast <origin> <inc> <seq> <payload-hash>" and
//                 "deliver <origin> <inc> <seq> <payload-hash>".
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/core/machine.h"

namespace cohort::sim {

struct MessageId {
  NodeId origin = 0;
  std::uint32_t incarnation = 0;
  std::uint64_t seq = 0;
  auto operator<=>(const MessageId&) const = default;
};

struct RbPacket {
  enum class Type : std::uint8_t { data = 1, ack = 2, hello = 3, hello_ack = 4 };
  Type type = Type::data;
  std::uint32_t sender_incarnation = 0;
  MessageId id;
  Buffer payload;
};

inline constexpr std::size_t kRbMaxPayload = 64 * 1024;

Buffer encode_rb_packet(const RbPacket& packet);
Result<RbPacket> decode_rb_packet(const Buffer& bytes);

class ReliableBroadcast final : public Machine {
 public:
  // Deliberate faults, so tests can show the checker catches broken protocols.
  enum class Bug { none, no_retransmit, unordered_delivery };
  struct Options {
    Duration retransmit_interval = std::chrono::milliseconds(50);
    Bug bug = Bug::none;
  };

  ReliableBroadcast(NodeId self, std::uint32_t incarnation, std::size_t node_count, Options options);

  void start(TimePoint now, Actions& out) override;
  void on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) override;
  void on_timer(TimePoint now, TimerKey key, Actions& out) override;

  MessageId broadcast(TimePoint now, Buffer payload, Actions& out);

  // Messages some live peer has not acknowledged yet (0 once quiescent).
  std::size_t unacknowledged() const;
  std::uint64_t malformed_packets() const { return malformed_; }

 private:
  struct Known {
    Buffer payload;
    std::set<NodeId> unacked;
  };
  struct OriginState {
    std::uint64_t next_to_deliver = 1;
    std::map<std::uint64_t, Buffer> waiting;  // received ahead of a gap
  };

  void on_data(NodeId from, const RbPacket& packet, Actions& out);
  void on_ack(NodeId from, const RbPacket& packet);
  void learn(const MessageId& id, const Buffer& payload, NodeId already_has, Actions& out);
  void deliver_ready(const MessageId& id, Actions& out);
  void deliver(const MessageId& id, const Buffer& payload, Actions& out);
  // Notes a peer's incarnation; a newer one means it lost everything.
  void observe_incarnation(NodeId peer, std::uint32_t incarnation, Actions& out);
  void send_data(NodeId to, const MessageId& id, const Buffer& payload, Actions& out);
  void send_control(NodeId to, RbPacket::Type type, const MessageId& id, Actions& out);
  void arm_retransmit(Actions& out);
  bool known(const MessageId& id) const;

  NodeId self_;
  std::uint32_t incarnation_;
  std::size_t node_count_;
  Options options_;
  std::uint64_t next_seq_ = 1;
  std::vector<std::uint32_t> peer_incarnation_;
  std::set<NodeId> hello_unacked_;
  std::map<MessageId, Known> known_;
  std::map<std::pair<NodeId, std::uint32_t>, OriginState> origins_;
  bool retransmit_armed_ = false;
  Duration retransmit_interval_;
  std::uint64_t malformed_ = 0;
};

}  // namespace cohort::sim
