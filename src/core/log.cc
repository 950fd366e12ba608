#include "cohort/core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <string>

namespace cohort::log {

Status init(std::string_view program, std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return Error(Errc::invalid_argument, "unknown log level '" + std::string(level) +
                                             "' (use trace, debug, info, warn, error or off)");
  }
  auto logger = spdlog::stderr_color_mt(std::string(program));
  logger->set_pattern("%H:%M:%S.%e %n %^%l%$ %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return ok_status();
}

}  // namespace cohort::log
