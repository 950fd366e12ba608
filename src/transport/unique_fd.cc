#include "cohort/transport/unique_fd.h"

#include <unistd.h>

namespace cohort {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void UniqueFd::reset() {
  if (fd_ >= 0) close(std::exchange(fd_, -1));
}

}  // namespace cohort
