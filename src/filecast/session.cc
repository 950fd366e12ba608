#include "cohort/filecast/session.h"

#include <algorithm>
#include <string>
#include <string_view>

namespace cohort::filecast {

namespace {

constexpr std::uint32_t kMaxBlockSize = 65000;  // a block and its header fit one UDP datagram
constexpr std::uint16_t kMaxK = 254;            // RsCodec needs room for at least one repair block

Status check_params(const SessionParams& p) {
  if (p.block_size == 0 || p.block_size > kMaxBlockSize) {
    return Error(Errc::invalid_argument, "block size must be 1.." + std::to_string(kMaxBlockSize) + " bytes");
  }
  if (p.k == 0 || p.k > kMaxK) {
    return Error(Errc::invalid_argument, "group size K must be 1.." + std::to_string(kMaxK));
  }
  if (p.repair_channels == 0) return Error(Errc::invalid_argument, "at least one repair channel (T >= 1) is needed");
  return {};
}

// Relative, '/'-separated, and unable to leave the destination.
Status check_path(const std::string& path) {
  auto bad = [&](const char* why) { return Error(Errc::malformed, "entry path \"" + path + "\": " + why); };
  if (path.empty()) return bad("empty");
  if (path.front() == '/') return bad("absolute; paths are relative to the destination");
  if (path.find('\0') != std::string::npos) return bad("contains a NUL byte");
  std::string_view rest = path;
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part.empty()) return bad("has an empty component");
    if (part == "." || part == "..") return bad("has a \".\" or \"..\" component");
    if (slash == std::string_view::npos) return {};
    rest.remove_prefix(slash + 1);
  }
}

}  // namespace

std::uint16_t default_group_size(const std::vector<CastEntry>& entries, std::uint32_t block_size) {
  if (block_size == 0) return kSmallCastK;
  std::uint64_t blocks = 0;
  for (const CastEntry& e : entries) {
    if (e.kind == CastEntry::Kind::file) blocks += (e.size + block_size - 1) / block_size;
  }
  return blocks >= kLargeCastBlocks ? kLargeCastK : kSmallCastK;
}

Result<Layout> Layout::create(const std::vector<CastEntry>& entries, const SessionParams& params) {
  if (Status s = check_params(params); !s) return s.error();
  Layout layout;
  const std::uint64_t group_bytes = std::uint64_t{params.k} * params.block_size;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    const CastEntry& entry = entries[e];
    if (entry.kind != CastEntry::Kind::file) continue;
    layout.total_bytes_ += entry.size;
    for (std::uint64_t offset = 0; offset < entry.size; offset += group_bytes) {
      const auto bytes = static_cast<std::uint32_t>(std::min(group_bytes, entry.size - offset));
      const auto blocks = static_cast<std::uint16_t>((bytes + params.block_size - 1) / params.block_size);
      layout.groups_.push_back(GroupExtent{static_cast<std::uint32_t>(e), offset, bytes, blocks});
    }
  }
  return layout;
}

Status validate(const SessionInfo& info) {
  auto layout = Layout::create(info.entries, info.params);
  if (!layout) return Error(Errc::malformed, layout.error().message());
  for (const CastEntry& entry : info.entries) {
    if (Status s = check_path(entry.path); !s) return s;
    if (entry.kind == CastEntry::Kind::directory && entry.size != 0) {
      return Error(Errc::malformed, "directory entry \"" + entry.path + "\" has a size");
    }
  }
  if (info.group_digests.size() != layout->group_count()) {
    return Error(Errc::malformed, "the session has " + std::to_string(info.group_digests.size()) +
                                      " group digests but its entries make " +
                                      std::to_string(layout->group_count()) + " groups");
  }
  return {};
}

}  // namespace cohort::filecast
