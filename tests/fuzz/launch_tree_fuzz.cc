// Fuzzes the tree launch messages: no crash on any input, a message the
// decoder accepts encodes back to exactly the bytes it came from, and a
// daemon handed the bytes (as host 0, from the client) survives them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "cohort/exec/launch_tree.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cohort::ByteView bytes(data, size);
  cohort::exec::LaunchNode node(cohort::exec::launch_node(0), cohort::exec::LaunchCosts{});
  cohort::Actions out;
  node.on_packet(cohort::TimePoint{}, cohort::exec::kLaunchClient, cohort::Buffer::copy_of(bytes), out);
  auto message = cohort::exec::decode_launch_message(bytes);
  if (!message.ok()) return 0;
  cohort::Buffer again = cohort::exec::encode_launch_message(*message);
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();
  return 0;
}
