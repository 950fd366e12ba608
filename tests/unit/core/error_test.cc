#include "cohort/core/error.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace cohort {
namespace {

TEST(Error, FromErrnoMapsCodeAndKeepsContext) {
  Error e = Error::from_errno(EADDRINUSE, "bind 127.0.0.1:9");
  EXPECT_EQ(e.code(), Errc::address_in_use);
  EXPECT_NE(e.message().find("bind 127.0.0.1:9"), std::string::npos);
  EXPECT_NE(e.to_string().find("address in use"), std::string::npos);
  EXPECT_EQ(Error::from_errno(ENODEV, "x").code(), Errc::interface_not_found);
}

TEST(Error, ResultHoldsValueOrError) {
  Result<int> good = 3;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  Result<int> bad = Error(Errc::not_found, "no such thing");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), Errc::not_found);
  Status fine;
  EXPECT_TRUE(fine.ok());
  Status failed = Error(Errc::closed, "gone");
  EXPECT_FALSE(failed.ok());
}

}  // namespace
}  // namespace cohort
