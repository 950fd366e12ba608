// Logging for cohort's programs and drivers, on spdlog. Protocol state
// machines do not log; they report through their actions.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "cohort/core/error.h"

namespace cohort::log {

// Sets up the process-wide logger: messages go to stderr, tagged with
// `program`, at `level` ("trace", "debug", "info", "warn", "error", "off").
Status init(std::string_view program, std::string_view level = "info");
// The same, appending to `file` instead (daemons that are not under the journal).
Status init_file(std::string_view program, const std::string& file, std::string_view level = "info");

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::trace;
using spdlog::warn;

}  // namespace cohort::log
