// Fuzzes the group bottom layer's datagram decoder: no crash on any input and
// any header size, and a decoded datagram's payload lies inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "cohort/group/layers/bottom.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t header_bytes = data[0] % (cohort::group::kMaxHeaderBytes + 1);
  cohort::Buffer input = cohort::Buffer::copy_of(cohort::ByteView(data + 1, size - 1));
  auto d = cohort::group::decode_datagram(input, header_bytes);
  if (d.ok() && d->msg.payload.size() > input.size()) std::abort();
  return 0;
}
