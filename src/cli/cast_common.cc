#include "cast_common.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>
#include <utility>

namespace cohort::cli {

namespace {

// The number at the start of `text` and what follows it.
std::optional<std::pair<double, std::string_view>> leading_number(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return std::pair{value, text.substr(static_cast<std::size_t>(end - text.data()))};
}

std::string one_decimal(double value, const char* unit) {
  std::array<char, 64> out{};
  std::snprintf(out.data(), out.size(), value < 10 ? "%.1f %s" : "%.0f %s", value, unit);
  return out.data();
}

}  // namespace

void print_line(const nlohmann::json& line) { std::cout << line.dump() << std::endl; }

std::string hex(const filecast::Sha256& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

Result<std::uint64_t> parse_rate(std::string_view text) {
  auto number = leading_number(text);
  Error bad(Errc::invalid_argument,
            "rate '" + std::string(text) + "': give bits per second, e.g. 900M, 2.5G, 100k, or 0 for no cap");
  if (!number || number->first < 0) return bad;
  auto [value, unit] = *number;
  if (unit == "k" || unit == "K") {
    value *= 1e3;
  } else if (unit == "M" || unit == "m") {
    value *= 1e6;
  } else if (unit == "G" || unit == "g") {
    value *= 1e9;
  } else if (!unit.empty()) {
    return bad;
  }
  return static_cast<std::uint64_t>(value);
}

Result<double> parse_loss(std::string_view text) {
  if (text == "adaptive") return -1.0;
  auto number = leading_number(text);
  double value = number ? number->first : -1;
  if (number && number->second == "%") value /= 100;
  if (!number || (!number->second.empty() && number->second != "%") || value < 0 || value >= 1) {
    return Error(Errc::invalid_argument,
                 "loss '" + std::string(text) + "': give 'adaptive', a percentage (5%) or a fraction below 1 (0.05)");
  }
  return value;
}

std::string human_bytes(double bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? std::to_string(static_cast<std::uint64_t>(bytes)) + " B" : one_decimal(bytes, kUnits[unit]);
}

std::string human_rate(double bits_per_s) {
  if (bits_per_s >= 1e9) return one_decimal(bits_per_s / 1e9, "Gbit/s");
  if (bits_per_s >= 1e6) return one_decimal(bits_per_s / 1e6, "Mbit/s");
  return one_decimal(bits_per_s / 1e3, "kbit/s");
}

}  // namespace cohort::cli
