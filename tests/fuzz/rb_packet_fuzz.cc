// Fuzzes the reliable-broadcast packet decoder: no crash on any input, and
// whatever decodes re-encodes to the same bytes (the format is canonical).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "cohort/sim/reliable_broadcast.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cohort::Buffer input = cohort::Buffer::copy_of(cohort::ByteView(data, size));
  auto packet = cohort::sim::decode_rb_packet(input);
  if (packet.ok() && !(cohort::sim::encode_rb_packet(*packet) == input)) std::abort();
  return 0;
}
