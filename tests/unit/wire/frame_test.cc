#include "cohort/wire/frame.h"

#include <gtest/gtest.h>

namespace cohort::wire {
namespace {

ByteView view(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(Frame, DecodesFramesSplitAtEveryByteBoundary) {
  std::vector<std::uint8_t> stream;
  encode_frame(view("alpha"), stream);
  encode_frame(view(""), stream);
  encode_frame(view("gamma!"), stream);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameDecoder d;
    ASSERT_TRUE(d.feed(ByteView(stream).first(cut)).ok());
    ASSERT_TRUE(d.feed(ByteView(stream).subspan(cut)).ok());
    std::vector<std::string> got;
    while (auto f = d.next()) got.emplace_back(f->as_string());
    EXPECT_EQ(got, (std::vector<std::string>{"alpha", "", "gamma!"})) << "cut at " << cut;
    EXPECT_EQ(d.pending_bytes(), 0u);
  }
}

TEST(Frame, OversizedLengthIsRejectedWithoutAllocating) {
  FrameDecoder d(/*max_frame=*/8);
  std::vector<std::uint8_t> header{0xff, 0xff, 0xff, 0x7f};
  Status s = d.feed(header);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), Errc::too_large);
  EXPECT_FALSE(d.feed(header).ok());  // stays failed
  EXPECT_FALSE(d.next().has_value());
}

TEST(Frame, PartialFrameWaitsForMoreBytes) {
  auto frame = encode_frame(view("hello"));
  FrameDecoder d;
  ASSERT_TRUE(d.feed(ByteView(frame).first(6)).ok());
  EXPECT_FALSE(d.next().has_value());
  EXPECT_EQ(d.pending_bytes(), 6u);
}

}  // namespace
}  // namespace cohort::wire
