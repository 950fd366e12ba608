#include <fcntl.h>

#include <cerrno>

#include "cohort/filecast/files.h"
#include "file_io.h"

namespace cohort::filecast {

// The last file read stays open: groups are mostly asked for in order.
struct FileSource::State {
  std::vector<std::string> paths;
  Layout layout;
  std::uint32_t open_entry = 0;
  UniqueFd fd;
};

FileSource::FileSource(const LocalContent& content, const Layout& layout)
    : s_(std::make_unique<State>(State{content.local_paths, layout, 0, UniqueFd()})) {}

FileSource::~FileSource() = default;

Status FileSource::read_group(std::uint64_t group, std::span<std::uint8_t> out) {
  if (group >= s_->layout.group_count()) return Error(Errc::invalid_argument, "no such group");
  const GroupExtent& extent = s_->layout.group(group);
  if (out.size() != extent.bytes) return Error(Errc::invalid_argument, "buffer is not the group's size");
  const std::string& path = s_->paths[extent.entry];
  if (s_->fd.get() < 0 || s_->open_entry != extent.entry) {
    s_->fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (s_->fd.get() < 0) return Error::from_errno(errno, path);
    s_->open_entry = extent.entry;
  }
  return pread_full(s_->fd.get(), out, extent.offset, path);
}

}  // namespace cohort::filecast
