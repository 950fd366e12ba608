#include "local_output.h"

#include <unistd.h>

#include <cerrno>

namespace cohort::cli {

int local_fd(exec::Stream stream) { return stream == exec::Stream::stderr_ ? STDERR_FILENO : STDOUT_FILENO; }

bool write_fully(int fd, ByteView bytes) {
  while (!bytes.empty()) {
    ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace cohort::cli
