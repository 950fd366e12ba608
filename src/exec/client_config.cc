#include "cohort/exec/client_config.h"

#include <unistd.h>

#include <cstdlib>

#include "cohort/core/config.h"

namespace cohort::exec {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

Status fill_from_file(ClientConfig& config, const std::string& path) {
  if (path.empty() || access(path.c_str(), R_OK) != 0) return ok_status();
  auto file = Config::load_file(path);
  if (!file) return file.error();
  for (auto [key, field] : {std::pair{"tls.ca", &config.tls.ca}, {"tls.cert", &config.tls.cert},
                            {"tls.key", &config.tls.key}}) {
    if (!field->empty()) continue;
    auto value = file->get_string_or(key, "");
    if (!value) return value.error();
    *field = *value;
  }
  if (config.port == 0) {
    auto port = file->get_int_or("port", 0);
    if (!port) return port.error();
    if (*port < 0 || *port > 65535) return Error(Errc::invalid_argument, path + ": port must be 1..65535");
    config.port = static_cast<std::uint16_t>(*port);
  }
  return ok_status();
}

}  // namespace

std::string client_config_path() {
  if (std::string path = env("COHORT_CONFIG"); !path.empty()) return path;
  if (std::string home = env("HOME"); !home.empty()) return home + "/.config/cohort/client.toml";
  return {};
}

Result<ClientConfig> load_client_config(const ClientConfig& flags) {
  ClientConfig config = flags;
  for (auto [name, field] : {std::pair{"COHORT_CA", &config.tls.ca}, {"COHORT_CERT", &config.tls.cert},
                             {"COHORT_KEY", &config.tls.key}}) {
    if (field->empty()) *field = env(name);
  }
  if (config.port == 0 && !env("COHORT_PORT").empty()) {
    config.port = static_cast<std::uint16_t>(std::atoi(env("COHORT_PORT").c_str()));
  }
  std::string path = client_config_path();
  if (Status s = fill_from_file(config, path); !s) return s.error();
  if (config.port == 0) config.port = 7001;
  for (auto [what, field] : {std::pair{"--ca (the cluster CA certificate)", &config.tls.ca},
                             {"--cert (your certificate)", &config.tls.cert}, {"--key (your key)", &config.tls.key}}) {
    if (field->empty()) {
      return Error(Errc::invalid_argument,
                   std::string("no ") + what + " given: pass it, set COHORT_CA/COHORT_CERT/COHORT_KEY, or write " +
                       (path.empty() ? std::string("~/.config/cohort/client.toml") : path) +
                       " (see docs/exec.md)");
    }
  }
  return config;
}

}  // namespace cohort::exec
