// The insides of FileSink, shared by the files that implement it:
// file_sink.cc (open, prepare, finish), sink_resume.cc (taking over what an
// earlier session left) and sink_write.cc (storing groups, verifying and
// renaming a completed file).
#pragma once

#include <fcntl.h>

#include <optional>
#include <string>
#include <vector>

#include "cohort/filecast/digest.h"
#include "cohort/filecast/files.h"
#include "file_io.h"
#include "sidecar.h"

namespace cohort::filecast {

// Part files kept open at once; groups mostly arrive file by file.
constexpr std::size_t kOpenFiles = 16;
constexpr int kTempFlags = O_RDWR | O_NOFOLLOW | O_CLOEXEC;

struct EntryState {
  std::vector<std::string> dir;  // components of the parent directory
  std::string name;              // last component
  EntryGroups groups;
  std::vector<bool> held;  // by group index within the file
  std::uint64_t held_count = 0;
  bool done = false;
};

struct OpenFile {
  std::uint32_t entry = 0;
  UniqueFd dir, part, state;  // state is O_APPEND: records only go at its end
};

struct FileSink::State {
  UniqueFd root;
  SessionInfo info;
  Layout layout;
  SinkOptions options;
  std::vector<EntryState> entries;
  std::vector<OpenFile> open;  // least recently used first
  std::vector<std::uint8_t> scratch;
  std::vector<std::uint8_t> zeros;  // as long as the longest zero group stored so far
  SinkProgress progress;

  const std::string& path(std::uint32_t e) const { return info.entries[e].path; }
  SidecarKey key(std::uint32_t e) const {
    const CastEntry& entry = info.entries[e];
    return {entry.size, info.params.block_size, info.params.k};
  }

  Status prepare();
  Status prepare_entry(std::uint32_t e);
  Status adopt_final(std::uint32_t e, int dir, bool& adopted);
  Status resume(std::uint32_t e, UniqueFd dir);
  Status verify_claims(std::uint32_t e, OpenFile& file, const std::vector<std::uint64_t>& claims);
  Result<OpenFile*> open_file(std::uint32_t e);
  OpenFile& keep_open(OpenFile file);
  bool holds(std::uint64_t group) const {
    const EntryState& st = entries[layout.group(group).entry];
    return st.held[group - st.groups.first];
  }
  Result<OpenFile*> file_for(std::uint64_t group, std::size_t size);
  Status store(std::uint64_t group, ByteView bytes);
  Status store_zeros(std::uint64_t group, std::size_t bytes);
  Status record_stored(std::uint64_t group, OpenFile& file);
  Result<bool> file_matches(std::uint32_t e, int fd);
  Result<bool> group_matches(GroupDigester& digester, std::uint64_t group, int fd, const char* what);
  Status complete(std::uint32_t e);
  void close_file(std::uint32_t e);
  Status discard(std::uint32_t e, int dir);
  Status check_in_place(std::uint32_t e);
};

}  // namespace cohort::filecast
