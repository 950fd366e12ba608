// The session setup codec: what a sender encodes a receiver decodes, and
// damaged or forged setups are refused with the reason, never trusted.
#include "cohort/filecast/setup.h"

#include <gtest/gtest.h>

#include "cohort/core/bytes.h"

namespace cohort::filecast {
namespace {

CastSetup sample(bool unicast) {
  CastSetup setup;
  setup.info.session_id = 0x1122334455667788ULL;
  setup.info.params = SessionParams{1000, 4, 2, 0.05, 900'000'000};
  setup.info.entries = {{CastEntry::Kind::directory, "d", 0, 0755},
                        {CastEntry::Kind::file, "d/a", 9000, 0644},
                        {CastEntry::Kind::file, "empty", 0, 0600}};
  setup.info.digest_key = DigestKey{5, 6, 7};
  setup.info.group_digests = {GroupDigest{7}, GroupDigest{8, 9}, GroupDigest{10}};  // 9000 bytes in 4000-byte groups
  setup.plan.sender = {0, "10.0.0.1:4000"};
  setup.plan.receivers = {{1, "10.0.0.2:5000"}, {2, "10.0.0.3:5001"}};
  setup.plan.self = 2;
  setup.plan.unicast = unicast;
  if (unicast) {
    setup.info.key = SessionKey{42};
  } else {
    setup.plan.channels = {"239.255.67.1:7067", "239.255.67.2:7067", "239.255.67.3:7067"};
  }
  return setup;
}

void expect_same(const CastSetup& a, const CastSetup& b) {
  EXPECT_EQ(a.info.session_id, b.info.session_id);
  EXPECT_EQ(a.info.params.block_size, b.info.params.block_size);
  EXPECT_EQ(a.info.params.k, b.info.params.k);
  EXPECT_EQ(a.info.params.repair_channels, b.info.params.repair_channels);
  EXPECT_DOUBLE_EQ(a.info.params.expected_loss, b.info.params.expected_loss);
  EXPECT_EQ(a.info.params.rate_bits_per_s, b.info.params.rate_bits_per_s);
  ASSERT_EQ(a.info.entries.size(), b.info.entries.size());
  for (std::size_t i = 0; i < a.info.entries.size(); ++i) {
    EXPECT_EQ(a.info.entries[i].path, b.info.entries[i].path);
    EXPECT_EQ(a.info.entries[i].kind, b.info.entries[i].kind);
    EXPECT_EQ(a.info.entries[i].size, b.info.entries[i].size);
    EXPECT_EQ(a.info.entries[i].mode, b.info.entries[i].mode);
  }
  EXPECT_EQ(a.info.digest_key, b.info.digest_key);
  EXPECT_EQ(a.info.group_digests, b.info.group_digests);
  EXPECT_EQ(a.info.key, b.info.key);
  EXPECT_EQ(a.plan, b.plan);
}

TEST(CastSetup, RoundTripsMulticastAndUnicastPlans) {
  for (bool unicast : {false, true}) {
    CastSetup setup = sample(unicast);
    auto back = decode_setup(encode_setup(setup));
    ASSERT_TRUE(back) << back.error().to_string();
    expect_same(setup, *back);
  }
}

TEST(CastSetup, AdaptiveLossSurvives) {
  CastSetup setup = sample(false);
  setup.info.params.expected_loss = -1;
  auto back = decode_setup(encode_setup(setup));
  ASSERT_TRUE(back);
  EXPECT_LT(back->info.params.expected_loss, 0);
}

TEST(CastSetup, EveryTruncationIsRefused) {
  Buffer bytes = encode_setup(sample(false));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_setup(bytes.view().first(n))) << "accepted the first " << n << " bytes";
  }
}

TEST(CastSetup, InconsistentPlansAreRefused) {
  CastSetup stranger = sample(false);
  stranger.plan.self = 9;
  CastSetup twice = sample(false);
  twice.plan.receivers[1].id = 1;
  CastSetup channels = sample(false);
  channels.plan.channels.pop_back();
  CastSetup digests = sample(false);
  digests.info.group_digests.pop_back();
  CastSetup escape = sample(false);
  escape.info.entries[1].path = "../a";
  for (const CastSetup* bad : {&stranger, &twice, &channels, &digests, &escape}) {
    auto decoded = decode_setup(encode_setup(*bad));
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code(), Errc::malformed) << decoded.error().to_string();
  }
}

TEST(CastSetup, AHugeForgedSizeIsRefusedWithoutAllocatingForIt) {
  CastSetup setup = sample(false);
  setup.info.entries[1].size = std::uint64_t{1} << 62;
  auto decoded = decode_setup(encode_setup(setup));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code(), Errc::malformed);
}

TEST(CastSetup, ForgedCountsAreRefusedBeforeAllocating) {
  ByteWriter w;
  w.u32(0x33534643);
  w.u8(0);
  w.u64(1);
  w.u32(1000);
  w.u16(4);
  w.u16(2);
  w.u32(0xffffffff);
  w.u64(0);
  w.bytes(DigestKey{});
  w.u32(1u << 20);  // a million entries in a few bytes
  auto decoded = decode_setup(w.finish());
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code(), Errc::truncated);
}

}  // namespace
}  // namespace cohort::filecast
