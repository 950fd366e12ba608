// What every client command of cohortd shares: the key options, the
// configuration lookup (flags, environment, client.toml) and the TLS context.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cohort/core/clock.h"
#include "cohort/exec/client_config.h"
#include "cohort/transport/tls.h"

namespace cohort::cli {

struct ClientOptions {
  exec::ClientConfig flags;
  double connect_timeout_s = 10;
};

void add_client_options(CLI::App& command, ClientOptions& options);

struct ClientSetup {
  exec::ClientConfig config;
  tls::ContextPtr tls;
  Duration connect_timeout;
};

Result<ClientSetup> prepare_client(const ClientOptions& options);

// "cohort CMD: message" on stderr.
void print_error(std::string_view command, std::string_view message);

}  // namespace cohort::cli
