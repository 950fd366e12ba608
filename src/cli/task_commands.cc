#include "task_commands.h"

#include <csignal>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cohort/core/event_loop.h"
#include "cohort/exec/client.h"
#include "commands.h"
#include "remote_exec.h"

namespace cohort::cli {

namespace {

std::string exit_text(const exec::TaskInfo& t) {
  if (t.state == exec::TaskState::running) return "-";
  if (t.exit.signal != 0) return std::string("signal ") + std::to_string(t.exit.signal);
  return std::to_string(t.exit.code);
}

nlohmann::json to_json(const std::string& host, const exec::TaskInfo& t) {
  return {{"host", host},
          {"task", t.task_id},
          {"pid", t.pid},
          {"state", t.state == exec::TaskState::running ? "running" : "ended"},
          {"exit_code", t.exit.code},
          {"signal", t.exit.signal},
          {"identity", t.identity},
          {"account", t.account},
          {"command", t.command},
          {"started_unix_ms", t.started_unix_ms},
          {"ended_unix_ms", t.ended_unix_ms},
          {"user_cpu_us", t.user_cpu_us},
          {"system_cpu_us", t.system_cpu_us},
          {"max_rss_kib", t.max_rss_kib}};
}

void print_task(const std::string& host, const exec::TaskInfo& t, bool json) {
  if (json) {
    std::cout << to_json(host, t).dump() << std::endl;
    return;
  }
  char line[512];
  std::snprintf(line, sizeof line, "%-16s %6llu %7u %-7s %-9s %-10s %8.2f %8llu  ", host.c_str(),
                static_cast<unsigned long long>(t.task_id), t.pid,
                t.state == exec::TaskState::running ? "running" : "ended", exit_text(t).c_str(), t.account.c_str(),
                static_cast<double>(t.user_cpu_us + t.system_cpu_us) / 1e6,
                static_cast<unsigned long long>(t.max_rss_kib));
  std::cout << line << t.command << std::endl;
}

Result<int> parse_signal(const std::string& text) {
  std::string name = text.rfind("SIG", 0) == 0 ? text.substr(3) : text;
  if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
    int number = std::atoi(name.c_str());
    if (number > 0 && number < NSIG) return number;
  }
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev) return sig;
  }
  return Error(Errc::invalid_argument, "unknown signal '" + text + "' (write TERM, KILL, INT, 9, ...)");
}

// Runs one control request on each host; returns how many failed.
int control_all(const char* command, const TaskCommandOptions& options, exec::ControlRequest request,
                const std::function<void(const std::string&, const exec::TaskInfo&)>& on_task) {
  auto setup = prepare_client(options.client);
  if (!setup) {
    print_error(command, setup.error().message());
    return static_cast<int>(options.hosts.size());
  }
  auto loop = EventLoop::create();
  if (!loop) return static_cast<int>(options.hosts.size());
  int failed = 0;
  std::size_t open = 0;
  std::vector<std::unique_ptr<exec::ControlSession>> sessions;
  for (const auto& host : options.hosts) {
    auto target = exec::resolve_target(host, setup->config.port);
    if (!target) {
      print_error(command, host + ": unreachable: " + target.error().message());
      ++failed;
      continue;
    }
    request.nonce = exec::random_nonce();
    request.expires_unix_ms = exec::expiry_from_now(30'000);
    exec::ControlSession::Callbacks callbacks;
    auto end_one = [&] {
      if (--open == 0) (*loop)->stop();
    };
    callbacks.on_task = [&on_task, host](const exec::TaskInfo& info) { on_task(host, info); };
    callbacks.on_done = end_one;
    callbacks.on_failure = [&, host, end_one](exec::Failure f) {
      print_error(command, host + ": " + std::string(exec::to_string(f.kind)) + ": " + f.detail);
      ++failed;
      end_one();
    };
    auto session = exec::ControlSession::start(**loop, setup->tls.get(), *target, request, setup->connect_timeout,
                                               std::move(callbacks));
    if (!session) {
      print_error(command, host + ": " + session.error().message());
      ++failed;
      continue;
    }
    sessions.push_back(std::move(*session));
    ++open;
  }
  if (open > 0) (void)(*loop)->run();
  return failed;
}

}  // namespace

int run_ps(const TaskCommandOptions& options) {
  if (!options.json) {
    std::printf("%-16s %6s %7s %-7s %-9s %-10s %8s %8s  %s\n", "HOST", "TASK", "PID", "STATE", "EXIT", "ACCOUNT",
                "CPU_S", "RSS_KIB", "COMMAND");
  }
  exec::ControlRequest request;
  request.op = options.watch ? exec::ControlOp::watch : exec::ControlOp::list;
  int failed = control_all("ps", options, request,
                           [&](const std::string& host, const exec::TaskInfo& t) { print_task(host, t, options.json); });
  return failed == 0 ? kExitOk : kExitFailure;
}

int run_kill(const TaskCommandOptions& options) {
  auto sig = parse_signal(options.signal);
  if (!sig) {
    print_error("kill", sig.error().message());
    return kExitUsage;
  }
  exec::ControlRequest request;
  request.op = exec::ControlOp::kill;
  request.task_id = options.task_id;
  request.signal = static_cast<std::uint8_t>(*sig);
  int failed = control_all("kill", options, request, [](const std::string&, const exec::TaskInfo&) {});
  return failed == 0 ? kExitOk : kExitFailure;
}

int run_wait(const TaskCommandOptions& options) {
  exec::ControlRequest request;
  request.op = exec::ControlOp::wait;
  request.task_id = options.task_id;
  int status = kExitExecFailed;
  int failed = control_all("wait", options, request, [&](const std::string& host, const exec::TaskInfo& t) {
    if (options.json) print_task(host, t, true);
    status = t.exit.shell_status();
  });
  return failed == 0 ? status : kExitExecFailed;
}

}  // namespace cohort::cli
