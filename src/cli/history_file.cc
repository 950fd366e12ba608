#include "history_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace cohort::cli {

Result<HistoryFile> HistoryFile::create(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Error::from_errno(errno, "creating history file '" + path + "'");
  return HistoryFile(UniqueFd(fd), path);
}

Status HistoryFile::write_line(std::string_view line) {
  scratch_.assign(line);
  scratch_ += '\n';
  ssize_t n = 0;
  do {
    n = write(fd_.get(), scratch_.data(), scratch_.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::from_errno(errno, "writing history file '" + path_ + "'");
  if (static_cast<std::size_t>(n) != scratch_.size()) {
    return Error(Errc::io, "history file '" + path_ + "': short write (disk full?)");
  }
  return ok_status();
}

}  // namespace cohort::cli
