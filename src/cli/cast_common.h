// What `cohort cast` and `cohort cast-receive` share: the JSON lines of
// their channel, and the units users write and read (rates, loss, sizes).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cohort/core/error.h"
#include "cohort/filecast/files.h"

namespace cohort::cli {

// One JSON object and a newline on stdout, flushed: a line of the channel.
void print_line(const nlohmann::json& line);

std::string hex(const filecast::Sha256& digest);

// "900M", "2.5G", "100k", "0" (no cap): bits per second. Errors: invalid_argument.
Result<std::uint64_t> parse_rate(std::string_view text);
// "adaptive" (-1), "5%" or "0.05": the expected loss as a fraction below 1.
Result<double> parse_loss(std::string_view text);

// 1536 -> "1.5 KiB"; for reports.
std::string human_bytes(double bytes);
// bits per second -> "812 Mbit/s".
std::string human_rate(double bits_per_s);

}  // namespace cohort::cli
