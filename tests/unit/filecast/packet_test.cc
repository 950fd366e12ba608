// The filecast datagrams: every kind round-trips, truncated and altered
// datagrams are refused, and sealed ones open only with the session's key.
#include "cohort/filecast/packet.h"

#include <gtest/gtest.h>

namespace cohort::filecast {
namespace {

std::vector<PacketBody> samples() {
  const Buffer block = Buffer::copy_of(std::string_view("some block bytes"));
  return {ReadyPacket{{{0, 3}, {7, 1}}, false},
          DataPacket{{5, 2}, 9, 31, block},
          RepairPacket{{6, 2}, 9, 3, 5, block},
          StopPacket{{7, 3}, 12},
          IncreasePacket{9, 4, 5},
          ProgressPacket{3, 2, 96},
          DonePacket{},
          DoneAckPacket{},
          DropPacket{"straggler"}};
}

TEST(PacketTest, EveryKindRoundTrips) {
  for (const PacketBody& body : samples()) {
    Packet p{0x1122334455667788ULL, body};
    auto back = decode_packet(encode_packet(p));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, p) << "kind " << body.index();
  }
}

TEST(PacketTest, TruncatedDatagramsAreRefused) {
  for (const PacketBody& body : samples()) {
    const Buffer bytes = encode_packet(Packet{1, body});
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      auto cut = decode_packet(bytes.slice(0, n));
      if (std::holds_alternative<DonePacket>(body) || std::holds_alternative<DoneAckPacket>(body)) {
        if (n >= 12) continue;  // the header is the whole packet
      }
      EXPECT_FALSE(cut) << "kind " << body.index() << " cut to " << n;
    }
  }
}

TEST(PacketTest, MalformedFieldsAreRefused) {
  auto bad = [](PacketBody body) { return !decode_packet(encode_packet(Packet{1, std::move(body)})); };
  EXPECT_TRUE(bad(DataPacket{{}, 0, 255, {}}));
  EXPECT_TRUE(bad(RepairPacket{{}, 0, 5, 5, {}}));
  EXPECT_TRUE(bad(IncreasePacket{0, 0, 0}));
  EXPECT_TRUE(bad(ProgressPacket{0, 3, 2}));
  ReadyPacket many;
  many.held.resize(kMaxReadyRanges + 1);
  EXPECT_TRUE(bad(many));
  const Buffer done = encode_packet(Packet{1, DonePacket{}});
  std::vector<std::uint8_t> wrong_magic(done.data(), done.data() + done.size());
  wrong_magic[0] ^= 1;
  EXPECT_FALSE(decode_packet(Buffer(std::move(wrong_magic))));
}

SessionKey key_of(std::uint8_t fill) {
  SessionKey key{};
  key.fill(fill);
  return key;
}

TEST(PacketCodecTest, SealedDatagramsOpenOnlyWithTheKey) {
  Rng rng(1);
  PacketCodec sender(7, key_of(1), rng);
  PacketCodec receiver(7, key_of(1), rng);
  PacketCodec stranger(7, key_of(2), rng);
  PacketCodec plain(7, std::nullopt, rng);
  for (const PacketBody& body : samples()) {
    const Buffer sealed = sender.encode(body);
    auto opened = receiver.decode(sealed);
    ASSERT_TRUE(opened) << opened.error().to_string();
    EXPECT_EQ(*opened, body);
    EXPECT_EQ(stranger.decode(sealed).error().code(), Errc::permission_denied);
    EXPECT_EQ(plain.decode(sealed).error().code(), Errc::permission_denied);
    EXPECT_EQ(receiver.decode(plain.encode(body)).error().code(), Errc::permission_denied) << "unsealed accepted";
  }
}

TEST(PacketCodecTest, EveryAlteredByteIsCaught) {
  Rng rng(2);
  PacketCodec codec(7, key_of(3), rng);
  const Buffer sealed = codec.encode(DataPacket{{1, 1}, 2, 3, Buffer::copy_of(std::string_view("payload"))});
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::vector<std::uint8_t> bytes(sealed.data(), sealed.data() + sealed.size());
    bytes[i] ^= 0x40;
    auto r = codec.decode(Buffer(std::move(bytes)));
    EXPECT_FALSE(r) << "byte " << i;
  }
}

TEST(PacketCodecTest, NoncesNeverRepeat) {
  Rng rng(3);
  PacketCodec a(7, key_of(3), rng);
  PacketCodec b(7, key_of(3), rng);
  const Buffer x = a.encode(DonePacket{});
  const Buffer y = a.encode(DonePacket{});
  const Buffer z = b.encode(DonePacket{});
  auto nonce = [](const Buffer& p) { return std::vector<std::uint8_t>(p.data() + 12, p.data() + 36); };
  EXPECT_NE(nonce(x), nonce(y));
  EXPECT_NE(nonce(x), nonce(z));
}

TEST(PacketCodecTest, OtherSessionsAreNotFound) {
  Rng rng(4);
  PacketCodec mine(7, std::nullopt, rng);
  PacketCodec theirs(8, std::nullopt, rng);
  EXPECT_EQ(mine.decode(theirs.encode(DonePacket{})).error().code(), Errc::not_found);
}

}  // namespace
}  // namespace cohort::filecast
