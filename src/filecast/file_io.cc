#include "file_io.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace cohort::filecast {

Status pread_full(int fd, std::span<std::uint8_t> out, std::uint64_t offset, std::string_view what) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, std::string("reading ") + std::string(what));
    if (n == 0) return Error(Errc::io, std::string(what) + " is shorter than expected: did it change?");
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

Status pwrite_full(int fd, std::span<const std::uint8_t> bytes, std::uint64_t offset, std::string_view what) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, std::string("writing ") + std::string(what));
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

Status write_all(int fd, std::span<const std::uint8_t> bytes, std::string_view what) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, std::string("writing ") + std::string(what));
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return ok_status();
}

std::vector<EntryGroups> groups_by_entry(const Layout& layout, std::size_t entries) {
  std::vector<EntryGroups> out(entries);
  for (std::uint64_t g = layout.group_count(); g-- > 0;) {
    EntryGroups& e = out[layout.group(g).entry];
    e.first = g;
    ++e.count;
  }
  return out;
}

Result<std::vector<std::string>> split_relative_path(std::string_view path) {
  auto bad = [&](std::string_view why) {
    return Error(Errc::invalid_argument, "unsafe path \"" + std::string(path) + "\": " + std::string(why));
  };
  if (path.empty()) return bad("empty");
  if (path.front() == '/') return bad("absolute");
  if (path.find('\0') != std::string_view::npos) return bad("contains NUL");
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return bad("empty, \".\" or \"..\" component");
    if (part.size() > NAME_MAX) return bad("a component is longer than NAME_MAX");
    parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

namespace {

Result<UniqueFd> open_dir_step(int parent, const std::string& name, bool create) {
  constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(parent, name.c_str(), kFlags);
  if (fd < 0 && errno == ENOENT && create) {
    if (::mkdirat(parent, name.c_str(), 0755) != 0 && errno != EEXIST) {
      return Error::from_errno(errno, "creating directory " + name);
    }
    fd = ::openat(parent, name.c_str(), kFlags);
  }
  if (fd >= 0) return UniqueFd(fd);
  if (errno == ELOOP || errno == ENOTDIR) {
    return Error(Errc::invalid_argument,
                 name + " is a symbolic link or not a directory; filecast writes only through real directories");
  }
  return Error::from_errno(errno, "opening directory " + name);
}

}  // namespace

Result<UniqueFd> open_dir_below(int root, std::span<const std::string> components, bool create) {
  Result<UniqueFd> dir = UniqueFd(::fcntl(root, F_DUPFD_CLOEXEC, 0));
  if (dir->get() < 0) return Error::from_errno(errno, "duplicating a directory descriptor");
  for (const std::string& name : components) {
    dir = open_dir_step(dir->get(), name, create);
    if (!dir) return dir.error();
  }
  return dir;
}

}  // namespace cohort::filecast
