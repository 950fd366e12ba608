// filecast's file layer: everything a cast touches on disk. The sender side
// turns FILE... arguments into session entries, digests their groups in one
// read pass, serves groups from the files and hashes each whole file for the
// report; the receiver side writes each file under a temporary name beside
// its final one, with a sidecar that lets a later session resume, and
// renames it into place once every group, each verified against the
// session's digests, is stored (docs/filecast-files.md). The machines
// call FileSource/FileSink synchronously from one thread; neither is
// thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/filecast/content.h"
#include "cohort/filecast/session.h"

namespace cohort::filecast {

using Sha256 = std::array<std::uint8_t, 32>;

// What `cohort cast FILE...` sends, and where each entry's bytes are here.
struct LocalContent {
  std::vector<CastEntry> entries;        // directories before their contents
  std::vector<std::string> local_paths;  // one per entry, as given/found here
  // Things inside directory trees that a cast does not carry (symlinks,
  // sockets, devices, fifos), one "path: why" line each, for a warning.
  std::vector<std::string> skipped;
};

// FILE... arguments placed as `cp -r ARGS DEST` places them: a file `a/b.txt`
// becomes `b.txt`, a directory `d` becomes `d` and `d/...`. Modes keep the
// permission bits (0777) only. An argument that is a symlink is followed (it
// names what the user meant); symlinks, sockets, devices and fifos found
// inside a tree are left out and listed in `skipped`; an argument that is
// none of file/directory is refused. Sizes are from stat. Errors: not_found (missing argument),
// permission_denied (unreadable file or directory), invalid_argument (a
// special file as an argument, two arguments with the same destination name,
// no arguments), io.
Result<LocalContent> collect_entries(const std::vector<std::string>& args);

// Reads every file once and returns the group digests under `key`
// (digest.h) in Layout order, ready for SessionInfo: what a cast must have
// before its first datagram. Errors: invalid_argument (bad params), io (a
// file unreadable, or changed size since collect_entries).
Result<std::vector<GroupDigest>> digest_groups(const LocalContent& content, const SessionParams& params,
                                               const DigestKey& key);

// Each entry's SHA-256 (zeros for directories), reading every file once more:
// the figure a user compares with sha256sum, computed while the cast runs.
// Errors: io (a file unreadable or now shorter), closed (`stop` requested).
Result<std::vector<Sha256>> hash_files(const LocalContent& content, std::stop_token stop = {});

// Serves groups by pread from the local files. A file that changed since
// digest_groups() is not detected here: receivers reject its groups.
class FileSource final : public ContentSource {
 public:
  // REQUIRES: `layout` was made from `content.entries`.
  FileSource(const LocalContent& content, const Layout& layout);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // Errors: invalid_argument (no such group, `out` not the group's size),
  // io (open/read failed, or the file is now shorter).
  Status read_group(std::uint64_t group, std::span<std::uint8_t> out) override;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

struct SinkOptions {
  // fsync each file before its rename and the directory after it. Off by
  // default: a crash can then lose recent groups, but never carries a wrong
  // file under a final name, since resume re-verifies every group.
  bool fsync = false;
};

struct SinkProgress {
  std::uint64_t files_done = 0;
  std::uint64_t files_total = 0;
  std::uint64_t bytes_stored = 0;  // verified or written this session, of bytes_total
  std::uint64_t bytes_total = 0;
};

// Writes a session's entries under `dest`. The caller checks every group
// against the session's (authenticated) digests before it writes it, as the
// filecast receiver does. Each file is written as `.NAME.cohort-part` in its
// final directory with `.NAME.cohort-state` beside it (the groups stored,
// bound to the file's size, block size and K); once every group is stored,
// it gets its mode and is renamed to NAME. Nothing half-written ever carries
// a final name.
class FileSink final : public ContentSink {
 public:
  // Creates `dest` if missing (its parent must exist), the directories and
  // the 0-byte files; resumes every file whose part file and sidecar match
  // its cut (each claimed group re-checked against the session's digest;
  // a mismatching one is dropped), and takes a file already in place whose
  // every group matches its digest as done. Every path is re-checked (no "..", no
  // absolute path, no symlink in dest's tree followed). Errors:
  // invalid_argument (unsafe path, layout not of this session), not_found
  // (dest's parent missing), permission_denied, io (e.g. a directory where
  // a file must go).
  static Result<std::unique_ptr<FileSink>> open(const std::string& dest, const SessionInfo& info,
                                                const Layout& layout, SinkOptions options = {});
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  bool has_group(std::uint64_t group) const override;
  // Stores a group (again is a no-op); completes its file when it was the
  // last one. Errors: invalid_argument (no such group, wrong size), io.
  Status write_group(std::uint64_t group, std::span<const std::uint8_t> bytes) override;
  // As write_group, with a hole punched in the part file where the
  // file system allows (else zeros written).
  Status write_zero_group(std::uint64_t group, std::size_t bytes) override;

  // Every entry is in place; gives directories their modes. Errors:
  // not_found (files still incomplete), io.
  Status finish();
  SinkProgress progress() const;

 private:
  struct State;
  explicit FileSink(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace cohort::filecast
