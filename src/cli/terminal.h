// The local terminal for `cohort exec --tty`: raw mode while the remote
// terminal is in charge, restored on every way out, and its size.
#pragma once

#include <termios.h>

#include <cstdint>
#include <optional>
#include <utility>

namespace cohort::cli {

class RawTerminal {
 public:
  // Puts `fd` in raw mode if it is a terminal; restores it when destroyed.
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  std::optional<termios> saved_;
};

// Rows and columns of the terminal on `fd`, or nullopt if it is none.
std::optional<std::pair<std::uint16_t, std::uint16_t>> terminal_size(int fd);

}  // namespace cohort::cli
