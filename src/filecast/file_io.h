// The file layer's plumbing: whole-buffer pread/pwrite, which groups belong
// to which entry, and paths walked below a directory without following a
// symlink out of it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/filecast/session.h"
#include "cohort/transport/unique_fd.h"

namespace cohort::filecast {

// Errors: io (naming `what`), including a file that ends early.
Status pread_full(int fd, std::span<std::uint8_t> out, std::uint64_t offset, std::string_view what);
Status pwrite_full(int fd, std::span<const std::uint8_t> bytes, std::uint64_t offset, std::string_view what);
// At the file offset (the end, with O_APPEND). Errors: io.
Status write_all(int fd, std::span<const std::uint8_t> bytes, std::string_view what);

// The groups of one entry: [first, first + count) in Layout order.
struct EntryGroups {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
};
std::vector<EntryGroups> groups_by_entry(const Layout& layout, std::size_t entries);

// A session path's components. Errors: invalid_argument (empty, absolute,
// an empty, "." or ".." component, a NUL, a component over NAME_MAX).
Result<std::vector<std::string>> split_relative_path(std::string_view path);

// Opens the directory `components` below `root`, never through a symlink,
// creating missing ones (mode 0755 less the umask) when `create`.
// Errors: not_found (missing, !create), invalid_argument (a symlink or a
// non-directory on the way), permission_denied, io.
Result<UniqueFd> open_dir_below(int root, std::span<const std::string> components, bool create);

}  // namespace cohort::filecast
