#include "cohort/transport/address.h"

#include <gtest/gtest.h>

namespace cohort {
namespace {

TEST(Address, ParsesAndFormatsIpv4) {
  auto a = Address::parse("10.1.2.3:4567");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->family(), AF_INET);
  EXPECT_EQ(a->port(), 4567);
  EXPECT_EQ(a->ip_string(), "10.1.2.3");
  EXPECT_EQ(a->to_string(), "10.1.2.3:4567");
}

TEST(Address, ParsesAndFormatsIpv6) {
  auto a = Address::parse("[::1]:5");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->family(), AF_INET6);
  EXPECT_EQ(a->port(), 5);
  EXPECT_EQ(a->to_string(), "[::1]:5");
}

TEST(Address, RoundTripsThroughSockaddr) {
  auto a = Address::parse("[ff02::1]:65535");
  ASSERT_TRUE(a.ok());
  Address b = Address::from_sockaddr(a->sockaddr_ptr(), a->sockaddr_len());
  EXPECT_EQ(*a, b);
  EXPECT_TRUE(b.is_multicast());
}

TEST(Address, KnowsMulticastAndLoopback) {
  EXPECT_TRUE(Address::parse("239.1.2.3:9").value().is_multicast());
  EXPECT_FALSE(Address::ipv4_loopback(9).is_multicast());
  EXPECT_EQ(Address::ipv4_loopback(9).to_string(), "127.0.0.1:9");
  EXPECT_EQ(Address().to_string(), "0.0.0.0:0");
  EXPECT_EQ(Address::ipv4_any(7).with_port(8).port(), 8);
}

TEST(Address, OrdersByFamilyIpThenPort) {
  Address a = Address::parse("1.2.3.4:5").value();
  Address b = Address::parse("1.2.3.4:6").value();
  Address c = Address::parse("[::1]:1").value();
  EXPECT_TRUE(a < b);
  EXPECT_FALSE(b < a);
  EXPECT_TRUE(a < c);
  EXPECT_FALSE(a == b);
  EXPECT_EQ(a, Address::from_ip("1.2.3.4", 5).value());
}

void expect_rejected(std::string_view text, std::string_view fragment) {
  auto a = Address::parse(text);
  ASSERT_FALSE(a.ok()) << text;
  EXPECT_EQ(a.error().code(), Errc::invalid_argument);
  EXPECT_NE(a.error().message().find(std::string(text)), std::string::npos) << a.error().message();
  EXPECT_NE(a.error().message().find(std::string(fragment)), std::string::npos) << a.error().message();
}

TEST(Address, RejectsBadTextNamingIt) {
  expect_rejected("1.2.3.4", "host:port");
  expect_rejected("1.2.3.4:", "missing port");
  expect_rejected("1.2.3.4:65536", "65536");
  expect_rejected("1.2.3.4:x1", "x1");
  expect_rejected("1.2.3:5", "numeric");
  expect_rejected("example.com:80", "numeric");
  expect_rejected("::1:5", "brackets");
  expect_rejected("[::1:5", "']'");
  expect_rejected("[::1]5", "':port'");
  expect_rejected("[1.2.3.4.5]:5", "numeric");
}

}  // namespace
}  // namespace cohort
