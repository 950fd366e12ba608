// FileSink storing groups: part file and sidecar record, and the rename once
// every group of a file is stored.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "sink_state.h"

namespace cohort::filecast {

Result<OpenFile*> FileSink::State::open_file(std::uint32_t e) {
  auto it = std::find_if(open.begin(), open.end(), [&](const OpenFile& f) { return f.entry == e; });
  if (it != open.end()) {
    std::rotate(it, it + 1, open.end());
    return &open.back();
  }
  const EntryState& st = entries[e];
  Result<UniqueFd> dir = open_dir_below(root.get(), st.dir, true);
  if (!dir) return dir.error();
  OpenFile file{e, std::move(*dir), UniqueFd(), UniqueFd()};
  file.part = UniqueFd(::openat(file.dir.get(), part_name(st.name).c_str(), kTempFlags | O_CREAT, 0600));
  if (file.part.get() < 0) return Error::from_errno(errno, "creating the part file");
  file.state =
      UniqueFd(::openat(file.dir.get(), state_name(st.name).c_str(), kTempFlags | O_CREAT | O_APPEND, 0600));
  struct stat sb {};
  if (file.state.get() < 0 || ::fstat(file.state.get(), &sb) != 0) {
    return Error::from_errno(errno, "creating the state file");
  }
  if (sb.st_size == 0) {
    if (Status s = write_all(file.state.get(), encode_sidecar_header(key(e)), "the state file"); !s)
      return s.error();
  }
  return &keep_open(std::move(file));
}

OpenFile& FileSink::State::keep_open(OpenFile file) {
  if (open.size() == kOpenFiles) open.erase(open.begin());
  open.push_back(std::move(file));
  return open.back();
}

// The open part file for `group` of `size` bytes; nullptr when the group
// is held already.
Result<OpenFile*> FileSink::State::file_for(std::uint64_t group, std::size_t size) {
  if (group >= layout.group_count()) return Error(Errc::invalid_argument, "no such group");
  const GroupExtent& extent = layout.group(group);
  if (holds(group)) return static_cast<OpenFile*>(nullptr);
  if (size != extent.bytes) return Error(Errc::invalid_argument, "group bytes are not the group's size");
  return open_file(extent.entry);
}

Status FileSink::State::store(std::uint64_t group, ByteView bytes) {
  Result<OpenFile*> file = file_for(group, bytes.size());
  if (!file) return file.error();
  if (*file == nullptr) return ok_status();  // held already
  const std::uint64_t offset = layout.group(group).offset;
  if (Status s = pwrite_full((*file)->part.get(), bytes, offset, "the part file"); !s) return s;
  return record_stored(group, **file);
}

// The part file reads zeros over the group: a hole where the file system
// can punch one (so a sparse file stays sparse), written zeros elsewhere.
Status FileSink::State::store_zeros(std::uint64_t group, std::size_t bytes) {
  Result<OpenFile*> file = file_for(group, bytes);
  if (!file) return file.error();
  if (*file == nullptr) return ok_status();  // held already
  const int fd = (*file)->part.get();
  const std::uint64_t at = layout.group(group).offset;
  const auto offset = static_cast<off_t>(at), length = static_cast<off_t>(bytes);
  struct stat sb {};
  if (::fstat(fd, &sb) != 0) return Error::from_errno(errno, "reading the part file's size");
  if (sb.st_size < offset + length && ::ftruncate(fd, offset + length) != 0) {
    return Error::from_errno(errno, "extending the part file");
  }
  if (zeros.size() < bytes) zeros.assign(bytes, 0);  // one buffer for every zero group
  const ByteView group_zeros(zeros.data(), bytes);
  const bool punched = offset >= sb.st_size ||
                       ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset,
                                   std::min<off_t>(length, sb.st_size - offset)) == 0;
  if (!punched) {
    if (Status s = pwrite_full(fd, group_zeros, at, "the part file"); !s) return s;
  }
  return record_stored(group, **file);
}

// The group is in the part file: its sidecar record, completion.
Status FileSink::State::record_stored(std::uint64_t group, OpenFile& file) {
  const GroupExtent& extent = layout.group(group);
  EntryState& st = entries[extent.entry];
  const std::uint64_t local = group - st.groups.first;
  if (Status s = write_all(file.state.get(), encode_sidecar_record(local), "the state file"); !s) return s;
  st.held[local] = true;
  ++st.held_count;
  progress.bytes_stored += extent.bytes;
  return st.held_count == st.groups.count ? complete(extent.entry) : ok_status();
}

// Every group is stored, each checked by the caller: the file gets its mode
// and its name.
Status FileSink::State::complete(std::uint32_t e) {
  EntryState& st = entries[e];
  const CastEntry& entry = info.entries[e];
  Result<OpenFile*> opened = open_file(e);
  if (!opened) return opened.error();
  OpenFile& file = **opened;
  if (::fchmod(file.part.get(), entry.mode & 0777) != 0) return Error::from_errno(errno, "setting the mode");
  if (options.fsync && ::fsync(file.part.get()) != 0) return Error::from_errno(errno, "syncing the file");
  if (::renameat(file.dir.get(), part_name(st.name).c_str(), file.dir.get(), st.name.c_str()) != 0) {
    return Error::from_errno(errno, "renaming the verified file into place");
  }
  if (::unlinkat(file.dir.get(), state_name(st.name).c_str(), 0) != 0) {
    return Error::from_errno(errno, "removing the state file");
  }
  if (options.fsync && ::fsync(file.dir.get()) != 0) return Error::from_errno(errno, "syncing the directory");
  close_file(e);
  st.done = true;
  ++progress.files_done;
  return ok_status();
}

void FileSink::State::close_file(std::uint32_t e) {
  std::erase_if(open, [&](const OpenFile& f) { return f.entry == e; });
}

// Forgets every group of the file and removes its part file and sidecar.
Status FileSink::State::discard(std::uint32_t e, int dir) {
  EntryState& st = entries[e];
  st.held.assign(st.groups.count, false);
  st.held_count = 0;
  for (const std::string& name : {part_name(st.name), state_name(st.name)}) {
    if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
      return Error::from_errno(errno, "removing " + name);
    }
  }
  return ok_status();
}

}  // namespace cohort::filecast
