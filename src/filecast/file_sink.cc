// FileSink: part files, sidecars, resume and the verified rename
// (docs/filecast-files.md).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <set>

#include "cohort/filecast/files.h"
#include "file_io.h"
#include "sha256.h"
#include "sidecar.h"

namespace cohort::filecast {
namespace {

// Part files kept open at once; groups mostly arrive file by file.
constexpr std::size_t kOpenFiles = 16;
constexpr int kTempFlags = O_RDWR | O_NOFOLLOW | O_CLOEXEC;

struct EntryState {
  std::vector<std::string> dir;  // components of the parent directory
  std::string name;              // last component
  EntryGroups groups;
  std::vector<bool> held;  // by group index within the file
  std::uint64_t held_count = 0;
  std::optional<Sha256Hasher> hasher;
  std::uint64_t hashed = 0;  // groups fed to the hasher, in order
  bool done = false;
};

struct OpenFile {
  std::uint32_t entry = 0;
  UniqueFd dir, part, state;  // state is O_APPEND: records only go at its end
};

Status with_path(Status s, const std::string& path) {
  if (s) return s;
  return Error(s.error().code(), path + ": " + s.error().message());
}

Status write_all(int fd, ByteView bytes, std::string_view what) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, std::string("writing ") + std::string(what));
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return ok_status();
}

Result<Sha256> hash_file(int fd, std::uint64_t size, std::vector<std::uint8_t>& buffer, const std::string& what) {
  Result<Sha256Hasher> hasher = Sha256Hasher::create();
  if (!hasher) return hasher.error();
  for (std::uint64_t offset = 0; offset < size;) {
    std::span<std::uint8_t> chunk(buffer.data(), std::min<std::uint64_t>(buffer.size(), size - offset));
    if (Status s = pread_full(fd, chunk, offset, what); !s) return s.error();
    hasher->update(chunk);
    offset += chunk.size();
  }
  return hasher->finish();
}

}  // namespace

struct FileSink::State {
  UniqueFd root;
  SessionInfo info;
  Layout layout;
  SinkOptions options;
  std::vector<EntryState> entries;
  std::vector<OpenFile> open;  // least recently used first
  std::vector<std::uint8_t> scratch;
  SinkProgress progress;

  const std::string& path(std::uint32_t e) const { return info.entries[e].path; }
  SidecarKey key(std::uint32_t e) const {
    const CastEntry& entry = info.entries[e];
    return {entry.sha256, entry.size, info.params.block_size, info.params.k};
  }

  Status prepare();
  Status prepare_entry(std::uint32_t e);
  Status adopt_final(std::uint32_t e, int dir, bool& adopted);
  Status resume(std::uint32_t e, UniqueFd dir);
  Status verify_claims(std::uint32_t e, OpenFile& file, const std::vector<std::uint64_t>& claims);
  Result<OpenFile*> open_file(std::uint32_t e);
  OpenFile& keep_open(OpenFile file);
  Status store(std::uint64_t group, ByteView bytes);
  Status advance_hash(std::uint32_t e, OpenFile& file, std::uint64_t fresh, ByteView fresh_bytes);
  Status complete(std::uint32_t e);
  void close_file(std::uint32_t e);
  Status discard(std::uint32_t e, int dir);
  Status check_in_place(std::uint32_t e);
};

// --- open: paths, layout, directories, resume -------------------------------

Status FileSink::State::prepare() {
  if (layout.group_count() != info.group_digests.size()) {
    return Error(Errc::invalid_argument, "the layout is not this session's (group counts differ)");
  }
  std::set<std::string> paths;
  entries.resize(info.entries.size());
  for (std::uint32_t e = 0; e < info.entries.size(); ++e) {
    Result<std::vector<std::string>> parts = split_relative_path(path(e));
    if (!parts) return parts.error();
    if (!paths.insert(path(e)).second) return Error(Errc::invalid_argument, path(e) + ": listed twice in the session");
    entries[e].name = parts->back();
    parts->pop_back();
    entries[e].dir = std::move(*parts);
  }
  std::vector<EntryGroups> groups = groups_by_entry(layout, info.entries.size());
  for (std::uint32_t e = 0; e < info.entries.size(); ++e) {
    const CastEntry& entry = info.entries[e];
    const std::uint64_t group_bytes = std::uint64_t{info.params.block_size} * info.params.k;
    const std::uint64_t expected = entry.kind == CastEntry::Kind::file ? (entry.size + group_bytes - 1) / group_bytes : 0;
    if (groups[e].count != expected) return Error(Errc::invalid_argument, "the layout is not this session's");
    entries[e].groups = groups[e];
    entries[e].held.assign(expected, false);
    progress.bytes_total += entry.size;
    progress.files_total += entry.kind == CastEntry::Kind::file ? 1 : 0;
  }
  scratch.resize(std::max<std::size_t>(std::size_t{info.params.block_size} * info.params.k, 1 << 20));
  for (std::uint32_t e = 0; e < info.entries.size(); ++e) {
    if (Status s = with_path(prepare_entry(e), path(e)); !s) return s;
  }
  return ok_status();
}

Status FileSink::State::prepare_entry(std::uint32_t e) {
  EntryState& st = entries[e];
  std::vector<std::string> full = st.dir;
  if (info.entries[e].kind == CastEntry::Kind::directory) {
    full.push_back(st.name);
    Result<UniqueFd> dir = open_dir_below(root.get(), full, true);
    return dir ? ok_status() : Status(dir.error());
  }
  Result<UniqueFd> dir = open_dir_below(root.get(), st.dir, true);
  if (!dir) return dir.error();
  bool adopted = false;
  if (Status s = adopt_final(e, dir->get(), adopted); !s || adopted) return s;
  if (Status s = resume(e, std::move(*dir)); !s) return s;
  return st.groups.count == 0 ? complete(e) : ok_status();
}

// A file already at its final name with the session's content is done.
Status FileSink::State::adopt_final(std::uint32_t e, int dir, bool& adopted) {
  EntryState& st = entries[e];
  const CastEntry& entry = info.entries[e];
  struct stat sb {};
  if (::fstatat(dir, st.name.c_str(), &sb, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? ok_status() : Status(Error::from_errno(errno, "checking the existing file"));
  }
  if (S_ISDIR(sb.st_mode)) return Error(Errc::io, "a directory is in the way of this file; remove it");
  if (!S_ISREG(sb.st_mode) || static_cast<std::uint64_t>(sb.st_size) != entry.size) return ok_status();
  UniqueFd fd(::openat(dir, st.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) return Error::from_errno(errno, "opening the existing file");
  Result<Sha256> digest = hash_file(fd.get(), entry.size, scratch, path(e));
  if (!digest) return digest.error();
  if (*digest != entry.sha256) return ok_status();
  if (::fchmod(fd.get(), entry.mode & 0777) != 0) return Error::from_errno(errno, "setting the mode");
  adopted = st.done = true;
  st.held.assign(st.groups.count, true);
  st.held_count = st.groups.count;
  ++progress.files_done;
  progress.bytes_stored += entry.size;
  return ok_status();
}

namespace {

// The sidecar's claims, if it is one for this content.
std::optional<Sidecar> read_sidecar(int fd, const SidecarKey& key, std::uint64_t groups) {
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || static_cast<std::uint64_t>(sb.st_size) > kSidecarHeaderSize + kSidecarRecordSize * groups) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(sb.st_size));
  if (!pread_full(fd, bytes, 0, "the state file")) return std::nullopt;
  Result<Sidecar> decoded = decode_sidecar(bytes, groups);
  if (!decoded || decoded->key != key) return std::nullopt;
  return std::move(*decoded);
}

}  // namespace

// Takes over a part file whose sidecar names this content; anything else
// left there is removed.
Status FileSink::State::resume(std::uint32_t e, UniqueFd dir) {
  const EntryState& st = entries[e];
  OpenFile file{e, std::move(dir), UniqueFd(), UniqueFd()};
  file.part = UniqueFd(::openat(file.dir.get(), part_name(st.name).c_str(), kTempFlags));
  file.state = UniqueFd(::openat(file.dir.get(), state_name(st.name).c_str(), kTempFlags | O_APPEND));
  std::optional<Sidecar> sidecar;
  if (file.part.get() >= 0 && file.state.get() >= 0) sidecar = read_sidecar(file.state.get(), key(e), st.groups.count);
  if (!sidecar) return discard(e, file.dir.get());
  if (Status s = verify_claims(e, file, sidecar->groups); !s) return s;
  keep_open(std::move(file));
  return st.held_count == st.groups.count ? complete(e) : ok_status();
}

// Keeps the claimed groups whose bytes match their digests, hashing the
// in-order prefix on the way, and rewrites the sidecar with just those.
Status FileSink::State::verify_claims(std::uint32_t e, OpenFile& file, const std::vector<std::uint64_t>& claims) {
  EntryState& st = entries[e];
  Result<Sha256Hasher> file_hasher = Sha256Hasher::create();
  Result<Sha256Hasher> group_hasher = Sha256Hasher::create();
  if (!file_hasher || !group_hasher) return Error(Errc::internal, "SHA-256 through OpenSSL is unavailable");
  st.hasher = std::move(*file_hasher);
  std::vector<std::uint8_t> records = encode_sidecar_header(key(e));
  for (std::uint64_t local : std::set<std::uint64_t>(claims.begin(), claims.end())) {
    if (local >= st.groups.count) continue;
    const std::uint64_t group = st.groups.first + local;
    const GroupExtent& extent = layout.group(group);
    std::span<std::uint8_t> bytes(scratch.data(), extent.bytes);
    if (!pread_full(file.part.get(), bytes, extent.offset, "the part file")) continue;
    group_hasher->update(bytes);
    Result<Sha256> digest = group_hasher->finish();
    if (!digest || group_digest_of(*digest) != info.group_digests[group]) continue;
    st.held[local] = true;
    ++st.held_count;
    progress.bytes_stored += extent.bytes;
    std::vector<std::uint8_t> record = encode_sidecar_record(local);
    records.insert(records.end(), record.begin(), record.end());
    if (local == st.hashed) {
      st.hasher->update(bytes);
      ++st.hashed;
    }
  }
  if (::ftruncate(file.state.get(), 0) != 0) return Error::from_errno(errno, "rewriting the state file");
  return write_all(file.state.get(), records, "the state file");
}

// --- writing ----------------------------------------------------------------

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
  file.state = UniqueFd(::openat(file.dir.get(), state_name(st.name).c_str(), kTempFlags | O_CREAT | O_APPEND, 0600));
  struct stat sb {};
  if (file.state.get() < 0 || ::fstat(file.state.get(), &sb) != 0) {
    return Error::from_errno(errno, "creating the state file");
  }
  if (sb.st_size == 0) {
    if (Status s = write_all(file.state.get(), encode_sidecar_header(key(e)), "the state file"); !s) return s.error();
  }
  return &keep_open(std::move(file));
}

OpenFile& FileSink::State::keep_open(OpenFile file) {
  if (open.size() == kOpenFiles) open.erase(open.begin());
  open.push_back(std::move(file));
  return open.back();
}

Status FileSink::State::store(std::uint64_t group, ByteView bytes) {
  if (group >= layout.group_count()) return Error(Errc::invalid_argument, "no such group");
  const GroupExtent& extent = layout.group(group);
  EntryState& st = entries[extent.entry];
  const std::uint64_t local = group - st.groups.first;
  if (st.held[local]) return ok_status();
  if (bytes.size() != extent.bytes) return Error(Errc::invalid_argument, "group bytes are not the group's size");
  Result<OpenFile*> file = open_file(extent.entry);
  if (!file) return file.error();
  if (Status s = pwrite_full((*file)->part.get(), bytes, extent.offset, "the part file"); !s) return s;
  if (Status s = write_all((*file)->state.get(), encode_sidecar_record(local), "the state file"); !s) return s;
  st.held[local] = true;
  ++st.held_count;
  progress.bytes_stored += extent.bytes;
  if (Status s = advance_hash(extent.entry, **file, local, bytes); !s) return s;
  return st.held_count == st.groups.count ? complete(extent.entry) : ok_status();
}

// Feeds the hasher every held group from where it stopped, taking `fresh`
// from memory and earlier out-of-order groups back from the part file.
Status FileSink::State::advance_hash(std::uint32_t e, OpenFile& file, std::uint64_t fresh, ByteView fresh_bytes) {
  EntryState& st = entries[e];
  if (!st.hasher) {
    Result<Sha256Hasher> hasher = Sha256Hasher::create();
    if (!hasher) return hasher.error();
    st.hasher = std::move(*hasher);
  }
  for (; st.hashed < st.groups.count && st.held[st.hashed]; ++st.hashed) {
    if (st.hashed == fresh) {
      st.hasher->update(fresh_bytes);
      continue;
    }
    const GroupExtent& extent = layout.group(st.groups.first + st.hashed);
    std::span<std::uint8_t> bytes(scratch.data(), extent.bytes);
    if (Status s = pread_full(file.part.get(), bytes, extent.offset, "the part file"); !s) return s;
    st.hasher->update(bytes);
  }
  return ok_status();
}

// Every group is stored: verify the whole file, then give it its name.
Status FileSink::State::complete(std::uint32_t e) {
  EntryState& st = entries[e];
  const CastEntry& entry = info.entries[e];
  Result<OpenFile*> opened = open_file(e);
  if (!opened) return opened.error();
  OpenFile& file = **opened;
  if (Status s = advance_hash(e, file, st.groups.count, {}); !s) return s;
  Result<Sha256> digest = st.hasher->finish();
  if (!digest) return digest.error();
  if (*digest != entry.sha256) {
    progress.bytes_stored -= entry.size;
    Status removed = discard(e, file.dir.get());
    close_file(e);
    if (!removed) return removed;
    return Error(Errc::malformed, "the received file's SHA-256 differs from the session's, so it was removed; "
                                  "cast it again (did it change on the sender?)");
  }
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
  st.hasher.reset();
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
  st.hashed = 0;
  st.hasher.reset();
  for (const std::string& name : {part_name(st.name), state_name(st.name)}) {
    if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
      return Error::from_errno(errno, "removing " + name);
    }
  }
  return ok_status();
}

// --- finish -----------------------------------------------------------------

Status FileSink::State::check_in_place(std::uint32_t e) {
  Result<UniqueFd> dir = open_dir_below(root.get(), entries[e].dir, false);
  if (!dir) return dir.error();
  struct stat sb {};
  if (::fstatat(dir->get(), entries[e].name.c_str(), &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode) ||
      static_cast<std::uint64_t>(sb.st_size) != info.entries[e].size) {
    return Error(Errc::io, "missing or changed after it was written");
  }
  return ok_status();
}

FileSink::FileSink(std::unique_ptr<State> s) : s_(std::move(s)) {}
FileSink::~FileSink() = default;

Result<std::unique_ptr<FileSink>> FileSink::open(const std::string& dest, const SessionInfo& info,
                                                 const Layout& layout, SinkOptions options) {
  if (::mkdir(dest.c_str(), 0755) != 0 && errno != EEXIST) {
    return Error::from_errno(errno, dest + ": creating the destination (its parent must exist)");
  }
  UniqueFd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return Error::from_errno(errno, dest + ": opening the destination directory");
  auto state = std::make_unique<State>(State{std::move(root), info, layout, options, {}, {}, {}, {}});
  if (Status s = state->prepare(); !s) return s.error();
  return std::unique_ptr<FileSink>(new FileSink(std::move(state)));
}

bool FileSink::has_group(std::uint64_t group) const {
  if (group >= s_->layout.group_count()) return false;
  const EntryState& st = s_->entries[s_->layout.group(group).entry];
  return st.held[group - st.groups.first];
}

Status FileSink::write_group(std::uint64_t group, std::span<const std::uint8_t> bytes) {
  if (group >= s_->layout.group_count()) return Error(Errc::invalid_argument, "no such group");
  return with_path(s_->store(group, bytes), s_->path(s_->layout.group(group).entry));
}

Status FileSink::finish() {
  const std::vector<CastEntry>& entries = s_->info.entries;
  std::uint64_t missing = 0;
  const CastEntry* first = nullptr;
  for (std::uint32_t e = 0; e < entries.size(); ++e) {
    if (entries[e].kind != CastEntry::Kind::file) continue;
    if (!s_->entries[e].done) {
      first = first ? first : &entries[e];
      ++missing;
      continue;
    }
    if (Status s = with_path(s_->check_in_place(e), entries[e].path); !s) return s;
  }
  if (missing > 0) {
    return Error(Errc::not_found, std::to_string(missing) + " file(s) incomplete, first " + first->path +
                                      "; a later cast of the same content resumes them");
  }
  // Deepest first, so that a read-only directory is closed after its contents.
  for (auto e = static_cast<std::uint32_t>(entries.size()); e-- > 0;) {
    if (entries[e].kind != CastEntry::Kind::directory) continue;
    std::vector<std::string> full = s_->entries[e].dir;
    full.push_back(s_->entries[e].name);
    Result<UniqueFd> dir = open_dir_below(s_->root.get(), full, false);
    if (!dir) return with_path(dir.error(), entries[e].path);
    if (::fchmod(dir->get(), entries[e].mode & 0777) != 0) {
      return Error::from_errno(errno, entries[e].path + ": setting the directory's mode");
    }
  }
  return ok_status();
}

SinkProgress FileSink::progress() const { return s_->progress; }

}  // namespace cohort::filecast
