// How `cohort run` shows the output of many ranks: each line prefixed with
// its rank (and stderr lines marked), or raw bytes as they come, or folded:
// ranks with identical output are printed once under the list of their ranks,
// as dshbak -c does.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/exec/protocol.h"

namespace cohort::cli {

enum class OutputMode { prefixed, raw, folded };

class RunOutput {
 public:
  RunOutput(OutputMode mode, std::vector<std::string> labels) : mode_(mode), labels_(std::move(labels)) {}

  void add(std::uint32_t rank, exec::Stream stream, ByteView bytes);
  // The rank's streams ended: its last partial line goes out.
  void end_rank(std::uint32_t rank);
  // Folded mode prints everything here.
  void finish();

 private:
  void emit_lines(std::uint32_t rank, exec::Stream stream, bool flush_partial);

  OutputMode mode_;
  std::vector<std::string> labels_;  // per rank, e.g. "3" or "3 host-b"
  std::map<std::pair<std::uint32_t, int>, std::string> partial_;
  std::map<std::uint32_t, std::string> folded_;
};

// "0-3,5,7-8" for a sorted list of ranks.
std::string rank_ranges(const std::vector<std::uint32_t>& ranks);

}  // namespace cohort::cli
