// What every client command of cohortd shares: the key options, the
// configuration lookup (flags, environment, client.toml) and the TLS context.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cohort/core/clock.h"
#include "cohort/exec/client_config.h"
#include "cohort/exec/protocol.h"
#include "cohort/transport/tls.h"

namespace cohort::cli {

struct ClientOptions {
  exec::ClientConfig flags;
  double connect_timeout_s = 10;
};

// `port_flag` names the option for cohortd's port (cast keeps --port for its own).
void add_client_options(CLI::App& command, ClientOptions& options, const std::string& port_flag = "--port");

struct ClientSetup {
  exec::ClientConfig config;
  tls::ContextPtr tls;
  Duration connect_timeout;
};

Result<ClientSetup> prepare_client(const ClientOptions& options);

// What `exec` and `run` both ask of the remote command.
struct TaskOptions {
  std::vector<std::string> env;  // NAME=VALUE
  std::string cwd;
  bool exact = false;  // argv as given, no remote shell
  double timeout_s = 0;
  double kill_after_s = 5;
};

// -e, -C, --exact, --timeout, --kill-after; `whom` ends their help ("the command").
void add_task_options(CLI::App& command, TaskOptions& options, const std::string& whom);

// A fresh request (nonce, expiry) for `argv` with `options` applied.
exec::ExecRequest task_request(const std::vector<std::string>& argv, const TaskOptions& options);

// "cohort CMD: message" on stderr.
void print_error(std::string_view command, std::string_view message);

}  // namespace cohort::cli
