#include "cohort/transport/tcp.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <optional>
#include <string>

namespace cohort {
namespace {

// Every wait below is a bounded number of short polls: loopback is fast, the
// bound only keeps a broken test from hanging.
constexpr int kAttempts = 2000;

TcpListener listen_loopback() {
  auto listener = TcpListener::bind(Address::ipv4_loopback(0));
  EXPECT_TRUE(listener.ok()) << listener.error().to_string();
  return std::move(listener).value();
}

std::optional<TcpStream> accept_soon(TcpListener& listener) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto s = listener.accept();
    if (s.ok()) return std::move(s).value();
    EXPECT_EQ(s.error().code(), Errc::would_block) << s.error().to_string();
    usleep(500);
  }
  return std::nullopt;
}

Status connected_soon(const TcpStream& stream) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    Status s = stream.connect_status();
    if (s.ok() || s.error().code() != Errc::would_block) return s;
    usleep(500);
  }
  return Error(Errc::timed_out, "connect did not finish");
}

void write_all(TcpStream& stream, std::string_view text) {
  std::size_t done = 0;
  for (int attempt = 0; done < text.size() && attempt < kAttempts; ++attempt) {
    auto n = stream.write(Buffer::copy_of(text.substr(done)));
    if (n.ok()) done += *n;
  }
  ASSERT_EQ(done, text.size());
}

// Reads until `want` bytes or end of stream.
std::string read_until(TcpStream& stream, std::size_t want) {
  std::string got;
  std::array<std::uint8_t, 4096> chunk{};
  for (int attempt = 0; got.size() < want && attempt < kAttempts; ++attempt) {
    auto n = stream.read(chunk);
    if (n.ok()) {
      got.append(reinterpret_cast<const char*>(chunk.data()), *n);
    } else if (n.error().code() == Errc::closed) {
      break;
    } else {
      usleep(500);
    }
  }
  return got;
}

TEST(Tcp, ConnectAcceptAndEcho) {
  TcpListener listener = listen_loopback();
  auto client = TcpStream::connect(listener.local_address().value());
  ASSERT_TRUE(client.ok()) << client.error().to_string();
  auto server = accept_soon(listener);
  ASSERT_TRUE(server.has_value());
  ASSERT_TRUE(connected_soon(*client).ok());
  EXPECT_EQ(server->peer(), client->local_address().value());

  write_all(*client, "ping over tcp");
  std::string request = read_until(*server, 13);
  EXPECT_EQ(request, "ping over tcp");
  write_all(*server, request);
  EXPECT_EQ(read_until(*client, 13), "ping over tcp");

  ASSERT_TRUE(client->shutdown_write().ok());
  std::array<std::uint8_t, 16> chunk{};
  Result<std::size_t> end = Error(Errc::internal, "unset");
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    end = server->read(chunk);
    if (end.ok() || end.error().code() != Errc::would_block) break;
    usleep(500);
  }
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.error().code(), Errc::closed);
}

TEST(Tcp, AcceptAndReadWouldBlockWhenIdle) {
  TcpListener listener = listen_loopback();
  auto none = listener.accept();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), Errc::would_block);

  auto client = TcpStream::connect(listener.local_address().value());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(connected_soon(*client).ok());
  std::array<std::uint8_t, 16> chunk{};
  auto n = client->read(chunk);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code(), Errc::would_block);
}

TEST(Tcp, DoubleListenIsAddressInUse) {
  TcpListener listener = listen_loopback();
  Address taken = listener.local_address().value();
  auto second = TcpListener::bind(taken);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), Errc::address_in_use);
  EXPECT_NE(second.error().message().find(taken.to_string()), std::string::npos);
}

TEST(Tcp, RefusedConnectionIsReported) {
  Address vacant = listen_loopback().local_address().value();  // listener closed again at once
  auto client = TcpStream::connect(vacant);
  Status outcome = client.ok() ? connected_soon(*client) : Status(client.error());
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code(), Errc::closed) << outcome.error().to_string();
  EXPECT_NE(outcome.error().message().find(vacant.to_string()), std::string::npos);
}

TEST(Tcp, WorksOverIpv6Loopback) {
  auto listener = TcpListener::bind(Address::parse("[::1]:0").value());
  ASSERT_TRUE(listener.ok()) << listener.error().to_string();
  auto client = TcpStream::connect(listener->local_address().value());
  ASSERT_TRUE(client.ok());
  auto server = accept_soon(*listener);
  ASSERT_TRUE(server.has_value());
  ASSERT_TRUE(connected_soon(*client).ok());
  write_all(*client, "v6");
  EXPECT_EQ(read_until(*server, 2), "v6");
}

}  // namespace
}  // namespace cohort
