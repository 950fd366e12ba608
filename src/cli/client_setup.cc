#include "client_setup.h"

#include <chrono>
#include <iostream>

#include "cohort/exec/client.h"

namespace cohort::cli {

void add_client_options(CLI::App& command, ClientOptions& options, const std::string& port_flag) {
  command.add_option("--ca", options.flags.tls.ca, "Cluster CA certificate (default: COHORT_CA or client.toml)");
  command.add_option("--cert", options.flags.tls.cert, "Your certificate (default: COHORT_CERT or client.toml)");
  command.add_option("--key", options.flags.tls.key, "Your private key (default: COHORT_KEY or client.toml)");
  command.add_option(port_flag, options.flags.port, "cohortd's port where HOST names none (default 7001)");
  command.add_option("--connect-timeout", options.connect_timeout_s,
                     "Seconds to reach a host, authenticate and get an answer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

void add_task_options(CLI::App& command, TaskOptions& options, const std::string& whom) {
  command.add_flag("--exact", options.exact, "Run CMD's words as argv, without a remote shell");
  command.add_option("-e,--env", options.env, "Set NAME=VALUE for " + whom + " (repeatable)")
      ->allow_extra_args(false);
  command.add_option("-C,--cwd", options.cwd, "Working directory of " + whom + " (default: the account's home)");
  command.add_option("--timeout", options.timeout_s, "End " + whom + " after SECONDS (SIGTERM, then SIGKILL)")
      ->check(CLI::PositiveNumber);
  command.add_option("--kill-after", options.kill_after_s, "Seconds from the timeout's SIGTERM to SIGKILL")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

exec::ExecRequest task_request(const std::vector<std::string>& argv, const TaskOptions& options) {
  constexpr std::uint64_t kRequestLifetimeMs = 30'000;
  exec::ExecRequest request;
  request.nonce = exec::random_nonce();
  request.expires_unix_ms = exec::expiry_from_now(kRequestLifetimeMs);
  request.argv = argv;
  request.expand_env = !options.exact;
  request.env = options.env;
  request.cwd = options.cwd;
  request.timeout_ms = static_cast<std::uint64_t>(options.timeout_s * 1000.0);
  request.kill_after_ms = static_cast<std::uint32_t>(options.kill_after_s * 1000.0);
  return request;
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
