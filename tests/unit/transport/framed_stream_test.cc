#include "cohort/transport/framed_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cohort {
namespace {

std::unique_ptr<EventLoop> make_loop() {
  auto loop = EventLoop::create();
  EXPECT_TRUE(loop.ok());
  return std::move(loop).value();
}

struct Connected {
  std::unique_ptr<FramedStream> client;
  std::unique_ptr<FramedStream> server;
};

// Connects a client FramedStream to a freshly accepted server one, both on
// `loop`; running the loop is bounded so a broken accept cannot hang.
Connected connect_pair(EventLoop& loop, const FramedStreamOptions& client_options = {},
                       const FramedStreamOptions& server_options = {}) {
  Connected out;
  auto listener = TcpListener::bind(Address::ipv4_loopback(0));
  EXPECT_TRUE(listener.ok());
  auto stream = TcpStream::connect(listener->local_address().value());
  EXPECT_TRUE(stream.ok());
  out.client = FramedStream::create(loop, std::move(stream).value(), client_options).value();
  EXPECT_TRUE(loop.watch(listener->fd(), kReadable, [&](std::uint32_t) {
                    auto accepted = listener->accept();
                    if (!accepted) return;
                    out.server = FramedStream::create(loop, std::move(accepted).value(), server_options).value();
                    loop.unwatch(listener->fd());
                    loop.stop();
                  }).ok());
  EXPECT_TRUE(loop.run_for(10s).ok());
  EXPECT_NE(out.server, nullptr);
  return out;
}

Buffer patterned(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i * 131 + 7);
  return Buffer(std::move(bytes));
}

TEST(FramedStream, EchoesFramesIncludingOneMebibyte) {
  auto loop = make_loop();
  Connected c = connect_pair(*loop);
  ASSERT_NE(c.server, nullptr);
  c.server->on_frame([&](Buffer frame) { EXPECT_TRUE(c.server->send(frame).ok()); });
  std::vector<Buffer> sent = {Buffer::copy_of("first"), Buffer(), patterned(1u << 20), Buffer::copy_of("last")};
  std::vector<Buffer> echoed;
  c.client->on_frame([&](Buffer frame) {
    echoed.push_back(std::move(frame));
    if (echoed.size() == sent.size()) loop->stop();
  });
  for (const Buffer& frame : sent) ASSERT_TRUE(c.client->send(frame).ok());
  ASSERT_TRUE(loop->run_for(20s).ok());
  ASSERT_EQ(echoed.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(echoed[i], sent[i]) << "frame " << i;
}

TEST(FramedStream, RefusesSendsOverTheQueueLimitThenSignalsWritable) {
  auto loop = make_loop();
  FramedStreamOptions small;
  small.max_queued_bytes = 64u << 10;
  Connected c = connect_pair(*loop, small);
  ASSERT_NE(c.server, nullptr);
  std::vector<Buffer> received;
  c.server->on_frame([&](Buffer frame) { received.push_back(std::move(frame)); });

  // Sends only queue, so the limit is reached before any byte is written.
  int accepted = 0;
  Status refused = ok_status();
  for (int i = 0; i < 100 && refused.ok(); ++i) {
    refused = c.client->send(patterned(16u << 10));
    if (refused.ok()) ++accepted;
  }
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), Errc::would_block);
  EXPECT_EQ(accepted, 3);
  EXPECT_LE(c.client->queued_bytes(), small.max_queued_bytes);

  bool writable = false;
  c.client->on_writable([&] {
    writable = true;
    EXPECT_EQ(c.client->queued_bytes(), 0u);
    EXPECT_TRUE(c.client->send(Buffer::copy_of("after drain")).ok());
  });
  c.server->on_frame([&](Buffer frame) {
    received.push_back(std::move(frame));
    if (received.size() == 4) loop->stop();
  });
  ASSERT_TRUE(loop->run_for(20s).ok());
  EXPECT_TRUE(writable);
  ASSERT_EQ(received.size(), 4u);
  EXPECT_EQ(received[3].as_string(), "after drain");
}

TEST(FramedStream, AcceptsOneFrameLargerThanTheLimitIntoAnEmptyQueue) {
  auto loop = make_loop();
  FramedStreamOptions small;
  small.max_queued_bytes = 1024;
  Connected c = connect_pair(*loop, small);
  ASSERT_NE(c.client, nullptr);
  EXPECT_TRUE(c.client->send(patterned(4096)).ok());
  EXPECT_EQ(c.client->send(Buffer::copy_of("x")).error().code(), Errc::would_block);
}

TEST(FramedStream, RejectsOutboundFramesOverMaxFrame) {
  auto loop = make_loop();
  FramedStreamOptions tiny;
  tiny.max_frame = 8;
  Connected c = connect_pair(*loop, tiny);
  ASSERT_NE(c.client, nullptr);
  EXPECT_EQ(c.client->send(patterned(9)).error().code(), Errc::too_large);
}

TEST(FramedStream, OversizedInboundFrameClosesWithTooLarge) {
  auto loop = make_loop();
  FramedStreamOptions tiny;
  tiny.max_frame = 8;
  Connected c = connect_pair(*loop, {}, tiny);
  ASSERT_NE(c.server, nullptr);
  std::optional<Status> closed;
  c.server->on_close([&](Status why) {
    closed = why;
    loop->stop();
  });
  ASSERT_TRUE(c.client->send(patterned(100)).ok());
  ASSERT_TRUE(loop->run_for(10s).ok());
  ASSERT_TRUE(closed.has_value());
  ASSERT_FALSE(closed->ok());
  EXPECT_EQ(closed->error().code(), Errc::too_large);
  EXPECT_FALSE(c.server->is_open());
  EXPECT_EQ(c.server->send(Buffer::copy_of("late")).error().code(), Errc::closed);
}

TEST(FramedStream, PeerCloseBetweenFramesIsOrderly) {
  auto loop = make_loop();
  Connected c = connect_pair(*loop);
  ASSERT_NE(c.server, nullptr);
  std::optional<Status> closed;
  c.server->on_close([&](Status why) {
    closed = why;
    loop->stop();
  });
  c.client->close();
  ASSERT_TRUE(loop->run_for(10s).ok());
  ASSERT_TRUE(closed.has_value());
  EXPECT_TRUE(closed->ok()) << closed->error().to_string();
}

TEST(FramedStream, ConnectToVacantPortReportsClose) {
  auto loop = make_loop();
  Address vacant = TcpListener::bind(Address::ipv4_loopback(0)).value().local_address().value();
  auto stream = TcpStream::connect(vacant);
  ASSERT_TRUE(stream.ok());
  auto framed = FramedStream::create(*loop, std::move(stream).value()).value();
  std::optional<Status> closed;
  framed->on_close([&](Status why) {
    closed = why;
    loop->stop();
  });
  ASSERT_TRUE(loop->run_for(10s).ok());
  ASSERT_TRUE(closed.has_value());
  ASSERT_FALSE(closed->ok());
  EXPECT_EQ(closed->error().code(), Errc::closed);
}

}  // namespace
}  // namespace cohort
