// Fuzzes the exec message decoder: no crash on any input, and a message it
// accepts encodes back to exactly the bytes it came from.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "cohort/exec/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto message = cohort::exec::decode(cohort::ByteView(data, size));
  if (!message.ok()) return 0;
  cohort::Buffer again = cohort::exec::encode(*message);
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();
  return 0;
}
