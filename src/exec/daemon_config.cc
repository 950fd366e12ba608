#include "cohort/exec/daemon_config.h"

#include "cohort/core/config.h"

namespace cohort::exec {

namespace {

template <typename T>
Status take(Result<T> value, T& into) {
  if (!value) return value.error();
  into = std::move(*value);
  return ok_status();
}

Status take_uint(const Config& c, std::string_view key, std::uint64_t max, auto& into) {
  auto value = c.get_int_or(key, static_cast<std::int64_t>(into));
  if (!value) return value.error();
  if (*value < 0 || static_cast<std::uint64_t>(*value) > max) {
    return Error(Errc::invalid_argument, c.source() + ": " + std::string(key) + " must be between 0 and " +
                                             std::to_string(max));
  }
  into = static_cast<std::remove_reference_t<decltype(into)>>(*value);
  return ok_status();
}

Status require(const Config& c, std::string_view key, std::string& into) {
  if (!c.has(key)) {
    return Error(Errc::invalid_argument, c.source() + ": " + std::string(key) +
                                             " is required (see packaging/cohortd.toml for an example)");
  }
  return take(c.get_string(key), into);
}

Status read_policy(const Config& c, DaemonConfig& config) {
  std::string policy;
  if (Status s = take(c.get_string_or("shutdown.tasks", "end"), policy); !s) return s;
  if (policy == "end") {
    config.on_shutdown = ShutdownPolicy::end_tasks;
  } else if (policy == "detach") {
    config.on_shutdown = ShutdownPolicy::detach_tasks;
  } else {
    return Error(Errc::invalid_argument, c.source() + ": shutdown.tasks must be \"end\" or \"detach\"");
  }
  return ok_status();
}

Result<DaemonConfig> from_config(const Config& c) {
  DaemonConfig config;
  for (auto [key, field] : {std::pair{"cluster", &config.cluster}, {"tls.ca", &config.tls.ca},
                            {"tls.cert", &config.tls.cert}, {"tls.key", &config.tls.key},
                            {"accounts.map", &config.account_map}}) {
    if (Status s = require(c, key, *field); !s) return s.error();
  }
  Status s = take(c.get_string_or("listen", config.listen), config.listen);
  if (s) s = take(c.get_string_or("tls.crl", ""), config.tls.crl);
  if (s) s = take_uint(c, "limits.tasks_per_user", 1'000'000, config.tasks_per_user);
  if (s) s = take_uint(c, "limits.memory_max_bytes", UINT64_MAX >> 1, config.memory_max_bytes);
  if (s) s = take_uint(c, "limits.request_timeout_ms", 3'600'000, config.request_timeout_ms);
  if (s) s = take_uint(c, "shutdown.grace_ms", 3'600'000, config.grace_ms);
  if (s) s = read_policy(c, config);
  if (s) s = take(c.get_string_or("log.file", ""), config.log_file);
  if (s) s = take(c.get_string_or("log.level", "info"), config.log_level);
  if (!s) return s.error();
  return config;
}

}  // namespace

Result<DaemonConfig> load_daemon_config(const std::string& path) {
  auto c = Config::load_file(path);
  if (!c) return c.error();
  return from_config(*c);
}

Result<DaemonConfig> parse_daemon_config(const std::string& text, const std::string& source) {
  auto c = Config::parse(text, source);
  if (!c) return c.error();
  return from_config(*c);
}

}  // namespace cohort::exec
