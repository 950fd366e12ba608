#include "terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

namespace cohort::cli {

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  termios mode{};
  if (!isatty(fd) || tcgetattr(fd, &mode) != 0) return;
  saved_ = mode;
  cfmakeraw(&mode);
  tcsetattr(fd, TCSADRAIN, &mode);
}

RawTerminal::~RawTerminal() {
  if (saved_) tcsetattr(fd_, TCSADRAIN, &*saved_);
}

std::optional<std::pair<std::uint16_t, std::uint16_t>> terminal_size(int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) != 0) return std::nullopt;
  return std::pair{size.ws_row, size.ws_col};
}

}  // namespace cohort::cli
