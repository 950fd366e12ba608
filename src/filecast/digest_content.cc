// digest_content: one sequential read pass per file feeds both the file's
// SHA-256 (on the calling thread, as it reads) and its groups' digests (on a
// worker thread). They share a ring of read buffers, so neither waits for
// the other unless the ring is full or empty: a loaded machine that
// deschedules one thread for a while does not stall the other.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "cohort/filecast/digest.h"
#include "cohort/filecast/files.h"
#include "file_io.h"
#include "sha256.h"

namespace cohort::filecast {
namespace {

// Reads of whole groups, about this many bytes at a time, into this many buffers.
constexpr std::size_t kReadChunk = 4 << 20;
constexpr std::size_t kBuffers = 4;

// Groups first..last of one file, read into a buffer from file offset `offset`.
struct Chunk {
  std::size_t buffer = 0;
  std::uint64_t offset = 0;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

class GroupWorker {
 public:
  GroupWorker(const Layout& layout, const DigestKey& key, std::size_t buffer_bytes,
              std::vector<GroupDigest>& out)
      : layout_(layout), digester_(key), out_(out) {
    for (std::size_t i = 0; i < kBuffers; ++i) {
      buffers_.emplace_back(buffer_bytes);
      free_.push_back(i);
    }
    thread_ = std::thread([this] { run(); });
  }
  ~GroupWorker() { finish(); }
  GroupWorker(const GroupWorker&) = delete;
  GroupWorker& operator=(const GroupWorker&) = delete;

  // A buffer the caller may fill (waits while every buffer is in use).
  std::size_t acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty(); });
    std::size_t b = free_.back();
    free_.pop_back();
    return b;
  }
  std::vector<std::uint8_t>& buffer(std::size_t b) { return buffers_[b]; }
  // Hands a filled buffer over; the worker frees it once hashed.
  void submit(const Chunk& chunk) {
    std::lock_guard lock(mu_);
    jobs_.push_back(chunk);
    cv_.notify_all();
  }
  // Waits for every submitted chunk.
  void finish() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return closing_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      Chunk chunk = jobs_.front();
      jobs_.pop_front();
      lock.unlock();
      digest(chunk);
      lock.lock();
      free_.push_back(chunk.buffer);
      cv_.notify_all();
    }
  }

  void digest(const Chunk& chunk) {
    for (std::uint64_t g = chunk.first; g <= chunk.last; ++g) {
      const GroupExtent& extent = layout_.group(g);
      std::span<const std::uint8_t> buffer(buffers_[chunk.buffer]);
      out_[g] = digester_(g, buffer.subspan(extent.offset - chunk.offset, extent.bytes));
    }
  }

  const Layout& layout_;
  GroupDigester digester_;
  std::vector<GroupDigest>& out_;
  std::vector<std::vector<std::uint8_t>> buffers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::size_t> free_;
  std::deque<Chunk> jobs_;
  bool closing_ = false;
  std::thread thread_;
};

Status digest_file(const std::string& local, CastEntry& entry, const Layout& layout, EntryGroups groups,
                   Sha256Hasher& file_hasher, GroupWorker& worker) {
  UniqueFd fd(::open(local.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::from_errno(errno, local);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno(errno, local);
  if (static_cast<std::uint64_t>(st.st_size) != entry.size) {
    return Error(Errc::io, local + " changed size while being prepared; cast it again when it is stable");
  }
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  const std::uint64_t end = groups.first + groups.count;
  for (std::uint64_t g = groups.first; g < end;) {
    Chunk chunk{worker.acquire(), layout.group(g).offset, g, g};
    std::vector<std::uint8_t>& buffer = worker.buffer(chunk.buffer);
    // As many whole groups as fit in the buffer (at least one).
    std::size_t bytes = layout.group(g).bytes;
    while (chunk.last + 1 < end && bytes + layout.group(chunk.last + 1).bytes <= buffer.size()) {
      bytes += layout.group(++chunk.last).bytes;
    }
    std::span<std::uint8_t> data(buffer.data(), bytes);
    Status read = pread_full(fd.get(), data, chunk.offset, local);
    if (read) file_hasher.update(data);
    worker.submit(read ? chunk : Chunk{chunk.buffer, 0, 1, 0});  // an empty job gives the buffer back
    if (!read) return read;
    g = chunk.last + 1;
  }
  Result<Sha256> digest = file_hasher.finish();
  if (!digest) return digest.error();
  entry.sha256 = *digest;
  return ok_status();
}

}  // namespace

Result<std::vector<GroupDigest>> digest_content(LocalContent& content, const SessionParams& params,
                                                const DigestKey& key) {
  Result<Layout> layout = Layout::create(content.entries, params);
  if (!layout) return layout.error();
  Result<Sha256Hasher> file = Sha256Hasher::create();
  if (!file) return Error(Errc::internal, "SHA-256 through OpenSSL is unavailable");
  const std::size_t group_bytes = std::size_t{params.block_size} * params.k;
  std::vector<GroupDigest> out(layout->group_count());
  GroupWorker worker(*layout, key,
                     std::max(group_bytes, kReadChunk / group_bytes * group_bytes), out);
  std::vector<EntryGroups> groups = groups_by_entry(*layout, content.entries.size());
  for (std::size_t i = 0; i < content.entries.size(); ++i) {
    CastEntry& entry = content.entries[i];
    if (entry.kind != CastEntry::Kind::file) continue;
    if (Status s = digest_file(content.local_paths[i], entry, *layout, groups[i], *file, worker); !s)
      return s.error();
  }
  worker.finish();
  return out;
}

}  // namespace cohort::filecast
