// Host lists as users give them to the multi-host commands (run, cast):
// comma-separated or repeated options, and host files.
#pragma once

#include <string>
#include <vector>

#include "cohort/core/error.h"

namespace cohort::cli {

// One host per line; '#' starts a comment. Errors: not_found.
Result<std::vector<std::string>> read_hostfile(const std::string& path);

// "a,b" "c" -> a b c (empty parts dropped).
std::vector<std::string> split_commas(const std::vector<std::string>& items);

}  // namespace cohort::cli
