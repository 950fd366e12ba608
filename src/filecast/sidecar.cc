#include "sidecar.h"

#include <limits.h>

#include <algorithm>
#include <string_view>

#include "cohort/core/bytes.h"
#include "sha256.h"

namespace cohort::filecast {
namespace {

constexpr std::string_view kMagic = "COHORTFS";
constexpr std::uint8_t kVersion = 2;

ByteView as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

std::string temp_name(const std::string& name, std::string_view suffix) {
  std::string usual = "." + name + ".cohort-" + std::string(suffix);
  if (usual.size() <= NAME_MAX) return usual;
  // Long names: a digest of the name stands in for it.
  Result<Sha256Hasher> hasher = Sha256Hasher::create();
  std::string hex;
  if (hasher) {
    hasher->update(as_bytes(name));
    Result<Sha256> digest = hasher->finish();
    constexpr char kDigits[] = "0123456789abcdef";
    for (std::size_t i = 0; digest && i < 16; ++i) {
      hex += kDigits[(*digest)[i] >> 4];
      hex += kDigits[(*digest)[i] & 15];
    }
  }
  return ".cohort-" + hex + "." + std::string(suffix);
}

}  // namespace

std::vector<std::uint8_t> encode_sidecar_header(const SidecarKey& key) {
  ByteWriter w(kSidecarHeaderSize);
  w.bytes(as_bytes(kMagic));
  w.u8(kVersion);
  w.u64(key.size);
  w.u32(key.block_size);
  w.u16(key.k);
  return w.take();
}

std::vector<std::uint8_t> encode_sidecar_record(std::uint64_t group) {
  ByteWriter w(kSidecarRecordSize);
  w.u64(group);
  return w.take();
}

Result<Sidecar> decode_sidecar(ByteView bytes, std::size_t max_records) {
  ByteReader r(bytes);
  ByteView magic = r.bytes(kMagic.size());
  std::uint8_t version = r.u8();
  if (!r.failed() && !std::ranges::equal(magic, as_bytes(kMagic)))
    r.fail(Errc::malformed, "not a filecast state file");
  if (!r.failed() && version != kVersion) r.fail(Errc::malformed, "filecast state file of another version");
  Sidecar out;
  out.key.size = r.u64();
  out.key.block_size = r.u32();
  out.key.k = r.u16();
  if (Status s = r.finish(false); !s) return s.error();
  std::size_t records = r.remaining() / kSidecarRecordSize;  // a torn last record is dropped
  if (records > max_records)
    return Error(Errc::too_large, "filecast state file has more records than groups");
  out.groups.reserve(records);
  for (std::size_t i = 0; i < records; ++i) out.groups.push_back(r.u64());
  return out;
}

std::string part_name(const std::string& name) { return temp_name(name, "part"); }
std::string state_name(const std::string& name) { return temp_name(name, "state"); }

}  // namespace cohort::filecast
