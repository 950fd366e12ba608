// FileSink: opening a session's destination and finishing it
// (docs/filecast-files.md).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "sink_state.h"

namespace cohort::filecast {
namespace {

Status with_path(Status s, const std::string& path) {
  if (s) return s;
  return Error(s.error().code(), path + ": " + s.error().message());
}

}  // namespace

Status FileSink::State::prepare() {
  if (layout.group_count() != info.group_digests.size()) {
    return Error(Errc::invalid_argument, "the layout is not this session's (group counts differ)");
  }
  std::set<std::string> paths;
  entries.resize(info.entries.size());
  for (std::uint32_t e = 0; e < info.entries.size(); ++e) {
    Result<std::vector<std::string>> parts = split_relative_path(path(e));
    if (!parts) return parts.error();
    if (!paths.insert(path(e)).second)
      return Error(Errc::invalid_argument, path(e) + ": listed twice in the session");
    entries[e].name = parts->back();
    parts->pop_back();
    entries[e].dir = std::move(*parts);
  }
  for (std::uint64_t g = 0; g < layout.group_count(); ++g) {
    if (layout.group(g).entry >= info.entries.size())
      return Error(Errc::invalid_argument, "the layout is not this session's");
  }
  std::vector<EntryGroups> groups = groups_by_entry(layout, info.entries.size());
  for (std::uint32_t e = 0; e < info.entries.size(); ++e) {
    const CastEntry& entry = info.entries[e];
    const std::uint64_t group_bytes = std::uint64_t{info.params.block_size} * info.params.k;
    const std::uint64_t expected =
        entry.kind == CastEntry::Kind::file ? (entry.size + group_bytes - 1) / group_bytes : 0;
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
  if (info.entries[e].kind == CastEntry::Kind::directory) {
    std::vector<std::string> full = st.dir;
    full.push_back(st.name);
    Result<UniqueFd> dir = open_dir_below(root.get(), full, true);
    return dir ? ok_status() : Status(dir.error());
  }
  Result<UniqueFd> dir = open_dir_below(root.get(), st.dir, true);
  if (!dir) return dir.error();
  bool adopted = false;
  if (Status s = adopt_final(e, dir->get(), adopted); !s || adopted) return s;
  if (Status s = resume(e, std::move(*dir)); !s) return s;
  return st.groups.count == 0 && !st.done ? complete(e) : ok_status();
}

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
  auto state = std::make_unique<State>(State{std::move(root), info, layout, options, {}, {}, {}, {}, {}});
  if (Status s = state->prepare(); !s) return s.error();
  return std::unique_ptr<FileSink>(new FileSink(std::move(state)));
}

bool FileSink::has_group(std::uint64_t group) const {
  return group < s_->layout.group_count() && s_->holds(group);
}

Status FileSink::write_group(std::uint64_t group, std::span<const std::uint8_t> bytes) {
  if (group >= s_->layout.group_count()) return Error(Errc::invalid_argument, "no such group");
  return with_path(s_->store(group, bytes), s_->path(s_->layout.group(group).entry));
}

Status FileSink::write_zero_group(std::uint64_t group, std::size_t bytes) {
  if (group >= s_->layout.group_count()) return Error(Errc::invalid_argument, "no such group");
  return with_path(s_->store_zeros(group, bytes), s_->path(s_->layout.group(group).entry));
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
