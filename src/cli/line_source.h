// Lines from a file descriptor (stdin) on the EventLoop, read through a
// ByteSource (never blocking the loop). The consumer may refuse a line
// (back-pressure): the source then holds it and reads nothing more until
// resume().
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cohort/core/error.h"
#include "cohort/core/event_loop.h"
#include "byte_source.h"

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
  ~LineSource() = default;
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  void resume();

 private:
  explicit LineSource(std::size_t max_line) : max_line_(max_line) {}
  bool take(ByteView chunk);
  void end_of_input();
  // Passes on complete lines; false if the consumer refused one.
  bool pass_lines();
  void finish();

  std::size_t max_line_;
  std::unique_ptr<ByteSource> bytes_;
  bool finished_ = false;
  bool skipping_ = false;  // inside a line that was too long
  std::size_t skipped_ = 0;
  std::string buffer_;
  LineCallback on_line_;
  EofCallback on_eof_;
  std::function<void(std::size_t)> on_too_long_;
};

}  // namespace cohort::cli
