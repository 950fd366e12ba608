// Fuzzes the filecast session setup decoder (what a receiver reads from its
// authenticated channel): no crash and no huge allocation on any input, and
// a setup it accepts encodes back to exactly the bytes it came from.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "cohort/filecast/setup.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto setup = cohort::filecast::decode_setup(cohort::ByteView(data, size));
  if (!setup.ok()) return 0;
  cohort::Buffer again = cohort::filecast::encode_setup(*setup);
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();
  return 0;
}
