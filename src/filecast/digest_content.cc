// digest_content: one sequential read pass per file feeds both the file's
// SHA-256 and its groups' digests, hashed side by side on two threads.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <future>

#include "cohort/filecast/files.h"
#include "file_io.h"
#include "sha256.h"

namespace cohort::filecast {
namespace {

// Reads of whole groups, about this many bytes at a time.
constexpr std::size_t kReadChunk = 4 << 20;
constexpr std::size_t kThreadedChunk = 256 << 10;

struct Hashers {
  Sha256Hasher file;
  Sha256Hasher group;
};

// Groups first..last, which `chunk` holds from file offset `offset` on.
Status digest_groups(Sha256Hasher& hasher, const Layout& layout, std::span<const std::uint8_t> chunk,
                     std::uint64_t offset, std::uint64_t first, std::uint64_t last, std::vector<GroupDigest>& out) {
  for (std::uint64_t g = first; g <= last; ++g) {
    const GroupExtent& extent = layout.group(g);
    hasher.update(chunk.subspan(extent.offset - offset, extent.bytes));
    Result<Sha256> digest = hasher.finish();
    if (!digest) return digest.error();
    out[g] = group_digest_of(*digest);
  }
  return ok_status();
}

Status digest_file(const std::string& local, CastEntry& entry, const Layout& layout, EntryGroups groups,
                   Hashers& h, std::vector<std::uint8_t>& buffer, std::vector<GroupDigest>& out) {
  UniqueFd fd(::open(local.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::from_errno(errno, local);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno(errno, local);
  if (static_cast<std::uint64_t>(st.st_size) != entry.size) {
    return Error(Errc::io, local + " changed size while being prepared; cast it again when it is stable");
  }
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  std::uint64_t g = groups.first;
  const std::uint64_t end = groups.first + groups.count;
  while (g < end) {
    // As many whole groups as fit in the buffer (at least one).
    const std::uint64_t offset = layout.group(g).offset;
    std::uint64_t last = g;
    std::size_t bytes = layout.group(g).bytes;
    while (last + 1 < end && bytes + layout.group(last + 1).bytes <= buffer.size()) bytes += layout.group(++last).bytes;
    std::span<std::uint8_t> chunk(buffer.data(), bytes);
    if (Status s = pread_full(fd.get(), chunk, offset, local); !s) return s;
    // Two SHA-256 streams over the same bytes: the groups' on a second core
    // when there is enough to be worth a thread.
    auto groups_of_chunk = [&, g, last, offset, chunk] { return digest_groups(h.group, layout, chunk, offset, g, last, out); };
    std::future<Status> group_digests =
        std::async(bytes >= kThreadedChunk ? std::launch::async : std::launch::deferred, groups_of_chunk);
    h.file.update(chunk);
    if (Status s = group_digests.get(); !s) return s;
    g = last + 1;
  }
  Result<Sha256> digest = h.file.finish();
  if (!digest) return digest.error();
  entry.sha256 = *digest;
  return ok_status();
}

}  // namespace

Result<std::vector<GroupDigest>> digest_content(LocalContent& content, const SessionParams& params) {
  Result<Layout> layout = Layout::create(content.entries, params);
  if (!layout) return layout.error();
  Result<Sha256Hasher> file = Sha256Hasher::create();
  Result<Sha256Hasher> group = Sha256Hasher::create();
  if (!file || !group) return Error(Errc::internal, "SHA-256 through OpenSSL is unavailable");
  Hashers hashers{std::move(*file), std::move(*group)};
  const std::size_t group_bytes = std::size_t{params.block_size} * params.k;
  std::vector<std::uint8_t> buffer(std::max(group_bytes, kReadChunk / group_bytes * group_bytes));
  std::vector<GroupDigest> out(layout->group_count());
  std::vector<EntryGroups> groups = groups_by_entry(*layout, content.entries.size());
  for (std::size_t i = 0; i < content.entries.size(); ++i) {
    CastEntry& entry = content.entries[i];
    if (entry.kind != CastEntry::Kind::file) continue;
    Status s = digest_file(content.local_paths[i], entry, *layout, groups[i], hashers, buffer, out);
    if (!s) return s.error();
  }
  return out;
}

}  // namespace cohort::filecast
