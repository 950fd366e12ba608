// Fuzzes the group history line parser: no crash on any input, and a line it
// accepts writes back to a line that parses to the same event.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cohort/group/history.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto event = cohort::group::parse_history_line(line);
  if (!event.ok()) return 0;
  auto again = cohort::group::parse_history_line(cohort::group::to_json_line(*event));
  if (!again.ok() || !(*again == *event)) std::abort();
  return 0;
}
