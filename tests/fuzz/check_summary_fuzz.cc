// Fuzzes the checker layers' summary decoder (chk_total, chk_sync gossip): no
// crash on any input, and a decoded summary encodes back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "cohort/group/layers/checker.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cohort::Buffer input = cohort::Buffer::copy_of(cohort::ByteView(data, size));
  auto s = cohort::group::decode_check_summary(input);
  if (!s.ok()) return 0;
  cohort::Buffer again = cohort::group::encode_check_summary(*s);
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();
  return 0;
}
