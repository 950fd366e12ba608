// The tree launch messages: both kinds round-trip, and a decoder fed short,
// oversized or out-of-range input says so instead of reading past the end.
#include "cohort/exec/launch_message.h"

#include <gtest/gtest.h>

#include "cohort/core/bytes.h"

namespace cohort::exec {
namespace {

Launch sample_launch() { return Launch{7, 32, 90, 12, {13, 14, 15, 400}}; }

TEST(LaunchMessage, BothKindsRoundTrip) {
  std::vector<LaunchMessage> messages = {sample_launch(), Launch{1, 1, 1, 0, {}}, Ready{7, 3, 1}, Ready{}};
  for (const auto& m : messages) {
    auto back = decode_launch_message(encode_launch_message(m));
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, m);
  }
}

TEST(LaunchMessage, EveryTruncationIsAnError) {
  for (const LaunchMessage& m : {LaunchMessage{sample_launch()}, LaunchMessage{Ready{7, 3, 1}}}) {
    Buffer full = encode_launch_message(m);
    for (std::size_t n = 0; n < full.size(); ++n) {
      EXPECT_FALSE(decode_launch_message(ByteView(full.data(), n)).ok()) << "decoded from the first " << n << " bytes";
    }
  }
}

TEST(LaunchMessage, TrailingBytesAndUnknownTypesAreMalformed) {
  ByteWriter w;
  w.bytes(encode_launch_message(Ready{1, 1, 0}));
  w.u8(0);
  auto trailing = decode_launch_message(w.finish());
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.error().code(), Errc::malformed);
  std::uint8_t unknown[] = {9};
  EXPECT_EQ(decode_launch_message(unknown).error().code(), Errc::malformed);
}

Errc launch_error(std::uint32_t width, std::uint32_t timeout_ms, std::uint32_t head, std::uint32_t count) {
  ByteWriter w;
  w.u8(1);
  w.u64(1);
  w.u32(width);
  w.u32(timeout_ms);
  w.u32(head);
  w.u32(count);
  auto r = decode_launch_message(w.finish());
  return r.ok() ? Errc::internal : r.error().code();
}

TEST(LaunchMessage, OutOfRangeFieldsAreRefused) {
  EXPECT_EQ(launch_error(0, 10, 0, 0), Errc::malformed);
  EXPECT_EQ(launch_error(kMaxLaunchWidth + 1, 10, 0, 0), Errc::malformed);
  EXPECT_EQ(launch_error(32, 0, 0, 0), Errc::malformed);
  EXPECT_EQ(launch_error(32, 10, kMaxLaunchHosts, 0), Errc::malformed);
  EXPECT_EQ(launch_error(32, 10, 0, kMaxLaunchHosts), Errc::too_large);
  // A count the bytes cannot hold is refused before anything is allocated.
  EXPECT_EQ(launch_error(32, 10, 0, 1000), Errc::truncated);
  EXPECT_EQ(launch_error(32, 10, 0, 0), Errc::internal);  // the well-formed baseline decodes

  Launch bad_host = sample_launch();
  bad_host.subtree.push_back(kMaxLaunchHosts);
  EXPECT_EQ(decode_launch_message(encode_launch_message(bad_host)).error().code(), Errc::malformed);
  auto too_many = decode_launch_message(encode_launch_message(Ready{1, kMaxLaunchHosts, 1}));
  EXPECT_EQ(too_many.error().code(), Errc::malformed);
}

}  // namespace
}  // namespace cohort::exec
