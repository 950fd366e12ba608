// filecast's file layer on a real temporary directory: entries as `cp -r`
// places them, digests, the part-file sink with resume and verification,
// and paths that try to leave the destination.
#include "cohort/filecast/files.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cohort/core/rng.h"
#include "cohort/filecast/digest.h"
#include "sidecar.h"

namespace cohort::filecast {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

constexpr SessionParams kSmall{.block_size = 100, .k = 4};  // 400-byte groups
constexpr std::size_t kGroup = 400;
constexpr DigestKey kKey{0x5e, 0xc2, 0xe7};

Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng.next());
  return out;
}

Sha256 plain_sha256(const std::uint8_t* data, std::size_t n) {
  Sha256 out{};
  unsigned int length = 0;
  EXPECT_EQ(EVP_Digest(data, n, out.data(), &length, EVP_sha256(), nullptr), 1);
  return out;
}

void write_file(const fs::path& path, const Bytes& bytes, fs::perms mode = fs::perms(0644)) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  fs::permissions(path, mode);
}

Bytes read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// What a sender prepares: entries, digests, the session and its layout.
struct Prepared {
  LocalContent content;
  SessionInfo info;
  Layout layout;
};

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp ? tmp : "/tmp") + "/cohort-files-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    src_ = root_ / "src";
    dest_ = root_ / "dest";
    fs::create_directories(src_);
  }
  void TearDown() override { fs::remove_all(root_); }

  Prepared prepare(const std::vector<std::string>& args, SessionParams params = kSmall) {
    Result<LocalContent> content = collect_entries(args);
    EXPECT_TRUE(content) << content.error().to_string();
    Result<std::vector<GroupDigest>> digests = digest_groups(*content, params, kKey);
    EXPECT_TRUE(digests) << digests.error().to_string();
    SessionInfo info{.session_id = 7,
                     .params = params,
                     .entries = content->entries,
                     .digest_key = kKey,
                     .group_digests = *digests};
    Result<Layout> layout = Layout::create(info.entries, params);
    EXPECT_TRUE(layout);
    return Prepared{std::move(*content), std::move(info), std::move(*layout)};
  }

  std::unique_ptr<FileSink> open_sink(const Prepared& p, SinkOptions options = {}) {
    Result<std::unique_ptr<FileSink>> sink = FileSink::open(dest_.string(), p.info, p.layout, options);
    EXPECT_TRUE(sink) << sink.error().to_string();
    return sink ? std::move(*sink) : nullptr;
  }

  static Bytes group_bytes(const Prepared& p, std::uint64_t g) {
    FileSource source(p.content, p.layout);
    Bytes out(p.layout.group(g).bytes);
    EXPECT_TRUE(source.read_group(g, out));
    return out;
  }

  // Hands `groups` from a FileSource to the sink, in that order.
  static void deliver(const Prepared& p, FileSink& sink, const std::vector<std::uint64_t>& groups) {
    FileSource source(p.content, p.layout);
    for (std::uint64_t g : groups) {
      Bytes bytes(p.layout.group(g).bytes);
      ASSERT_TRUE(source.read_group(g, bytes));
      Status s = sink.write_group(g, bytes);
      ASSERT_TRUE(s) << "group " << g << ": " << s.error().to_string();
    }
  }

  static std::vector<std::uint64_t> shuffled_groups(const Prepared& p, std::uint64_t seed) {
    std::vector<std::uint64_t> order(p.layout.group_count());
    for (std::uint64_t i = 0; i < order.size(); ++i) order[i] = i;
    Rng rng(seed);
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    return order;
  }

  // Every file of the session is in dest with the source's bytes and mode.
  void expect_copied(const Prepared& p) {
    for (std::size_t i = 0; i < p.info.entries.size(); ++i) {
      const CastEntry& e = p.info.entries[i];
      fs::path out = dest_ / e.path;
      struct stat st {};
      ASSERT_EQ(::lstat(out.c_str(), &st), 0) << e.path;
      EXPECT_EQ(st.st_mode & 0777, e.mode) << e.path;
      if (e.kind == CastEntry::Kind::file) {
        EXPECT_TRUE(S_ISREG(st.st_mode)) << e.path;
        EXPECT_EQ(read_file(out), read_file(p.content.local_paths[i])) << e.path;
      } else {
        EXPECT_TRUE(S_ISDIR(st.st_mode)) << e.path;
      }
    }
  }

  // Names in dest's tree that are not final names (part files, sidecars).
  std::vector<std::string> leftovers() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dest_)) {
      if (e.path().filename().string().find(".cohort-") != std::string::npos)
        out.push_back(e.path().string());
    }
    return out;
  }

  fs::path root_, src_, dest_;
};

// --- collect_entries ----------------------------------------------------------

TEST_F(FilesTest, CollectPlacesArgumentsAsCpRDoes) {
  write_file(src_ / "a" / "b.txt", random_bytes(10, 1), fs::perms(0600));
  write_file(src_ / "d" / "x", random_bytes(5, 2), fs::perms(0755));
  write_file(src_ / "d" / "sub" / "y", {});
  fs::create_directories(src_ / "d" / "empty");
  fs::create_symlink("x", src_ / "d" / "link");
  ASSERT_EQ(::mkfifo((src_ / "d" / "pipe").c_str(), 0644), 0);

  Result<LocalContent> c = collect_entries({(src_ / "a" / "b.txt").string(), (src_ / "d").string() + "/"});
  ASSERT_TRUE(c) << c.error().to_string();
  std::vector<std::string> paths;
  for (const CastEntry& e : c->entries) paths.push_back(e.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"b.txt", "d", "d/empty", "d/sub", "d/sub/y", "d/x"}));
  EXPECT_EQ(c->entries[0].kind, CastEntry::Kind::file);
  EXPECT_EQ(c->entries[0].size, 10u);
  EXPECT_EQ(c->entries[0].mode, 0600u);
  EXPECT_EQ(c->entries[1].kind, CastEntry::Kind::directory);
  EXPECT_EQ(c->entries[5].mode, 0755u);
  EXPECT_EQ(c->local_paths[0], (src_ / "a" / "b.txt").string());
  ASSERT_EQ(c->skipped.size(), 2u);
  EXPECT_NE(c->skipped[0].find("symbolic link"), std::string::npos);
  EXPECT_NE(c->skipped[1].find("fifo"), std::string::npos);
}

TEST_F(FilesTest, CollectRefusesWhatItCannotCarry) {
  write_file(src_ / "one" / "x", {1});
  write_file(src_ / "two" / "x", {2});
  ASSERT_EQ(::mkfifo((src_ / "pipe").c_str(), 0644), 0);
  EXPECT_EQ(collect_entries({}).error().code(), Errc::invalid_argument);
  EXPECT_EQ(collect_entries({(src_ / "missing").string()}).error().code(), Errc::not_found);
  EXPECT_EQ(collect_entries({(src_ / "pipe").string()}).error().code(), Errc::invalid_argument);
  Result<LocalContent> dup = collect_entries({(src_ / "one" / "x").string(), (src_ / "two" / "x").string()});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), Errc::invalid_argument);
  EXPECT_NE(dup.error().message().find("\"x\""), std::string::npos) << dup.error().message();
  EXPECT_EQ(collect_entries({"/"}).error().code(), Errc::invalid_argument);
}

TEST_F(FilesTest, CollectFollowsASymlinkArgument) {
  write_file(src_ / "real", random_bytes(3, 3));
  fs::create_symlink(src_ / "real", src_ / "alias");
  Result<LocalContent> c = collect_entries({(src_ / "alias").string()});
  ASSERT_TRUE(c) << c.error().to_string();
  ASSERT_EQ(c->entries.size(), 1u);
  EXPECT_EQ(c->entries[0].path, "alias");
  EXPECT_EQ(c->entries[0].size, 3u);
}

TEST_F(FilesTest, CollectRefusesAnUnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file";
  write_file(src_ / "secret", {1}, fs::perms::none);
  EXPECT_EQ(collect_entries({(src_ / "secret").string()}).error().code(), Errc::permission_denied);
}

// --- digest_groups, hash_files -------------------------------------------------------------

TEST_F(FilesTest, FileDigestsArePlainSha256AndGroupDigestsKeyedTags) {
  const std::vector<std::size_t> sizes = {0, 1, kGroup, kGroup + 1, 3 * kGroup + 250};
  std::vector<std::string> args;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    write_file(src_ / ("f" + std::to_string(i)), random_bytes(sizes[i], 10 + i));
    args.push_back((src_ / ("f" + std::to_string(i))).string());
  }
  Prepared p = prepare(args);
  ASSERT_EQ(p.layout.group_count(), 0u + 1 + 1 + 2 + 4);
  Result<std::vector<Sha256>> hashes = hash_files(p.content);
  ASSERT_TRUE(hashes) << hashes.error().to_string();
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    Bytes bytes = read_file(p.content.local_paths[i]);
    EXPECT_EQ((*hashes)[i], plain_sha256(bytes.data(), bytes.size())) << "file " << i;
  }
  GroupDigester digester(kKey);
  GroupDigester other_key(DigestKey{9});
  for (std::uint64_t g = 0; g < p.layout.group_count(); ++g) {
    const GroupExtent& x = p.layout.group(g);
    Bytes file = read_file(p.content.local_paths[x.entry]);
    std::span<const std::uint8_t> bytes = std::span(file).subspan(x.offset, x.bytes);
    // What the receiver machine checks each group against.
    EXPECT_EQ(p.info.group_digests[g], digester(g, bytes)) << "group " << g;
    // A forger needs the key, cannot move a group to another index, and
    // cannot change a byte.
    EXPECT_NE(p.info.group_digests[g], other_key(g, bytes)) << "group " << g;
    EXPECT_NE(p.info.group_digests[g], digester(g + 1, bytes)) << "group " << g;
    Bytes changed(bytes.begin(), bytes.end());
    changed.back() ^= 1;
    EXPECT_NE(p.info.group_digests[g], digester(g, changed)) << "group " << g;
  }
}

TEST(GroupDigester, TagsOfZerosAreTheTagsOfZeroBytes) {
  GroupDigester digester(kKey);
  GroupDigester reference(kKey);
  for (std::size_t length : {1u, 15u, 16u, 17u, 1360u, 87040u}) {
    const Bytes zeros(length, 0);
    for (std::uint64_t group : {0ull, 1ull, 7ull, 1ull << 40}) {
      EXPECT_EQ(digester.of_zeros(group, length), reference(group, zeros)) << length << " at " << group;
    }
    Bytes one_set = zeros;
    one_set.back() = 1;
    EXPECT_NE(digester.of_zeros(3, length), reference(3, one_set)) << length;
  }
}

// Larger than one of the 4 MiB reads: group offsets are taken
// across read boundaries.
TEST_F(FilesTest, DigestsOfAFileSpanningManyReads) {
  Bytes bytes = random_bytes((9u << 20) + 123, 11);
  write_file(src_ / "big", bytes);
  Prepared p = prepare({(src_ / "big").string()});
  EXPECT_EQ(hash_files(p.content).value()[0], plain_sha256(bytes.data(), bytes.size()));
  for (std::uint64_t g = 0; g < p.layout.group_count(); ++g) {
    const GroupExtent& x = p.layout.group(g);
    ASSERT_EQ(p.info.group_digests[g], GroupDigester(kKey)(g, std::span(bytes).subspan(x.offset, x.bytes)))
        << "group " << g;
  }
}

TEST_F(FilesTest, DigestNoticesAFileThatChangedSize) {
  write_file(src_ / "f", random_bytes(50, 4));
  Result<LocalContent> c = collect_entries({(src_ / "f").string()});
  ASSERT_TRUE(c);
  write_file(src_ / "f", random_bytes(60, 4));
  Result<std::vector<GroupDigest>> d = digest_groups(*c, kSmall, kKey);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), Errc::io);
  write_file(src_ / "f", random_bytes(40, 4));
  Result<std::vector<Sha256>> h = hash_files(*c);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::io);
}

// The sender stops hashing when its cast is over.
TEST_F(FilesTest, HashingStopsWhenAsked) {
  write_file(src_ / "f", random_bytes(50, 4));
  Result<LocalContent> c = collect_entries({(src_ / "f").string()});
  ASSERT_TRUE(c);
  std::stop_source stop;
  stop.request_stop();
  Result<std::vector<Sha256>> h = hash_files(*c, stop.get_token());
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::closed);
}

TEST_F(FilesTest, SourceRefusesAWrongBufferOrGroup) {
  write_file(src_ / "f", random_bytes(kGroup + 10, 5));
  Prepared p = prepare({(src_ / "f").string()});
  FileSource source(p.content, p.layout);
  Bytes wrong(kGroup - 1);
  EXPECT_EQ(source.read_group(0, wrong).error().code(), Errc::invalid_argument);
  Bytes last(10);
  EXPECT_TRUE(source.read_group(1, last));
  EXPECT_EQ(source.read_group(2, last).error().code(), Errc::invalid_argument);
}

// --- FileSink -------------------------------------------------------------------

TEST_F(FilesTest, RoundTripInRandomOrder) {
  write_file(src_ / "tree" / "big", random_bytes(9 * kGroup + 77, 20), fs::perms(0640));
  write_file(src_ / "tree" / "deep" / "er" / "small", random_bytes(3, 21), fs::perms(0700));
  write_file(src_ / "tree" / "empty", {});
  write_file(src_ / "single", random_bytes(2 * kGroup, 22));
  fs::permissions(src_ / "tree" / "deep", fs::perms(0750));
  Prepared p = prepare({(src_ / "tree").string(), (src_ / "single").string()});
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    fs::remove_all(dest_);
    std::unique_ptr<FileSink> sink = open_sink(p);
    ASSERT_TRUE(sink);
    EXPECT_EQ(sink->progress().files_done, 1u);  // the empty file, at open
    deliver(p, *sink, shuffled_groups(p, seed));
    for (std::uint64_t g = 0; g < p.layout.group_count(); ++g) EXPECT_TRUE(sink->has_group(g));
    Status s = sink->finish();
    ASSERT_TRUE(s) << s.error().to_string();
    SinkProgress progress = sink->progress();
    EXPECT_EQ(progress.files_done, 4u);
    EXPECT_EQ(progress.files_total, 4u);
    EXPECT_EQ(progress.bytes_stored, progress.bytes_total);
    expect_copied(p);
    EXPECT_TRUE(leftovers().empty());
  }
}

// More files than the sink keeps open, their groups interleaved: part files
// are closed and reopened on the way.
TEST_F(FilesTest, ManyFilesInterleaved) {
  for (std::uint64_t i = 0; i < 40; ++i)
    write_file(src_ / "many" / std::to_string(i), random_bytes(kGroup * 2 + 9, 200 + i));
  Prepared p = prepare({(src_ / "many").string()});
  std::unique_ptr<FileSink> sink = open_sink(p);
  ASSERT_TRUE(sink);
  deliver(p, *sink, shuffled_groups(p, 7));
  ASSERT_TRUE(sink->finish());
  expect_copied(p);
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(FilesTest, EdgeSizesZeroOneAndExactlyKBlocks) {
  write_file(src_ / "zero", {});
  write_file(src_ / "one", {42});
  write_file(src_ / "k", random_bytes(kGroup, 30));
  Prepared p = prepare({(src_ / "zero").string(), (src_ / "one").string(), (src_ / "k").string()});
  ASSERT_EQ(p.layout.group_count(), 2u);
  EXPECT_EQ(p.layout.group(1).blocks, kSmall.k);
  std::unique_ptr<FileSink> sink = open_sink(p);
  ASSERT_TRUE(sink);
  EXPECT_TRUE(fs::is_regular_file(dest_ / "zero"));  // nothing to wait for
  EXPECT_FALSE(fs::exists(dest_ / "one"));
  EXPECT_EQ(sink->finish().error().code(), Errc::not_found);
  deliver(p, *sink, {1, 0});
  ASSERT_TRUE(sink->finish());
  expect_copied(p);
}

TEST_F(FilesTest, ResumesAfterACrash) {
  write_file(src_ / "a", random_bytes(8 * kGroup + 5, 40));
  write_file(src_ / "b", random_bytes(3 * kGroup, 41));
  Prepared p = prepare({(src_ / "a").string(), (src_ / "b").string()});
  std::vector<std::uint64_t> order = shuffled_groups(p, 42);
  const std::size_t half = order.size() / 2;
  {
    std::unique_ptr<FileSink> sink = open_sink(p);
    ASSERT_TRUE(sink);
    deliver(p, *sink, {order.begin(), order.begin() + static_cast<std::ptrdiff_t>(half)});
  }  // the crash: the sink goes away mid-way
  EXPECT_FALSE(fs::exists(dest_ / "a"));
  EXPECT_TRUE(fs::exists(dest_ / ".a.cohort-part"));
  EXPECT_TRUE(fs::exists(dest_ / ".a.cohort-state"));
  std::unique_ptr<FileSink> sink = open_sink(p);
  ASSERT_TRUE(sink);
  for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(sink->has_group(order[i]), i < half) << order[i];
  EXPECT_GT(sink->progress().bytes_stored, 0u);
  deliver(p, *sink, {order.begin() + static_cast<std::ptrdiff_t>(half), order.end()});
  ASSERT_TRUE(sink->finish());
  expect_copied(p);
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(FilesTest, ACorruptedPartGroupIsNotTrustedOnResume) {
  write_file(src_ / "a", random_bytes(4 * kGroup, 50));
  Prepared p = prepare({(src_ / "a").string()});
  {
    std::unique_ptr<FileSink> sink = open_sink(p);
    deliver(p, *sink, {0, 1, 2});
  }
  {
    std::fstream part(dest_ / ".a.cohort-part", std::ios::in | std::ios::out | std::ios::binary);
    part.seekp(kGroup + 7);
    part.put('\x5a' ^ static_cast<char>(group_bytes(p, 1)[7]));
  }
  std::unique_ptr<FileSink> sink = open_sink(p);
  ASSERT_TRUE(sink);
  EXPECT_TRUE(sink->has_group(0));
  EXPECT_FALSE(sink->has_group(1));
  EXPECT_TRUE(sink->has_group(2));
  EXPECT_FALSE(sink->has_group(3));
  deliver(p, *sink, {3, 1});
  ASSERT_TRUE(sink->finish());
  expect_copied(p);
}

// The sidecar does not name the content: its claims are checked against the
// new session's digests, and those of other bytes are dropped.
TEST_F(FilesTest, ClaimsOfOtherContentAreDroppedOnResume) {
  write_file(src_ / "a", random_bytes(2 * kGroup, 60));
  Prepared first = prepare({(src_ / "a").string()});
  {
    std::unique_ptr<FileSink> sink = open_sink(first);
    deliver(first, *sink, {0});
  }
  write_file(src_ / "a", random_bytes(2 * kGroup, 61));  // same size, other bytes
  Prepared second = prepare({(src_ / "a").string()});
  std::unique_ptr<FileSink> sink = open_sink(second);
  ASSERT_TRUE(sink);
  EXPECT_FALSE(sink->has_group(0));
  EXPECT_EQ(sink->progress().bytes_stored, 0u);
  deliver(second, *sink, {1, 0});
  ASSERT_TRUE(sink->finish());
  expect_copied(second);
}

TEST_F(FilesTest, AFileAlreadyInPlaceIsAdopted) {
  write_file(src_ / "a", random_bytes(3 * kGroup, 70), fs::perms(0600));
  Prepared p = prepare({(src_ / "a").string()});
  write_file(dest_ / "a", read_file(src_ / "a"), fs::perms(0644));
  std::unique_ptr<FileSink> sink = open_sink(p);
  ASSERT_TRUE(sink);
  for (std::uint64_t g = 0; g < 3; ++g) EXPECT_TRUE(sink->has_group(g));
  ASSERT_TRUE(sink->finish());
  expect_copied(p);
}

TEST_F(FilesTest, ADifferentFileInPlaceIsReplaced) {
  write_file(src_ / "a", random_bytes(2 * kGroup, 71));
  Prepared p = prepare({(src_ / "a").string()});
  write_file(dest_ / "a", random_bytes(2 * kGroup, 72));  // same size, other bytes
  std::unique_ptr<FileSink> sink = open_sink(p);
  ASSERT_TRUE(sink);
  EXPECT_FALSE(sink->has_group(0));
  deliver(p, *sink, {0, 1});
  ASSERT_TRUE(sink->finish());
  expect_copied(p);
}

// Every group of a file in place is checked, not just the first.
TEST_F(FilesTest, AFileInPlaceDifferingInItsLastGroupIsReplaced) {
  Bytes bytes = random_bytes(3 * kGroup - 5, 73);
  write_file(src_ / "a", bytes);
  Prepared p = prepare({(src_ / "a").string()});
  bytes.back() ^= 1;
  write_file(dest_ / "a", bytes);
  std::unique_ptr<FileSink> sink = open_sink(p);
  ASSERT_TRUE(sink);
  EXPECT_FALSE(sink->has_group(0));
  deliver(p, *sink, {2, 0, 1});
  ASSERT_TRUE(sink->finish());
  expect_copied(p);
}

TEST_F(FilesTest, ZeroGroupsLeaveHolesAndTheFileIsExact) {
  constexpr SessionParams kPages{.block_size = 1024, .k = 4};  // 4 KiB groups: holes can be whole pages
  constexpr std::size_t kPage = 4096;
  Bytes bytes = random_bytes(24 * kPage, 95);
  std::fill(bytes.begin() + 4 * kPage, bytes.begin() + 12 * kPage, 0);  // groups 4-11
  std::fill(bytes.begin() + 20 * kPage, bytes.end(), 0);                // groups 20-23: the file ends in zeros
  write_file(src_ / "a", bytes);
  Prepared p = prepare({(src_ / "a").string()}, kPages);
  std::unique_ptr<FileSink> sink = open_sink(p);
  ASSERT_TRUE(sink);
  EXPECT_EQ(sink->write_zero_group(4, kPage + 1).error().code(), Errc::invalid_argument);
  for (std::uint64_t g : {12u, 13u, 14u, 15u, 16u, 17u, 18u, 19u, 0u, 1u, 2u, 3u}) {
    ASSERT_TRUE(sink->write_group(g, group_bytes(p, g)));
  }
  for (std::uint64_t g = 4; g < 12; ++g) ASSERT_TRUE(sink->write_zero_group(g, kPage));  // inside the part file
  for (std::uint64_t g = 20; g < 24; ++g) ASSERT_TRUE(sink->write_zero_group(g, kPage));  // past its end
  ASSERT_TRUE(sink->finish());
  EXPECT_EQ(read_file(dest_ / "a"), bytes);
  struct stat sb {};
  ASSERT_EQ(::stat((dest_ / "a").c_str(), &sb), 0);
  EXPECT_EQ(static_cast<std::size_t>(sb.st_size), bytes.size());
  EXPECT_LE(static_cast<std::size_t>(sb.st_blocks) * 512, 12 * kPage) << "the zero groups take space: no holes";
}

TEST_F(FilesTest, SinkRefusesWrongGroupsAndSizes) {
  write_file(src_ / "a", random_bytes(kGroup + 1, 90));
  Prepared p = prepare({(src_ / "a").string()});
  std::unique_ptr<FileSink> sink = open_sink(p);
  ASSERT_TRUE(sink);
  EXPECT_EQ(sink->write_group(2, Bytes(1)).error().code(), Errc::invalid_argument);
  EXPECT_EQ(sink->write_group(1, Bytes(2)).error().code(), Errc::invalid_argument);
  EXPECT_FALSE(sink->has_group(2));
}

// --- the sidecar's format ---------------------------------------------------------

TEST(SidecarTest, DecodesWhatItEncodesAndDropsATornRecord) {
  SidecarKey key{.size = 1234, .block_size = 100, .k = 4};
  Bytes bytes = encode_sidecar_header(key);
  for (std::uint64_t g : {3u, 0u, 3u}) {
    Bytes r = encode_sidecar_record(g);
    bytes.insert(bytes.end(), r.begin(), r.end());
  }
  bytes.insert(bytes.end(), {9, 9, 9});  // a record cut short by a crash
  Result<Sidecar> s = decode_sidecar(bytes, 4);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->key, key);
  EXPECT_EQ(s->groups, (std::vector<std::uint64_t>{3, 0, 3}));
  EXPECT_EQ(decode_sidecar(bytes, 2).error().code(), Errc::too_large);
}

TEST(SidecarTest, RefusesWhatIsNotASidecar) {
  Bytes bytes = encode_sidecar_header({});
  EXPECT_EQ(decode_sidecar(ByteView(bytes).first(kSidecarHeaderSize - 1), 1).error().code(), Errc::truncated);
  bytes[0] ^= 1;
  EXPECT_EQ(decode_sidecar(bytes, 1).error().code(), Errc::malformed);
  bytes[0] ^= 1;
  bytes[8] = 1;  // the version before this one
  EXPECT_EQ(decode_sidecar(bytes, 1).error().code(), Errc::malformed);
}

TEST(SidecarTest, LongNamesGetShortTemporaryNames) {
  EXPECT_EQ(part_name("a"), ".a.cohort-part");
  EXPECT_EQ(state_name("a"), ".a.cohort-state");
  std::string long_name(250, 'x');
  EXPECT_LE(part_name(long_name).size(), 255u);
  EXPECT_LE(state_name(long_name).size(), 255u);
  EXPECT_NE(part_name(long_name), part_name(std::string(250, 'y')));
}

// --- paths that try to leave dest ---------------------------------------------------

SessionInfo one_file_session(const std::string& path) {
  SessionInfo info;
  info.params = kSmall;
  CastEntry e;
  e.path = path;
  e.size = 1;
  info.entries.push_back(e);
  info.group_digests.resize(1);
  return info;
}

TEST_F(FilesTest, PathEscapesAreRefused) {
  for (const std::string path : {"../x", "/tmp/x", "a/../../x", "a//x", ".", "a/./x", ""}) {
    SessionInfo info = one_file_session(path);
    Result<Layout> layout = Layout::create(info.entries, info.params);
    ASSERT_TRUE(layout);
    Result<std::unique_ptr<FileSink>> sink = FileSink::open(dest_.string(), info, *layout);
    ASSERT_FALSE(sink) << path;
    EXPECT_EQ(sink.error().code(), Errc::invalid_argument) << path;
  }
  EXPECT_FALSE(fs::exists(root_ / "x"));
}

TEST_F(FilesTest, NoSymlinkInDestIsFollowedOut) {
  fs::path outside = root_ / "outside";
  fs::create_directories(outside);
  fs::create_directories(dest_);
  fs::create_directory_symlink(outside, dest_ / "d");
  SessionInfo info = one_file_session("d/x");
  Result<Layout> layout = Layout::create(info.entries, info.params);
  Result<std::unique_ptr<FileSink>> sink = FileSink::open(dest_.string(), info, *layout);
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().code(), Errc::invalid_argument);
  EXPECT_TRUE(fs::is_empty(outside));

  // A symlink left at a part file's name is removed, never written through.
  fs::create_symlink(outside / "target", dest_ / ".y.cohort-part");
  write_file(src_ / "y", {9});
  Prepared p = prepare({(src_ / "y").string()});
  std::unique_ptr<FileSink> y = open_sink(p);
  ASSERT_TRUE(y);
  deliver(p, *y, {0});
  ASSERT_TRUE(y->finish());
  EXPECT_TRUE(fs::is_empty(outside));
}

TEST_F(FilesTest, ASymlinkAtTheFinalNameIsReplacedNotFollowed) {
  fs::path outside = root_ / "outside";
  write_file(outside, {1, 2, 3});
  fs::create_directories(dest_);
  fs::create_symlink(outside, dest_ / "f");
  write_file(src_ / "f", random_bytes(5, 100));
  Prepared p = prepare({(src_ / "f").string()});
  std::unique_ptr<FileSink> sink = open_sink(p);
  ASSERT_TRUE(sink);
  deliver(p, *sink, {0});
  ASSERT_TRUE(sink->finish());
  expect_copied(p);
  EXPECT_EQ(read_file(outside), (Bytes{1, 2, 3}));
}

}  // namespace
}  // namespace cohort::filecast
