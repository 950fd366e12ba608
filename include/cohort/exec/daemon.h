// cohortd, the per-host daemon: accepts TLS 1.3 connections from clients
// holding a cluster certificate, authorises each request, runs tasks as the
// mapped account and relays their streams; answers ps / kill / wait / watch;
// shuts down ending or detaching its tasks as configured.
#pragma once

#include <functional>
#include <memory>

#include "cohort/core/error.h"
#include "cohort/core/event_loop.h"
#include "cohort/exec/daemon_config.h"
#include "cohort/transport/address.h"

namespace cohort::exec {

class Daemon {
 public:
  // Loads the keys and the account map and binds the listen address; any
  // problem with them is an error here, before anyone is served.
  static Result<std::unique_ptr<Daemon>> create(EventLoop& loop, const DaemonConfig& config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  Address address() const;
  // Stops accepting, then ends or detaches the tasks (config.on_shutdown);
  // `done` runs on the loop once nothing is left to wait for.
  void shutdown(std::function<void()> done);
  std::size_t running_tasks() const;

 private:
  struct State;
  explicit Daemon(std::unique_ptr<State> state);
  void accept_all();
  std::unique_ptr<State> state_;
};

}  // namespace cohort::exec
