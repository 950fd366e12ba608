// Fuzzes the stream frame decoder: arbitrary bytes, fed in arbitrary chunks,
// must never crash, and every frame it yields must re-encode to the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "cohort/wire/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t chunk = 1 + data[0] % 17;
  cohort::ByteView input(data + 1, size - 1);
  cohort::wire::FrameDecoder decoder(/*max_frame=*/4096);
  std::vector<std::uint8_t> reencoded;
  bool failed = false;
  for (std::size_t pos = 0; pos < input.size() && !failed; pos += chunk) {
    failed = !decoder.feed(input.subspan(pos, std::min(chunk, input.size() - pos))).ok();
    while (auto frame = decoder.next()) cohort::wire::encode_frame(frame->view(), reencoded);
  }
  if (!failed) {
    // What was decoded plus what is pending must be exactly the input.
    if (reencoded.size() + decoder.pending_bytes() != input.size()) std::abort();
    for (std::size_t i = 0; i < reencoded.size(); ++i) {
      if (reencoded[i] != input[i]) std::abort();
    }
  }
  return 0;
}
