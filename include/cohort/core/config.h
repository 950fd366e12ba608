// TOML configuration files. Keys are dotted paths ("group.heartbeat_ms");
// every error names the file and the key, so users can fix their file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/core/error.h"

namespace cohort {

class Config {
 public:
  static Result<Config> load_file(const std::string& path);
  static Result<Config> parse(std::string_view text, std::string source = "<string>");

  bool has(std::string_view key) const;
  Result<std::string> get_string(std::string_view key) const;
  Result<std::int64_t> get_int(std::string_view key) const;
  Result<double> get_double(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::vector<std::string>> get_strings(std::string_view key) const;

  // The value if present; `fallback` if absent; an error if present with the wrong type.
  Result<std::string> get_string_or(std::string_view key, std::string fallback) const;
  Result<std::int64_t> get_int_or(std::string_view key, std::int64_t fallback) const;
  Result<double> get_double_or(std::string_view key, double fallback) const;
  Result<bool> get_bool_or(std::string_view key, bool fallback) const;

  const std::string& source() const { return source_; }

 private:
  struct Table;
  Config(std::shared_ptr<const Table> table, std::string source);
  Error missing(std::string_view key) const;
  Error wrong_type(std::string_view key, std::string_view wanted) const;

  std::shared_ptr<const Table> table_;
  std::string source_;
};

}  // namespace cohort
