// A history file (JSON lines) written so that a process killed at any moment
// leaves only whole lines behind: each line goes to the kernel in one
// write(2) on an O_APPEND descriptor, with no user-space buffer to lose.
#pragma once

#include <string>
#include <string_view>

#include "cohort/core/error.h"
#include "cohort/transport/unique_fd.h"

namespace cohort::cli {

class HistoryFile {
 public:
  // Creates or truncates `path`.
  static Result<HistoryFile> create(const std::string& path);
  // Appends `line` and a newline.
  Status write_line(std::string_view line);

 private:
  HistoryFile(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
  std::string scratch_;
};

}  // namespace cohort::cli
