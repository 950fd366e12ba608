#include "client_setup.h"

#include <chrono>
#include <iostream>

namespace cohort::cli {

void add_client_options(CLI::App& command, ClientOptions& options) {
  command.add_option("--ca", options.flags.tls.ca, "Cluster CA certificate (default: COHORT_CA or client.toml)");
  command.add_option("--cert", options.flags.tls.cert, "Your certificate (default: COHORT_CERT or client.toml)");
  command.add_option("--key", options.flags.tls.key, "Your private key (default: COHORT_KEY or client.toml)");
  command.add_option("--port", options.flags.port, "cohortd's port where HOST names none (default 7001)");
  command.add_option("--connect-timeout", options.connect_timeout_s,
                     "Seconds to reach a host, authenticate and get an answer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

Result<ClientSetup> prepare_client(const ClientOptions& options) {
  auto config = exec::load_client_config(options.flags);
  if (!config) return config.error();
  auto tls = tls::client_context(config->tls);
  if (!tls) return tls.error();
  auto timeout = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(options.connect_timeout_s));
  return ClientSetup{std::move(*config), std::move(*tls), timeout};
}

void print_error(std::string_view command, std::string_view message) {
  std::cerr << "cohort " << command << ": " << message << std::endl;
}

}  // namespace cohort::cli
