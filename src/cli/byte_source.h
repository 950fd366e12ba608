// Bytes from a file descriptor (stdin) on the EventLoop, without blocking it:
// the descriptor is made non-blocking (and restored when done), pipes and
// terminals are watched, regular files (which epoll refuses) are read a
// chunk per loop turn. The consumer takes every chunk and may ask for a
// pause (back-pressure); nothing more is read until resume().
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"
#include "cohort/core/event_loop.h"

namespace cohort::cli {

class ByteSource {
 public:
  // Returns false to pause reading after this chunk.
  using ChunkCallback = std::function<bool(ByteView chunk)>;
  using EofCallback = std::function<void()>;

  static Result<std::unique_ptr<ByteSource>> create(EventLoop& loop, int fd, ChunkCallback on_chunk,
                                                    EofCallback on_eof);
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  void pause();
  void resume();
  bool at_eof() const { return eof_; }

 private:
  ByteSource(EventLoop& loop, int fd) : loop_(loop), fd_(fd) {}
  void read_available();
  void resume_reading();

  EventLoop& loop_;
  int fd_;
  int saved_flags_ = -1;
  bool watchable_ = true;  // false for regular files
  bool watching_ = false;
  bool paused_ = false;
  bool eof_ = false;
  ChunkCallback on_chunk_;
  EofCallback on_eof_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cohort::cli
