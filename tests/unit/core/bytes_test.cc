#include "cohort/core/bytes.h"

#include <gtest/gtest.h>

namespace cohort {
namespace {

TEST(Bytes, RoundTripsLittleEndianIntegers) {
  ByteWriter w;
  w.u8(0x12);
  w.u16(0x3456);
  w.u32(0x789abcde);
  w.u64(0x0123456789abcdefULL);
  ASSERT_EQ(w.size(), 15u);
  EXPECT_EQ(w.bytes()[1], 0x56);  // low byte first
  EXPECT_EQ(w.bytes()[2], 0x34);

  Buffer b = w.finish();
  ByteReader r(b);
  EXPECT_EQ(r.u8(), 0x12);
  EXPECT_EQ(r.u16(), 0x3456);
  EXPECT_EQ(r.u32(), 0x789abcdeu);
  EXPECT_EQ(r.u64(), 0x0123456789abcdefULL);
  EXPECT_TRUE(r.finish().ok());
}

TEST(Bytes, ReadingPastTheEndIsAnErrorValueNotACrash) {
  std::vector<std::uint8_t> three{1, 2, 3};
  ByteReader r(three);
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.u8(), 0u);  // sticky: later reads return zero
  Status s = r.finish();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), Errc::truncated);
}

TEST(Bytes, BlobLongerThanItsLimitIsTooLarge) {
  ByteWriter w;
  w.blob(std::vector<std::uint8_t>(100, 7));
  Buffer b = w.finish();
  ByteReader r(b);
  r.blob(99);
  ASSERT_FALSE(r.finish().ok());
  EXPECT_EQ(r.finish().error().code(), Errc::too_large);
}

TEST(Bytes, BlobLengthBeyondInputIsTruncated) {
  ByteWriter w;
  w.u32(1000);
  w.u8(1);
  Buffer b = w.finish();
  ByteReader r(b);
  r.blob(1u << 20);
  EXPECT_EQ(r.finish().error().code(), Errc::truncated);
}

TEST(Bytes, TrailingBytesFailAnExactFinish) {
  std::vector<std::uint8_t> two{1, 2};
  ByteReader r(two);
  r.u8();
  EXPECT_EQ(r.finish().error().code(), Errc::malformed);
  EXPECT_TRUE(r.finish(/*exact=*/false).ok());
}

TEST(Bytes, BlobSliceSharesTheSourceBuffer) {
  ByteWriter w;
  w.string("hello");
  Buffer b = w.finish();
  ByteReader r(b);
  Buffer s = r.blob_slice(16);
  ASSERT_TRUE(r.finish().ok());
  EXPECT_EQ(s.as_string(), "hello");
  EXPECT_EQ(s.data(), b.data() + 4);
}

TEST(Bytes, PatchU32OverwritesInPlace) {
  ByteWriter w;
  w.u32(0);
  w.u8(9);
  w.patch_u32(0, 0xdeadbeef);
  ByteReader r(w.bytes());
  EXPECT_EQ(r.u32(), 0xdeadbeefu);
  EXPECT_EQ(r.u8(), 9);
}

}  // namespace
}  // namespace cohort
