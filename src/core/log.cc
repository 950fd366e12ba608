#include "cohort/core/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <string>

namespace cohort::log {

namespace {

Result<spdlog::level::level_enum> parse_level(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return Error(Errc::invalid_argument, "unknown log level '" + std::string(level) +
                                             "' (use trace, debug, info, warn, error or off)");
  }
  return parsed;
}

}  // namespace

Status init(std::string_view program, std::string_view level) {
  auto parsed = parse_level(level);
  if (!parsed) return parsed.error();
  auto logger = spdlog::stderr_color_mt(std::string(program));
  logger->set_pattern("%H:%M:%S.%e %n %^%l%$ %v");
  logger->set_level(*parsed);
  spdlog::set_default_logger(logger);
  return ok_status();
}

Status init_file(std::string_view program, const std::string& file, std::string_view level) {
  auto parsed = parse_level(level);
  if (!parsed) return parsed.error();
  try {
    auto logger = spdlog::basic_logger_mt(std::string(program), file);
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %n %l %v");
    logger->set_level(*parsed);
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
  } catch (const spdlog::spdlog_ex& e) {
    return Error(Errc::io, "cannot open the log file " + file + ": " + e.what());
  }
  return ok_status();
}

}  // namespace cohort::log
