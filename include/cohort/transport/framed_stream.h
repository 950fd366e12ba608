// Length-framed messages over a TCP stream, driven by the EventLoop: frames
// in are handed to on_frame, frames out are queued and written as the socket
// takes them. The outbound queue is bounded: send() refuses with would_block
// rather than drop a frame or grow without limit, and on_writable says when
// to try again.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"
#include "cohort/core/event_loop.h"
#include "cohort/transport/frame_queue.h"
#include "cohort/transport/tcp.h"
#include "cohort/wire/frame.h"

namespace cohort {

struct FramedStreamOptions {
  std::size_t max_frame = wire::kDefaultMaxFrame;  // larger inbound frames close the stream
  std::size_t max_queued_bytes = 4u << 20;         // outbound bytes held before send() refuses
};

class FramedStream {
 public:
  using FrameCallback = std::function<void(Buffer frame)>;
  // OK for an orderly close by the peer between frames, else why it ended.
  using CloseCallback = std::function<void(Status why)>;
  using WritableCallback = std::function<void()>;

  // Takes a stream that is connected or still connecting; watches it on
  // `loop`, which must outlive the FramedStream. Callbacks run on the loop
  // and must not destroy the FramedStream (defer that to the loop instead).
  static Result<std::unique_ptr<FramedStream>> create(EventLoop& loop, TcpStream stream,
                                                      const FramedStreamOptions& options = {});
  ~FramedStream();
  FramedStream(const FramedStream&) = delete;
  FramedStream& operator=(const FramedStream&) = delete;

  void on_frame(FrameCallback callback) { on_frame_ = std::move(callback); }
  void on_close(CloseCallback callback) { on_close_ = std::move(callback); }
  // Fires once after send() has refused a frame, when the queue has drained.
  void on_writable(WritableCallback callback) { on_writable_ = std::move(callback); }

  // Queues one frame, written when the socket is next writable; never calls
  // back into the caller. A frame is accepted when the queue is empty or when it
  // fits under max_queued_bytes; otherwise would_block. too_large past
  // max_frame; closed once the stream has ended.
  Status send(ByteView payload);
  std::size_t queued_bytes() const { return queue_.queued_bytes(); }
  bool is_open() const { return stream_.has_value(); }
  // Closes at once, discarding queued frames; on_close is not called.
  void close();

 private:
  FramedStream(EventLoop& loop, TcpStream stream, const FramedStreamOptions& options);
  void handle_events(std::uint32_t events);
  bool finish_connecting();
  void read_available();
  void deliver_frames();
  void flush();
  Status update_interest();
  void fail(Status why);

  EventLoop& loop_;
  std::optional<TcpStream> stream_;  // empty once closed
  Address peer_;
  FramedStreamOptions options_;
  wire::FrameDecoder decoder_;
  std::vector<std::uint8_t> read_buffer_;
  FrameQueue queue_;
  bool connecting_ = true;
  bool watching_writable_ = true;
  FrameCallback on_frame_;
  CloseCallback on_close_;
  WritableCallback on_writable_;
};

}  // namespace cohort
