#include "line_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace cohort::cli {

namespace {
constexpr std::size_t kChunk = 64 * 1024;
constexpr int kChunksPerTurn = 16;  // so a fast producer cannot starve the loop
}  // namespace

Result<std::unique_ptr<LineSource>> LineSource::create(EventLoop& loop, int fd, std::size_t max_line,
                                                       LineCallback on_line, EofCallback on_eof,
                                                       std::function<void(std::size_t)> on_too_long) {
  std::unique_ptr<LineSource> source(new LineSource(loop, fd, max_line));
  source->on_line_ = std::move(on_line);
  source->on_eof_ = std::move(on_eof);
  source->on_too_long_ = std::move(on_too_long);
  source->saved_flags_ = fcntl(fd, F_GETFL);
  if (source->saved_flags_ < 0) return Error::from_errno(errno, "reading the flags of file descriptor " + std::to_string(fd));
  if (fcntl(fd, F_SETFL, source->saved_flags_ | O_NONBLOCK) < 0) {
    return Error::from_errno(errno, "making file descriptor " + std::to_string(fd) + " non-blocking");
  }
  LineSource* self = source.get();
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

LineSource::LineSource(EventLoop& loop, int fd, std::size_t max_line) : loop_(loop), fd_(fd), max_line_(max_line) {}

LineSource::~LineSource() {
  if (watching_) loop_.unwatch(fd_);
  if (saved_flags_ >= 0) fcntl(fd_, F_SETFL, saved_flags_);
}

void LineSource::resume_reading() {
  if (watchable_) {
    if (!watching_) watching_ = loop_.watch(fd_, kReadable, [this](std::uint32_t) { read_available(); }).ok();
    return;
  }
  loop_.defer([this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.lock()) read_available();
  });
}

void LineSource::read_available() {
  if (paused_ || eof_) return;
  char chunk[kChunk];
  for (int i = 0; i < kChunksPerTurn; ++i) {
    ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {  // end of input, or an error that ends it
      eof_ = true;
      if (!buffer_.empty() || skipping_) buffer_ += '\n';
      if (!pass_lines()) return pause();
      return finish();
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    if (!pass_lines()) return pause();
  }
  if (!watchable_) resume_reading();
}

bool LineSource::pass_lines() {
  std::size_t start = 0;
  bool accepted = true;
  for (std::size_t nl; accepted && (nl = buffer_.find('\n', start)) != std::string::npos;) {
    std::string_view line(buffer_.data() + start, nl - start);
    if (skipping_ || line.size() > max_line_) {
      on_too_long_(skipped_ + line.size());
      skipping_ = false;
      skipped_ = 0;
    } else if (!on_line_(line)) {
      accepted = false;
      break;
    }
    start = nl + 1;
  }
  buffer_.erase(0, start);
  if (accepted && buffer_.size() > max_line_) {  // no end in sight: count it, keep nothing
    skipping_ = true;
    skipped_ += buffer_.size();
    buffer_.clear();
  }
  return accepted;
}

void LineSource::pause() {
  paused_ = true;
  if (watching_) loop_.unwatch(fd_);
  watching_ = false;
}

void LineSource::resume() {
  if (!paused_ || finished_) return;
  paused_ = false;
  if (!pass_lines()) return pause();
  if (eof_) return finish();
  resume_reading();
}

void LineSource::finish() {
  if (finished_) return;
  finished_ = true;
  if (watching_) loop_.unwatch(fd_);
  watching_ = false;
  on_eof_();
}

}  // namespace cohort::cli
