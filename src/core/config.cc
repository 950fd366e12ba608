#include "cohort/core/config.h"

#include <toml++/toml.h>

#include <sstream>

namespace cohort {

struct Config::Table {
  toml::table root;
};

Config::Config(std::shared_ptr<const Table> table, std::string source)
    : table_(std::move(table)), source_(std::move(source)) {}

Result<Config> Config::parse(std::string_view text, std::string source) {
  try {
    auto table = std::make_shared<Table>();
    table->root = toml::parse(text, source);
    return Config(std::move(table), std::move(source));
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << source << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
        << e.description();
    return Error(Errc::malformed, msg.str());
  }
}

Result<Config> Config::load_file(const std::string& path) {
  try {
    auto table = std::make_shared<Table>();
    table->root = toml::parse_file(path);
    return Config(std::move(table), path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    if (e.source().begin.line == 0) {
      return Error(Errc::not_found, "cannot read configuration file " + path + ": " +
                                        std::string(e.description()));
    }
    msg << path << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
        << e.description();
    return Error(Errc::malformed, msg.str());
  }
}

Error Config::missing(std::string_view key) const {
  return Error(Errc::not_found, source_ + ": key '" + std::string(key) + "' is not set");
}

Error Config::wrong_type(std::string_view key, std::string_view wanted) const {
  return Error(Errc::invalid_argument,
               source_ + ": key '" + std::string(key) + "' must be " + std::string(wanted));
}

bool Config::has(std::string_view key) const {
  return static_cast<bool>(table_->root.at_path(key));
}

namespace {
template <typename T>
std::optional<T> value_at(const toml::table& root, std::string_view key) {
  return root.at_path(key).value_exact<T>();
}
}  // namespace

Result<std::string> Config::get_string(std::string_view key) const {
  if (!has(key)) return missing(key);
  if (auto v = value_at<std::string>(table_->root, key)) return *v;
  return wrong_type(key, "a string");
}

Result<std::int64_t> Config::get_int(std::string_view key) const {
  if (!has(key)) return missing(key);
  if (auto v = value_at<std::int64_t>(table_->root, key)) return *v;
  return wrong_type(key, "an integer");
}

Result<double> Config::get_double(std::string_view key) const {
  if (!has(key)) return missing(key);
  if (auto v = table_->root.at_path(key).value<double>()) return *v;
  return wrong_type(key, "a number");
}

Result<bool> Config::get_bool(std::string_view key) const {
  if (!has(key)) return missing(key);
  if (auto v = value_at<bool>(table_->root, key)) return *v;
  return wrong_type(key, "true or false");
}

Result<std::vector<std::string>> Config::get_strings(std::string_view key) const {
  if (!has(key)) return missing(key);
  const toml::array* array = table_->root.at_path(key).as_array();
  if (array == nullptr) return wrong_type(key, "an array of strings");
  std::vector<std::string> out;
  for (const auto& item : *array) {
    auto s = item.value_exact<std::string>();
    if (!s) return wrong_type(key, "an array of strings");
    out.push_back(*s);
  }
  return out;
}

Result<std::string> Config::get_string_or(std::string_view key, std::string fallback) const {
  return has(key) ? get_string(key) : Result<std::string>(std::move(fallback));
}
Result<std::int64_t> Config::get_int_or(std::string_view key, std::int64_t fallback) const {
  return has(key) ? get_int(key) : Result<std::int64_t>(fallback);
}
Result<double> Config::get_double_or(std::string_view key, double fallback) const {
  return has(key) ? get_double(key) : Result<double>(fallback);
}
Result<bool> Config::get_bool_or(std::string_view key, bool fallback) const {
  return has(key) ? get_bool(key) : Result<bool>(fallback);
}

}  // namespace cohort
