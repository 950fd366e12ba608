// cohortd: the per-host daemon of cohort exec / run (docs/exec.md).
#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <iostream>

#include "cohort/core/event_loop.h"
#include "cohort/core/log.h"
#include "cohort/core/signals.h"
#include "cohort/exec/daemon.h"

namespace {

struct Options {
  std::string config = "/etc/cohort/cohortd.toml";
  std::string listen, log_file, log_level, address_file;
  bool check = false;
};

cohort::Status init_logging(const cohort::exec::DaemonConfig& config) {
  if (config.log_file.empty()) return cohort::log::init("cohortd", config.log_level);
  return cohort::log::init_file("cohortd", config.log_file, config.log_level);
}

int fail(const std::string& message) {
  std::cerr << "cohortd: " << message << "\n";
  return 1;
}

int serve(const Options& options) {
  auto config = cohort::exec::load_daemon_config(options.config);
  if (!config) return fail(config.error().message());
  if (!options.listen.empty()) config->listen = options.listen;
  if (!options.log_file.empty()) config->log_file = options.log_file;
  if (!options.log_level.empty()) config->log_level = options.log_level;
  if (cohort::Status s = init_logging(*config); !s) return fail(s.error().message());
  signal(SIGPIPE, SIG_IGN);  // a task that closed its stdin is an error value, not a signal
  auto loop = cohort::EventLoop::create();
  if (!loop) return fail(loop.error().message());
  auto daemon = cohort::exec::Daemon::create(**loop, *config);
  if (!daemon) return fail(daemon.error().message());
  if (options.check) {
    std::cout << "cohortd: " << options.config << " is valid\n";
    return 0;
  }
  std::string address = (*daemon)->address().to_string();
  if (!options.address_file.empty()) std::ofstream(options.address_file) << address << "\n";
  bool stopping = false;
  auto signals = cohort::SignalWatcher::create(**loop, {SIGINT, SIGTERM}, [&](int sig) {
    if (stopping) return;
    stopping = true;
    cohort::log::info("signal {}: shutting down", sig);
    (*daemon)->shutdown([&] { (*loop)->stop(); });
  });
  if (!signals) return fail(signals.error().message());
  cohort::log::info("cluster {} listening on {}", config->cluster, address);
  if (cohort::Status s = (*loop)->run(); !s) return fail(s.error().message());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohortd: the cohort host daemon; runs tasks for authenticated, authorised users (docs/exec.md)"};
  Options options;
  app.add_option("-c,--config", options.config, "TOML configuration file")->capture_default_str();
  app.add_option("--listen", options.listen, "Override the listen address, IP:PORT (port 0: any free port)");
  app.add_option("--log-file", options.log_file, "Log to FILE instead of stderr (the journal under systemd)");
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error or off");
  app.add_option("--address-file", options.address_file, "Write the bound IP:PORT to FILE once listening");
  app.add_flag("--check", options.check, "Load the configuration, keys and account map, bind, and exit");
  CLI11_PARSE(app, argc, argv);
  return serve(options);
}
