#include "cohort/sim/reliable_broadcast.h"

#include <algorithm>

#include <fmt/format.h>

#include "cohort/core/bytes.h"
#include "cohort/core/rng.h"

namespace cohort::sim {

namespace {

constexpr TimerKey kRetransmitTimer = 1;
constexpr Duration kMaxRetransmitInterval = std::chrono::seconds(1);

std::uint64_t payload_hash(const Buffer& payload) { return fnv1a64(payload.data(), payload.size()); }

std::string record(const char* what, const MessageId& id, const Buffer& payload) {
  return fmt::format("{} {} {} {} {:016x}", what, id.origin, id.incarnation, id.seq, payload_hash(payload));
}

}  // namespace

Buffer encode_rb_packet(const RbPacket& packet) {
  ByteWriter w(32 + packet.payload.size());
  w.u8(static_cast<std::uint8_t>(packet.type));
  w.u32(packet.sender_incarnation);
  if (packet.type == RbPacket::Type::data || packet.type == RbPacket::Type::ack) {
    w.u32(packet.id.origin);
    w.u32(packet.id.incarnation);
    w.u64(packet.id.seq);
  }
  if (packet.type == RbPacket::Type::data) w.blob(packet.payload);
  return w.finish();
}

Result<RbPacket> decode_rb_packet(const Buffer& bytes) {
  ByteReader r(bytes);
  RbPacket p;
  std::uint8_t type = r.u8();
  p.sender_incarnation = r.u32();
  if (type < 1 || type > 4) r.fail(Errc::malformed, fmt::format("unknown packet type {}", type));
  p.type = static_cast<RbPacket::Type>(type);
  if (p.type == RbPacket::Type::data || p.type == RbPacket::Type::ack) {
    p.id.origin = r.u32();
    p.id.incarnation = r.u32();
    p.id.seq = r.u64();
    if (!r.failed() && p.id.seq == 0) r.fail(Errc::malformed, "sequence number 0");
  }
  if (p.type == RbPacket::Type::data) p.payload = r.blob_slice(kRbMaxPayload);
  if (Status s = r.finish(); !s) return s.error();
  return p;
}

ReliableBroadcast::ReliableBroadcast(NodeId self, std::uint32_t incarnation, std::size_t node_count,
                                     Options options)
    : self_(self),
      incarnation_(incarnation),
      node_count_(node_count),
      options_(options),
      peer_incarnation_(node_count, 0),
      retransmit_interval_(options.retransmit_interval) {}

void ReliableBroadcast::start(TimePoint /*now*/, Actions& out) {
  if (incarnation_ == 0) return;
  for (NodeId peer = 0; peer < node_count_; ++peer) {
    if (peer == self_) continue;
    hello_unacked_.insert(peer);
    send_control(peer, RbPacket::Type::hello, {}, out);
  }
  arm_retransmit(out);
}

MessageId ReliableBroadcast::broadcast(TimePoint /*now*/, Buffer payload, Actions& out) {
  MessageId id{self_, incarnation_, next_seq_++};
  out.output(record("bcast", id, payload));
  learn(id, payload, self_, out);
  return id;
}

void ReliableBroadcast::on_packet(TimePoint /*now*/, NodeId from, const Buffer& bytes, Actions& out) {
  auto packet = decode_rb_packet(bytes);
  if (!packet || from >= node_count_ || from == self_) {
    ++malformed_;
    return;
  }
  observe_incarnation(from, packet->sender_incarnation, out);
  if (packet->sender_incarnation < peer_incarnation_[from]) return;  // from a dead incarnation
  switch (packet->type) {
    case RbPacket::Type::data: on_data(from, *packet, out); break;
    case RbPacket::Type::ack: on_ack(from, *packet); break;
    case RbPacket::Type::hello: send_control(from, RbPacket::Type::hello_ack, {}, out); break;
    case RbPacket::Type::hello_ack: hello_unacked_.erase(from); break;
  }
}

void ReliableBroadcast::on_data(NodeId from, const RbPacket& packet, Actions& out) {
  send_control(from, RbPacket::Type::ack, packet.id, out);
  if (!known(packet.id)) learn(packet.id, packet.payload, from, out);
}

void ReliableBroadcast::on_ack(NodeId from, const RbPacket& packet) {
  auto it = known_.find(packet.id);
  if (it != known_.end() && it->second.unacked.erase(from) != 0) {
    retransmit_interval_ = options_.retransmit_interval;  // progress: the path works again
  }
}

void ReliableBroadcast::learn(const MessageId& id, const Buffer& payload, NodeId already_has, Actions& out) {
  Known& k = known_[id];
  k.payload = payload;
  for (NodeId peer = 0; peer < node_count_; ++peer) {
    if (peer == self_ || peer == already_has) continue;
    k.unacked.insert(peer);
    send_data(peer, id, payload, out);
  }
  if (options_.bug == Bug::unordered_delivery) {
    deliver(id, payload, out);
  } else {
    origins_[{id.origin, id.incarnation}].waiting.emplace(id.seq, payload);
    deliver_ready(id, out);
  }
  arm_retransmit(out);
}

void ReliableBroadcast::deliver_ready(const MessageId& id, Actions& out) {
  OriginState& o = origins_[{id.origin, id.incarnation}];
  for (auto it = o.waiting.find(o.next_to_deliver); it != o.waiting.end();
       it = o.waiting.find(o.next_to_deliver)) {
    deliver(MessageId{id.origin, id.incarnation, it->first}, it->second, out);
    o.waiting.erase(it);
    ++o.next_to_deliver;
  }
}

void ReliableBroadcast::deliver(const MessageId& id, const Buffer& payload, Actions& out) {
  out.output(record("deliver", id, payload));
}

void ReliableBroadcast::observe_incarnation(NodeId peer, std::uint32_t incarnation, Actions& out) {
  if (incarnation <= peer_incarnation_[peer]) return;
  peer_incarnation_[peer] = incarnation;
  for (auto& [id, k] : known_) k.unacked.insert(peer);
  retransmit_interval_ = options_.retransmit_interval;
  arm_retransmit(out);
}

void ReliableBroadcast::on_timer(TimePoint /*now*/, TimerKey key, Actions& out) {
  if (key != kRetransmitTimer) return;
  retransmit_armed_ = false;
  for (const auto& [id, k] : known_) {
    for (NodeId peer : k.unacked) send_data(peer, id, k.payload, out);
  }
  for (NodeId peer : hello_unacked_) send_control(peer, RbPacket::Type::hello, {}, out);
  retransmit_interval_ = std::min(retransmit_interval_ * 2, kMaxRetransmitInterval);
  arm_retransmit(out);
}

void ReliableBroadcast::arm_retransmit(Actions& out) {
  if (retransmit_armed_ || options_.bug == Bug::no_retransmit) return;
  if (unacknowledged() == 0 && hello_unacked_.empty()) return;
  retransmit_armed_ = true;
  out.set_timer(kRetransmitTimer, retransmit_interval_);
}

void ReliableBroadcast::send_data(NodeId to, const MessageId& id, const Buffer& payload, Actions& out) {
  out.send(to, encode_rb_packet(RbPacket{RbPacket::Type::data, incarnation_, id, payload}));
}

void ReliableBroadcast::send_control(NodeId to, RbPacket::Type type, const MessageId& id, Actions& out) {
  out.send(to, encode_rb_packet(RbPacket{type, incarnation_, id, {}}));
}

bool ReliableBroadcast::known(const MessageId& id) const { return known_.count(id) != 0; }

std::size_t ReliableBroadcast::unacknowledged() const {
  return static_cast<std::size_t>(
      std::count_if(known_.begin(), known_.end(), [](const auto& entry) { return !entry.second.unacked.empty(); }));
}

}  // namespace cohort::sim
