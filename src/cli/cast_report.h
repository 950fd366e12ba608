// What `cohort cast` shows: a live line per receiver on a terminal, and at
// the end a line per receiver, or with --json one report object on stdout
// (docs/filecast.md, "Report").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cohort/core/clock.h"

namespace cohort::cli {

// One receiver as the sender knows it from its authenticated channel.
struct ReceiverView {
  enum class State { starting, waiting, receiving, verified, failed };
  std::string host;
  State state = State::starting;
  std::uint64_t bytes = 0;        // received this cast
  std::uint64_t bytes_total = 0;  // of the whole cast
  std::uint64_t groups_done = 0;
  std::uint64_t groups_total = 0;
  std::uint64_t repair_used = 0;
  std::uint64_t requests = 0;
  double seconds = 0;  // from the setup to the end (or now)
  std::string reason;  // why failed
  nlohmann::json files = nlohmann::json::array();  // path and sha256 of each verified file
};

std::string_view to_string(ReceiverView::State state);

class CastDisplay {
 public:
  // Live lines only when `live` (stderr is a terminal and no --json).
  explicit CastDisplay(bool live) : live_(live) {}
  // Redraws the receivers' lines in place.
  void update(const std::vector<ReceiverView>& receivers);
  // The final lines, or the JSON report.
  void finish(const std::vector<ReceiverView>& receivers, bool json, const nlohmann::json& sender);

 private:
  bool live_;
  std::size_t drawn_ = 0;  // lines on screen from the last update
};

}  // namespace cohort::cli
