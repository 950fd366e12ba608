// FileSink taking over what an earlier session left: a file already in
// place, or a part file whose sidecar matches how this file is cut.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "cohort/filecast/digest.h"
#include "sink_state.h"

namespace cohort::filecast {
namespace {

// A part file or sidecar someone hard-linked elsewhere is not written to.
bool sole_regular_file(int fd) {
  struct stat sb {};
  return fd >= 0 && ::fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_nlink == 1;
}

// The sidecar's claims, if it is one for this content.
std::optional<Sidecar> read_sidecar(int fd, const SidecarKey& key, std::uint64_t groups) {
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 ||
      static_cast<std::uint64_t>(sb.st_size) > kSidecarHeaderSize + kSidecarRecordSize * groups) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(sb.st_size));
  if (!pread_full(fd, bytes, 0, "the state file")) return std::nullopt;
  Result<Sidecar> decoded = decode_sidecar(bytes, groups);
  if (!decoded || decoded->key != key) return std::nullopt;
  return std::move(*decoded);
}

}  // namespace

// Whether every group of entry `e` in `fd` matches the session's digest.
Result<bool> FileSink::State::file_matches(std::uint32_t e, int fd) {
  const EntryState& st = entries[e];
  GroupDigester digester(info.digest_key);
  for (std::uint64_t group = st.groups.first; group < st.groups.first + st.groups.count; ++group) {
    Result<bool> matches = group_matches(digester, group, fd, "the existing file");
    if (!matches || !*matches) return matches;
  }
  return true;
}

// Whether `group` as stored in `fd` at its offset matches its digest.
Result<bool> FileSink::State::group_matches(GroupDigester& digester, std::uint64_t group, int fd,
                                            const char* what) {
  const GroupExtent& extent = layout.group(group);
  std::span<std::uint8_t> bytes(scratch.data(), extent.bytes);
  if (Status s = pread_full(fd, bytes, extent.offset, what); !s) return s.error();
  return digester(group, bytes) == info.group_digests[group];
}

// A file already at its final name with the session's content (every group
// matches its digest) is done. One with other links is left alone: its mode
// is not ours to change.
Status FileSink::State::adopt_final(std::uint32_t e, int dir, bool& adopted) {
  EntryState& st = entries[e];
  const CastEntry& entry = info.entries[e];
  struct stat sb {};
  if (::fstatat(dir, st.name.c_str(), &sb, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? ok_status() : Status(Error::from_errno(errno, "checking the existing file"));
  }
  if (S_ISDIR(sb.st_mode)) return Error(Errc::io, "a directory is in the way of this file; remove it");
  if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1 || static_cast<std::uint64_t>(sb.st_size) != entry.size) {
    return ok_status();
  }
  UniqueFd fd(::openat(dir, st.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return Error::from_errno(errno, "opening the existing file");
  Result<bool> matches = file_matches(e, fd.get());
  if (!matches) return matches.error();
  if (!*matches) return ok_status();
  if (::fchmod(fd.get(), entry.mode & 0777) != 0) return Error::from_errno(errno, "setting the mode");
  adopted = st.done = true;
  st.held.assign(st.groups.count, true);
  st.held_count = st.groups.count;
  ++progress.files_done;
  progress.bytes_stored += entry.size;
  return ok_status();
}

// Takes over a part file whose sidecar names this content; anything else
// left there is removed.
Status FileSink::State::resume(std::uint32_t e, UniqueFd dir) {
  const EntryState& st = entries[e];
  OpenFile file{e, std::move(dir), UniqueFd(), UniqueFd()};
  file.part = UniqueFd(::openat(file.dir.get(), part_name(st.name).c_str(), kTempFlags));
  file.state = UniqueFd(::openat(file.dir.get(), state_name(st.name).c_str(), kTempFlags | O_APPEND));
  std::optional<Sidecar> sidecar;
  if (sole_regular_file(file.part.get()) && sole_regular_file(file.state.get())) {
    sidecar = read_sidecar(file.state.get(), key(e), st.groups.count);
  }
  if (!sidecar) return discard(e, file.dir.get());
  if (Status s = verify_claims(e, file, sidecar->groups); !s) return s;
  keep_open(std::move(file));
  return st.held_count == st.groups.count ? complete(e) : ok_status();
}

// Keeps the claimed groups whose bytes match their digests and rewrites the
// sidecar with just those.
Status FileSink::State::verify_claims(std::uint32_t e, OpenFile& file,
                                      const std::vector<std::uint64_t>& claims) {
  EntryState& st = entries[e];
  std::vector<std::uint8_t> records = encode_sidecar_header(key(e));
  GroupDigester digester(info.digest_key);
  for (std::uint64_t local : std::set<std::uint64_t>(claims.begin(), claims.end())) {
    if (local >= st.groups.count) continue;
    const std::uint64_t group = st.groups.first + local;
    Result<bool> matches = group_matches(digester, group, file.part.get(), "the part file");
    if (!matches || !*matches) continue;  // unreadable or changed: it comes again
    st.held[local] = true;
    ++st.held_count;
    progress.bytes_stored += layout.group(group).bytes;
    std::vector<std::uint8_t> record = encode_sidecar_record(local);
    records.insert(records.end(), record.begin(), record.end());
  }
  if (::ftruncate(file.state.get(), 0) != 0) return Error::from_errno(errno, "rewriting the state file");
  return write_all(file.state.get(), records, "the state file");
}

}  // namespace cohort::filecast
