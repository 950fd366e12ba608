// Fuzzes the filecast state file beside a part file (read back from disk on
// resume): no crash on any input, and a file the decoder accepts encodes
// back to exactly its bytes up to a torn last record.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "sidecar.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cohort::filecast;
  auto sidecar = decode_sidecar(cohort::ByteView(data, size), 1 << 16);
  if (!sidecar.ok()) return 0;
  std::vector<std::uint8_t> again = encode_sidecar_header(sidecar->key);
  for (std::uint64_t g : sidecar->groups) {
    std::vector<std::uint8_t> record = encode_sidecar_record(g);
    again.insert(again.end(), record.begin(), record.end());
  }
  if (size - again.size() >= kSidecarRecordSize || std::memcmp(again.data(), data, again.size()) != 0) std::abort();
  return 0;
}
