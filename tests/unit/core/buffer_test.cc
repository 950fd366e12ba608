#include "cohort/core/buffer.h"

#include <gtest/gtest.h>

namespace cohort {
namespace {

TEST(Buffer, SliceSharesStorageAndOutlivesTheOriginal) {
  Buffer tail;
  {
    Buffer whole = Buffer::copy_of(std::string_view("0123456789"));
    tail = whole.slice(4, 3);
    EXPECT_EQ(tail.data(), whole.data() + 4);
  }
  EXPECT_EQ(tail.as_string(), "456");
  EXPECT_EQ(tail.slice(1).as_string(), "56");
}

TEST(Buffer, AdoptsAVectorWithoutCopying) {
  std::vector<std::uint8_t> bytes{1, 2, 3};
  const std::uint8_t* raw = bytes.data();
  Buffer b(std::move(bytes));
  EXPECT_EQ(b.data(), raw);
  EXPECT_EQ(b.size(), 3u);
}

TEST(Buffer, EqualityComparesContent) {
  EXPECT_EQ(Buffer::copy_of(std::string_view("ab")), Buffer::copy_of(std::string_view("xab")).slice(1));
  EXPECT_FALSE(Buffer::copy_of(std::string_view("ab")) == Buffer::copy_of(std::string_view("abc")));
  EXPECT_TRUE(Buffer().empty());
}

}  // namespace
}  // namespace cohort
