// Lines from a file descriptor (stdin) on the EventLoop, without blocking it:
// the descriptor is made non-blocking (and restored when done), pipes and
// terminals are watched, regular files (which epoll refuses) are read a
// chunk per loop turn. The consumer may refuse a line (back-pressure): the
// source then holds it and reads nothing more until resume().
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cohort/core/error.h"
#include "cohort/core/event_loop.h"

namespace cohort::cli {

class LineSource {
 public:
  // Returns false to refuse the line (it comes again after resume()).
  using LineCallback = std::function<bool(std::string_view line)>;
  using EofCallback = std::function<void()>;

  // Lines longer than `max_line` are not passed on; `on_too_long` hears of
  // each (with its length) so nothing disappears silently.
  static Result<std::unique_ptr<LineSource>> create(EventLoop& loop, int fd, std::size_t max_line,
                                                    LineCallback on_line, EofCallback on_eof,
                                                    std::function<void(std::size_t)> on_too_long);
  ~LineSource();
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  void resume();

 private:
  LineSource(EventLoop& loop, int fd, std::size_t max_line);
  void read_available();
  // Passes on complete lines; false if the consumer refused one.
  bool pass_lines();
  void pause();
  void resume_reading();
  void finish();

  EventLoop& loop_;
  int fd_;
  int saved_flags_ = -1;
  std::size_t max_line_;
  bool watchable_ = true;  // false for regular files
  bool watching_ = false;
  bool paused_ = false;
  bool eof_ = false;
  bool finished_ = false;
  bool skipping_ = false;  // inside a line that was too long
  std::size_t skipped_ = 0;
  std::string buffer_;
  LineCallback on_line_;
  EofCallback on_eof_;
  std::function<void(std::size_t)> on_too_long_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cohort::cli
