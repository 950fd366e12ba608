#include "byte_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace cohort::cli {

namespace {
constexpr std::size_t kChunk = 64 * 1024;
constexpr int kChunksPerTurn = 16;  // so a fast producer cannot starve the loop
}  // namespace

Result<std::unique_ptr<ByteSource>> ByteSource::create(EventLoop& loop, int fd, ChunkCallback on_chunk,
                                                       EofCallback on_eof) {
  std::unique_ptr<ByteSource> source(new ByteSource(loop, fd));
  source->on_chunk_ = std::move(on_chunk);
  source->on_eof_ = std::move(on_eof);
  source->saved_flags_ = fcntl(fd, F_GETFL);
  if (source->saved_flags_ < 0) {
    return Error::from_errno(errno, "reading the flags of file descriptor " + std::to_string(fd));
  }
  if (fcntl(fd, F_SETFL, source->saved_flags_ | O_NONBLOCK) < 0) {
    return Error::from_errno(errno, "making file descriptor " + std::to_string(fd) + " non-blocking");
  }
  ByteSource* self = source.get();
  Status watched = loop.watch(fd, kReadable, [self](std::uint32_t) { self->read_available(); });
  if (watched) {
    source->watching_ = true;
  } else if (watched.error().code() == Errc::permission_denied) {
    source->watchable_ = false;  // a regular file: always readable, epoll refuses it
    source->resume_reading();
  } else {
    return watched.error();
  }
  return source;
}

ByteSource::~ByteSource() {
  if (watching_) loop_.unwatch(fd_);
  if (saved_flags_ >= 0) fcntl(fd_, F_SETFL, saved_flags_);
}

void ByteSource::pause() {
  paused_ = true;
  if (watching_) loop_.unwatch(fd_);
  watching_ = false;
}

void ByteSource::resume() {
  if (!paused_ || eof_) return;
  paused_ = false;
  resume_reading();
}

void ByteSource::resume_reading() {
  if (watchable_) {
    if (!watching_) watching_ = loop_.watch(fd_, kReadable, [this](std::uint32_t) { read_available(); }).ok();
    return;
  }
  loop_.defer([this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.lock()) read_available();
  });
}

void ByteSource::read_available() {
  if (paused_ || eof_) return;
  std::uint8_t chunk[kChunk];
  for (int i = 0; i < kChunksPerTurn; ++i) {
    ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {  // end of input, or an error that ends it
      eof_ = true;
      if (watching_) loop_.unwatch(fd_);
      watching_ = false;
      on_eof_();
      return;
    }
    if (!on_chunk_(ByteView(chunk, static_cast<std::size_t>(n)))) return pause();
  }
  if (!watchable_) resume_reading();
}

}  // namespace cohort::cli
