// Where `cohort exec / run / ps / kill / wait` find their keys and defaults:
// command-line flags first, then COHORT_CA / COHORT_CERT / COHORT_KEY /
// COHORT_PORT, then the file $COHORT_CONFIG or ~/.config/cohort/client.toml:
//
//   port = 7001
//   [tls]
//   ca = "/etc/cohort/ca.pem"
//   cert = "/home/alice/.config/cohort/alice.pem"
//   key = "/home/alice/.config/cohort/alice.key"
#pragma once

#include <cstdint>
#include <string>

#include "cohort/core/error.h"
#include "cohort/transport/tls.h"

namespace cohort::exec {

struct ClientConfig {
  tls::Files tls;
  std::uint16_t port = 0;  // 0: not set (load_client_config's result always has one, default 7001)
};

// $COHORT_CONFIG, else ~/.config/cohort/client.toml (empty without HOME).
std::string client_config_path();

// `flags` holds what the command line set (empty fields: not set, port 0: not set).
Result<ClientConfig> load_client_config(const ClientConfig& flags);

}  // namespace cohort::exec
