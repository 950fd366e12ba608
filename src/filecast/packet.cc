#include "cohort/filecast/packet.h"

#include <sodium.h>

#include <cstdlib>

#include "cohort/core/bytes.h"

namespace cohort::filecast {

namespace {

constexpr std::size_t kHeaderSize = 12;  // magic, version, kind, flags, session id
constexpr std::uint8_t kSealed = 0x01;
constexpr std::size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(kNonceSize == 24);

// The wire kind of each body: its variant index + 1.
std::uint8_t kind_of(const PacketBody& body) { return static_cast<std::uint8_t>(body.index() + 1); }

void put_pos(ByteWriter& w, const StreamPos& p) {
  w.u64(p.seq);
  w.u64(p.ordinal);
}
StreamPos get_pos(ByteReader& r) {
  StreamPos p;
  p.seq = r.u64();
  p.ordinal = r.u64();
  return p;
}

struct BodyWriter {
  ByteWriter& w;
  void operator()(const ReadyPacket& p) const {
    w.u8(p.complete ? 1 : 0);
    w.u16(static_cast<std::uint16_t>(p.held.size()));
    for (const GroupRange& range : p.held) {
      w.u64(range.first);
      w.u64(range.count);
    }
  }
  void operator()(const DataPacket& p) const {
    put_pos(w, p.pos);
    w.u64(p.group);
    w.u16(p.block);
    w.blob(p.bytes);
  }
  void operator()(const RepairPacket& p) const {
    put_pos(w, p.pos);
    w.u64(p.group);
    w.u16(p.index);
    w.u16(p.round_end);
    w.blob(p.bytes);
  }
  void operator()(const StopPacket& p) const {
    put_pos(w, p.pos);
    w.u64(p.groups);
  }
  void operator()(const IncreasePacket& p) const {
    w.u64(p.group);
    w.u16(p.need);
    w.u16(p.seen_end);
  }
  void operator()(const ProgressPacket& p) const {
    w.u64(p.groups_done);
    w.u64(p.lost);
    w.u64(p.expected);
  }
  void operator()(const DonePacket&) const {}
  void operator()(const DoneAckPacket&) const {}
  void operator()(const DropPacket& p) const { w.string(p.reason); }
};

ReadyPacket read_ready(ByteReader& r) {
  ReadyPacket p;
  const std::uint8_t complete = r.u8();
  if (complete > 1) r.fail(Errc::malformed, "Ready: bad completeness flag");
  p.complete = complete == 1;
  const std::uint16_t n = r.u16();
  if (n > kMaxReadyRanges) r.fail(Errc::too_large, "Ready: more than " + std::to_string(kMaxReadyRanges) + " ranges");
  for (std::uint16_t i = 0; i < n && !r.failed(); ++i) {
    GroupRange range;
    range.first = r.u64();
    range.count = r.u64();
    p.held.push_back(range);
  }
  return p;
}

DataPacket read_data(ByteReader& r) {
  DataPacket p;
  p.pos = get_pos(r);
  p.group = r.u64();
  p.block = r.u16();
  if (p.block >= RsCodec::kMaxBlocks) r.fail(Errc::malformed, "Data: block id out of range");
  p.bytes = r.blob_slice(kMaxPayload);
  return p;
}

RepairPacket read_repair(ByteReader& r) {
  RepairPacket p;
  p.pos = get_pos(r);
  p.group = r.u64();
  p.index = r.u16();
  p.round_end = r.u16();
  if (p.index >= p.round_end || p.round_end >= RsCodec::kMaxBlocks) {
    r.fail(Errc::malformed, "Repair: index outside its round");
  }
  p.bytes = r.blob_slice(kMaxPayload);
  return p;
}

StopPacket read_stop(ByteReader& r) {
  StopPacket p;
  p.pos = get_pos(r);
  p.groups = r.u64();
  return p;
}

IncreasePacket read_increase(ByteReader& r) {
  IncreasePacket p;
  p.group = r.u64();
  p.need = r.u16();
  p.seen_end = r.u16();
  if (p.need == 0 || p.need >= RsCodec::kMaxBlocks || p.seen_end >= RsCodec::kMaxBlocks) {
    r.fail(Errc::malformed, "Increase: need or seen index out of range");
  }
  return p;
}

ProgressPacket read_progress(ByteReader& r) {
  ProgressPacket p;
  p.groups_done = r.u64();
  p.lost = r.u64();
  p.expected = r.u64();
  if (p.lost > p.expected) r.fail(Errc::malformed, "Progress: more blocks lost than expected");
  return p;
}

Result<PacketBody> read_body(std::uint8_t kind, const Buffer& bytes) {
  ByteReader r(bytes);
  PacketBody body;
  switch (kind) {
    case 1: body = read_ready(r); break;
    case 2: body = read_data(r); break;
    case 3: body = read_repair(r); break;
    case 4: body = read_stop(r); break;
    case 5: body = read_increase(r); break;
    case 6: body = read_progress(r); break;
    case 7: body = DonePacket{}; break;
    case 8: body = DoneAckPacket{}; break;
    case 9: body = DropPacket{r.string(kMaxDropReason)}; break;
    default: return Error(Errc::malformed, "unknown filecast packet kind " + std::to_string(kind));
  }
  if (Status s = r.finish(); !s) return s.error();
  return body;
}

struct Header {
  std::uint8_t kind = 0;
  bool sealed = false;
  std::uint64_t session_id = 0;
};

Result<Header> read_header(ByteReader& r) {
  Header h;
  const std::uint8_t magic = r.u8();
  const std::uint8_t version = r.u8();
  h.kind = r.u8();
  const std::uint8_t flags = r.u8();
  h.session_id = r.u64();
  if (Status s = r.finish(false); !s) return s.error();
  if (magic != kPacketMagic) return Error(Errc::malformed, "not a filecast datagram (bad magic)");
  if (version != kPacketVersion) {
    return Error(Errc::malformed, "filecast version " + std::to_string(version) + " is not supported (this is " +
                                      std::to_string(kPacketVersion) + "); run the same cohort on every host");
  }
  if ((flags & ~kSealed) != 0) return Error(Errc::malformed, "unknown filecast flags");
  h.sealed = (flags & kSealed) != 0;
  return h;
}

void write_header(ByteWriter& w, std::uint8_t kind, bool sealed, std::uint64_t session_id) {
  w.u8(kPacketMagic);
  w.u8(kPacketVersion);
  w.u8(kind);
  w.u8(sealed ? kSealed : 0);
  w.u64(session_id);
}

std::vector<std::uint8_t> body_bytes(const PacketBody& body) {
  ByteWriter w;
  std::visit(BodyWriter{w}, body);
  return w.take();
}

void sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();  // libsodium cannot run without its RNG; nothing sensible is left to do
}

}  // namespace

Buffer encode_packet(const Packet& packet) {
  ByteWriter w;
  write_header(w, kind_of(packet.body), false, packet.session_id);
  std::visit(BodyWriter{w}, packet.body);
  return w.finish();
}

Result<Packet> decode_packet(const Buffer& bytes) {
  ByteReader r(bytes);
  auto header = read_header(r);
  if (!header) return header.error();
  if (header->sealed) return Error(Errc::permission_denied, "the datagram is sealed and no session key was given");
  auto body = read_body(header->kind, bytes.slice(kHeaderSize));
  if (!body) return body.error();
  return Packet{header->session_id, std::move(*body)};
}

PacketCodec::PacketCodec(std::uint64_t session_id, const std::optional<SessionKey>& key, Rng& rng)
    : session_id_(session_id), key_(key) {
  if (key_) sodium_ready();
  for (std::size_t i = 0; i < salt_.size(); i += 8) {
    const std::uint64_t draw = rng.next();
    for (std::size_t j = 0; j < 8; ++j) salt_[i + j] = static_cast<std::uint8_t>(draw >> (8 * j));
  }
}

Buffer PacketCodec::encode(PacketBody body) {
  if (!key_) return encode_packet(Packet{session_id_, std::move(body)});
  ByteWriter w;
  write_header(w, kind_of(body), true, session_id_);
  w.bytes(salt_);
  w.u64(counter_++);
  const std::vector<std::uint8_t> plain = body_bytes(body);
  std::vector<std::uint8_t> out = w.take();
  const std::size_t ad_size = out.size();
  out.resize(ad_size + plain.size() + kTagSize);
  unsigned long long sealed_size = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + ad_size, &sealed_size, plain.data(), plain.size(),
                                             out.data(), ad_size, nullptr, out.data() + kHeaderSize,
                                             key_->data());
  return Buffer(std::move(out));
}

Result<PacketBody> PacketCodec::decode(const Buffer& bytes) const {
  ByteReader r(bytes);
  auto header = read_header(r);
  if (!header) return header.error();
  if (header->session_id != session_id_) return Error(Errc::not_found, "a datagram of another session");
  if (!key_) {
    if (header->sealed) return Error(Errc::permission_denied, "a sealed datagram in a session without a key");
    return read_body(header->kind, bytes.slice(kHeaderSize));
  }
  const std::size_t ad_size = kHeaderSize + kNonceSize;
  if (!header->sealed || bytes.size() < ad_size + kTagSize) {
    return Error(Errc::permission_denied, "an unsealed or cut datagram in a sealed session");
  }
  std::vector<std::uint8_t> plain(bytes.size() - ad_size - kTagSize);
  unsigned long long plain_size = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &plain_size, nullptr, bytes.data() + ad_size,
                                                 bytes.size() - ad_size, bytes.data(), ad_size,
                                                 bytes.data() + kHeaderSize, key_->data()) != 0) {
    return Error(Errc::permission_denied, "a forged or altered datagram (authentication failed)");
  }
  return read_body(header->kind, Buffer(std::move(plain)));
}

}  // namespace cohort::filecast
