// The filecast datagrams. Every one starts with a magic byte, a version, its
// kind, a flags byte and the 64-bit session id; when the session has a key
// the rest is sealed with XChaCha20-Poly1305 (libsodium), the header being
// the associated data. Decoding is bounds-checked (ByteReader) and fuzzed
// (tests/fuzz/filecast_packet_fuzz.cc).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"
#include "cohort/core/rng.h"
#include "cohort/filecast/fec.h"
#include "cohort/filecast/session.h"

namespace cohort::filecast {

inline constexpr std::uint8_t kPacketMagic = 0xFC;
inline constexpr std::uint8_t kPacketVersion = 1;
inline constexpr std::size_t kMaxPayload = 65000;       // block bytes in one Data or Repair packet
inline constexpr std::size_t kMaxReadyRanges = 64;      // keeps Ready within one datagram
inline constexpr std::size_t kMaxDropReason = 512;

// Where the sender's stream stood when it sent a multicast: `seq` counts
// every multicast, `ordinal` the groups whose data it has started (data of
// the group with ordinal o is followed by the proactive repair of ordinal
// o - kRepairLag), so receivers can tell when a repair round is over.
struct StreamPos {
  std::uint64_t seq = 0;
  std::uint64_t ordinal = 0;
  bool operator==(const StreamPos&) const = default;
};

struct GroupRange {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
  bool operator==(const GroupRange&) const = default;
};

// Receiver -> sender: ready to receive; holds these groups already (resume).
// `complete` says the ranges list every held group (false: cut to fit).
struct ReadyPacket {
  std::vector<GroupRange> held;
  bool complete = true;
  bool operator==(const ReadyPacket&) const = default;
};
struct DataPacket {
  StreamPos pos;
  std::uint64_t group = 0;
  BlockId block = 0;
  Buffer bytes;  // the block's real bytes (the last one of a group may be short)
  bool operator==(const DataPacket&) const = default;
};
// Repair block `index` of a round that ends (exclusive) at `round_end`; the
// round's packets go out back to back, so the round's last one has sequence
// number pos.seq + round_end - 1 - index.
struct RepairPacket {
  StreamPos pos;
  std::uint64_t group = 0;
  std::uint16_t index = 0;
  std::uint16_t round_end = 0;
  Buffer bytes;
  bool operator==(const RepairPacket&) const = default;
};
// End of a primary pass: every proactive repair round so far has been sent.
struct StopPacket {
  StreamPos pos;
  std::uint64_t groups = 0;
  bool operator==(const StopPacket&) const = default;
};
// "Increase packet": the asker lacks `need` blocks of `group`, having heard
// of repair indices below `seen_end`.
struct IncreasePacket {
  std::uint64_t group = 0;
  std::uint16_t need = 0;
  std::uint16_t seen_end = 0;
  bool operator==(const IncreasePacket&) const = default;
};
// Receiver -> sender: how far it is and the data blocks it lost of those it
// should have seen.
struct ProgressPacket {
  std::uint64_t groups_done = 0;
  std::uint64_t lost = 0;
  std::uint64_t expected = 0;
  bool operator==(const ProgressPacket&) const = default;
};
struct DonePacket {
  bool operator==(const DonePacket&) const = default;
};
struct DoneAckPacket {
  bool operator==(const DoneAckPacket&) const = default;
};
struct DropPacket {
  std::string reason;
  bool operator==(const DropPacket&) const = default;
};

using PacketBody = std::variant<ReadyPacket, DataPacket, RepairPacket, StopPacket, IncreasePacket, ProgressPacket,
                                DonePacket, DoneAckPacket, DropPacket>;

struct Packet {
  std::uint64_t session_id = 0;
  PacketBody body;
  bool operator==(const Packet&) const = default;
};

// The unsealed wire form.
Buffer encode_packet(const Packet& packet);
// Errors: truncated, malformed (bad magic, version, kind, sizes),
// permission_denied (sealed: the session has no key to open it).
Result<Packet> decode_packet(const Buffer& bytes);

// Encodes and decodes one machine's datagrams of one session, sealing them
// when the session has a key. The nonce is a random 128-bit salt drawn once
// from the machine's Rng followed by a 64-bit counter, so no two datagrams
// of any sender share one.
class PacketCodec {
 public:
  PacketCodec(std::uint64_t session_id, const std::optional<SessionKey>& key, Rng& rng);

  Buffer encode(PacketBody body);
  // Errors as decode_packet; also not_found (another session's datagram)
  // and permission_denied (unsealed, forged or altered under a key).
  Result<PacketBody> decode(const Buffer& bytes) const;

 private:
  std::uint64_t session_id_;
  std::optional<SessionKey> key_;
  std::array<std::uint8_t, 16> salt_{};
  std::uint64_t counter_ = 0;
};

}  // namespace cohort::filecast
