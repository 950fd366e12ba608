#include "cohort/testbed/names.h"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace cohort::testbed::names {
namespace {

constexpr std::size_t kRunLength = 9;  // 6 hex, '-', 2 hex

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool is_decimal(std::string_view s) {
  if (s.empty() || s.size() > 2) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string run_name(pid_t owner, unsigned index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06x-%02x", static_cast<unsigned>(owner) & 0xffffffu, index & 0xffu);
  return buf;
}

bool is_run_name(std::string_view run) {
  return run.size() == kRunLength && run[6] == '-' && is_hex(run.substr(0, 6)) && is_hex(run.substr(7, 2));
}

std::optional<pid_t> owner_of(std::string_view run) {
  if (!is_run_name(run)) return std::nullopt;
  unsigned value = 0;
  auto digits = run.substr(0, 6);
  std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  return static_cast<pid_t>(value);
}

std::string netns(std::string_view run, int host) {
  return "cohort-" + std::string(run) + "-h" + std::to_string(host);
}

std::string bridge(std::string_view run) { return "cb" + std::string(run); }

std::string veth(std::string_view run, int host) { return "cv" + std::string(run) + "h" + std::to_string(host); }

std::string state_file(std::string_view run) {
  return std::string(kStateDir) + "/" + std::string(run) + ".state";
}

std::optional<std::string> run_of_netns(std::string_view name) {
  constexpr std::string_view prefix = "cohort-";
  if (!name.starts_with(prefix)) return std::nullopt;
  name.remove_prefix(prefix.size());
  if (name.size() < kRunLength + 3) return std::nullopt;
  auto run = name.substr(0, kRunLength);
  auto rest = name.substr(kRunLength);
  if (!is_run_name(run) || !rest.starts_with("-h") || !is_decimal(rest.substr(2))) return std::nullopt;
  return std::string(run);
}

std::optional<std::string> run_of_link(std::string_view name) {
  if (name.size() < 2 + kRunLength) return std::nullopt;
  auto run = name.substr(2, kRunLength);
  if (!is_run_name(run)) return std::nullopt;
  auto rest = name.substr(2 + kRunLength);
  if (name.starts_with("cb") && rest.empty()) return std::string(run);
  if (name.starts_with("cv") && rest.starts_with("h") && is_decimal(rest.substr(1))) return std::string(run);
  return std::nullopt;
}

std::optional<std::string> run_of_state_file(std::string_view file_name) {
  constexpr std::string_view suffix = ".state";
  if (!file_name.ends_with(suffix)) return std::nullopt;
  auto run = file_name.substr(0, file_name.size() - suffix.size());
  if (!is_run_name(run)) return std::nullopt;
  return std::string(run);
}

std::string host_address(int host) { return "10.88.0." + std::to_string(host + 1); }

}  // namespace cohort::testbed::names
