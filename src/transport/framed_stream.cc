#include "cohort/transport/framed_stream.h"

namespace cohort {

namespace {
constexpr std::size_t kReadChunk = 64u << 10;
// Bounds one readiness callback so a fast peer cannot starve the loop.
constexpr int kMaxReadsPerEvent = 16;
}  // namespace

Result<std::unique_ptr<FramedStream>> FramedStream::create(EventLoop& loop, TcpStream stream,
                                                           const FramedStreamOptions& options) {
  std::unique_ptr<FramedStream> framed(new FramedStream(loop, std::move(stream), options));
  FramedStream* self = framed.get();
  // Writable interest from the start: that is how a pending connect reports.
  Status watched = loop.watch(self->stream_->fd(), kReadable | kWritable,
                              [self](std::uint32_t events) { self->handle_events(events); });
  if (!watched) return watched.error();
  return framed;
}

FramedStream::FramedStream(EventLoop& loop, TcpStream stream, const FramedStreamOptions& options)
    : loop_(loop),
      stream_(std::move(stream)),
      peer_(stream_->peer()),
      options_(options),
      decoder_(options.max_frame),
      read_buffer_(kReadChunk),
      queue_(options.max_frame, options.max_queued_bytes) {}

FramedStream::~FramedStream() { close(); }

Status FramedStream::send(ByteView payload) {
  if (!is_open()) return Error(Errc::closed, "stream to " + peer_.to_string() + " is closed");
  if (Status s = queue_.push(payload, peer_.to_string()); !s) return s;
  return update_interest();
}

void FramedStream::close() {
  if (!is_open()) return;
  loop_.unwatch(stream_->fd());
  stream_.reset();
  queue_.clear();
}

void FramedStream::handle_events(std::uint32_t events) {
  if (connecting_ && !finish_connecting()) return;
  if (is_open() && (events & (kReadable | kHangup)) != 0) read_available();
  if (is_open() && (events & kWritable) != 0) flush();
}

// Returns whether the stream is connected and ready for I/O.
bool FramedStream::finish_connecting() {
  Status status = stream_->connect_status();
  if (!status) {
    if (status.error().code() != Errc::would_block) fail(status);
    return false;
  }
  connecting_ = false;
  return true;
}

void FramedStream::read_available() {
  for (int i = 0; i < kMaxReadsPerEvent && is_open(); ++i) {
    auto n = stream_->read(read_buffer_);
    if (!n) {
      if (n.error().code() == Errc::would_block) return;
      if (n.error().code() == Errc::closed && decoder_.pending_bytes() == 0) {
        fail(ok_status());
      } else if (n.error().code() == Errc::closed) {
        fail(Error(Errc::truncated, peer_.to_string() + " closed the connection inside a frame"));
      } else {
        fail(n.error());
      }
      return;
    }
    if (Status fed = decoder_.feed(ByteView(read_buffer_.data(), *n)); !fed) {
      fail(Error(fed.error().code(), "from " + peer_.to_string() + ": " + fed.error().message()));
      return;
    }
    deliver_frames();
  }
}

void FramedStream::deliver_frames() {
  while (is_open()) {
    std::optional<Buffer> frame = decoder_.next();
    if (!frame) return;
    if (on_frame_) on_frame_(std::move(*frame));
  }
}

void FramedStream::flush() {
  while (is_open() && !queue_.empty()) {
    auto n = stream_->write(queue_.unwritten());
    if (!n) {
      if (n.error().code() != Errc::would_block) fail(n.error());
      break;
    }
    queue_.consume(*n);
  }
  if (!is_open()) return;
  if (Status s = update_interest(); !s) {
    fail(s);
    return;
  }
  if (queue_.take_drained_after_refusal() && on_writable_) on_writable_();
}

// Asks for writable events only while there is something to write, since a
// level-triggered idle socket is always writable.
Status FramedStream::update_interest() {
  bool want_writable = connecting_ || !queue_.empty();
  if (want_writable == watching_writable_) return ok_status();
  if (Status s = loop_.modify(stream_->fd(), want_writable ? (kReadable | kWritable) : kReadable); !s) return s;
  watching_writable_ = want_writable;
  return ok_status();
}

void FramedStream::fail(Status why) {
  if (!is_open()) return;
  close();
  if (on_close_) on_close_(std::move(why));
}

}  // namespace cohort
