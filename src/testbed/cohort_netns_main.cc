// cohort-netns: the testbed from the shell, for benchmark scripts and manual
// experiments. Runs made here are named like the library's, owned by --owner
// (a script's $$) so `cleanup --stale` removes them once that owner is gone.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cohort/testbed/testbed.h"

namespace tb = cohort::testbed;

namespace {

int fail(const cohort::Error& error) {
  std::cerr << "cohort-netns: " << error.to_string() << "\n";
  return 1;
}

int report(const cohort::Status& status) { return status ? 0 : fail(status.error()); }

cohort::Result<std::vector<int>> parse_hosts(const std::string& text) {
  std::vector<int> hosts;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      std::size_t used = 0;
      int host = std::stoi(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
      hosts.push_back(host);
    } catch (const std::exception&) {
      return cohort::Error(cohort::Errc::invalid_argument, "not a host list: '" + text + "' (want e.g. 0,1)");
    }
  }
  if (hosts.empty()) return cohort::Error(cohort::Errc::invalid_argument, "empty host list");
  return hosts;
}

void print_run(const tb::Testbed& bed) {
  std::cout << bed.name() << "\n";
  for (int h = 0; h < bed.host_count(); ++h) {
    std::cout << h << " " << bed.netns(h) << " " << bed.address(h) << "\n";
  }
}

std::vector<std::string> run_env(const tb::Testbed& bed) {
  std::vector<std::string> env{"COHORT_RUN=" + bed.name(), "COHORT_HOSTS=" + std::to_string(bed.host_count())};
  for (int h = 0; h < bed.host_count(); ++h) {
    env.push_back("COHORT_HOST_" + std::to_string(h) + "_NS=" + bed.netns(h));
    env.push_back("COHORT_HOST_" + std::to_string(h) + "_ADDR=" + bed.address(h));
  }
  return env;
}

int cmd_with(int hosts, int timeout_s, const std::vector<std::string>& command) {
  auto bed = tb::Testbed::create({hosts, 0});
  if (!bed) return fail(bed.error());
  tb::RunOptions options;
  options.capture = false;
  options.new_process_group = false;  // stays in the terminal's group: Ctrl-C reaches it
  options.timeout = std::chrono::seconds(timeout_s);
  options.env = run_env(*bed);
  auto child = tb::Child::start(command, options);
  if (!child) return fail(child.error());
  bed->adopt(*child);  // a SIGTERM to us ends the command too, not only the run
  auto result = child->wait(options.timeout);
  if (!result && result.error().code() == cohort::Errc::timed_out) {
    (void)child->kill(SIGKILL);
    result = child->wait(std::chrono::seconds(10));
    if (result) result->timed_out = true;
  }
  auto destroyed = bed->destroy();
  if (!result) return fail(result.error());
  if (!destroyed) return fail(destroyed.error());
  if (result->timed_out) {
    std::cerr << "cohort-netns: command timed out after " << timeout_s << " s\n";
    return 124;
  }
  return result->term_signal != 0 ? 128 + result->term_signal : result->exit_code;
}

int cmd_exec(const std::string& run, int host, const std::vector<std::string>& command) {
  auto bed = tb::Testbed::attach(run);
  if (!bed) return fail(bed.error());
  if (host < 0 || host >= bed->host_count()) {
    return fail(cohort::Error(cohort::Errc::invalid_argument, "no host " + std::to_string(host) + " in " + run));
  }
  auto ip = tb::find_executable("ip");
  if (!ip) return fail(ip.error());
  std::vector<std::string> argv{*ip, "netns", "exec", bed->netns(host)};
  argv.insert(argv.end(), command.begin(), command.end());
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  ::execv(ip->c_str(), c_argv.data());
  return fail(cohort::Error::from_errno(errno, "exec " + *ip));
}

int cmd_list() {
  auto runs = tb::list_runs();
  if (!runs) return fail(runs.error());
  for (const auto& run : *runs) {
    std::cout << run.name << " owner " << run.owner << (run.owner_alive ? " alive" : " gone") << " hosts "
              << run.hosts << (run.has_state ? "" : " (no state file)") << "\n";
  }
  return 0;
}

int cmd_cleanup(bool all) {
  auto removed = tb::cleanup_runs(all ? tb::CleanupScope::all : tb::CleanupScope::stale);
  if (!removed) return fail(removed.error());
  for (const auto& run : *removed) std::cout << "removed " << run << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort-netns: multi-host testbeds of network namespaces on a private bridge"};
  app.require_subcommand(1);

  int hosts = 3;
  int owner = 0;
  int host = 0;
  int other = 0;
  int percent = 0;
  int timeout_s = 3600;
  std::string run;
  std::string side_a;
  std::string side_b;
  std::string mode;
  std::vector<std::string> command;
  bool stale = false;
  bool all = false;

  auto* create = app.add_subcommand("create", "Create a run; prints its name, then `HOST NETNS ADDRESS` lines");
  create->add_option("--hosts", hosts, "Number of hosts")->required()->check(CLI::Range(1, tb::names::kMaxHosts));
  create->add_option("--owner", owner, "Pid whose death makes the run stale (default: this session's leader; "
                                   "scripts should pass $$)");

  auto* with = app.add_subcommand("with", "Create a run, run CMD in the root namespace with COHORT_* variables "
                                          "set, then destroy the run whatever happens");
  with->add_option("--hosts", hosts, "Number of hosts")->required()->check(CLI::Range(1, tb::names::kMaxHosts));
  with->add_option("--timeout-s", timeout_s, "Kill CMD after this many seconds")->check(CLI::PositiveNumber);
  with->add_option("command", command, "Command (after --)")->required();

  auto* exec = app.add_subcommand("exec", "Run CMD inside a host of a run");
  exec->add_option("run", run, "Run name")->required();
  exec->add_option("host", host, "Host index")->required();
  exec->add_option("command", command, "Command (after --)")->required();

  auto* loss = app.add_subcommand("loss", "Drop PCT percent of the packets arriving at HOST (0 removes)");
  loss->add_option("run", run, "Run name")->required();
  loss->add_option("host", host, "Host index")->required();
  loss->add_option("percent", percent, "Loss in percent")->required()->check(CLI::Range(0, 100));

  auto* partition = app.add_subcommand("partition", "Cut all traffic between host sets A and B (e.g. 0 1,2)");
  partition->add_option("run", run, "Run name")->required();
  partition->add_option("a", side_a, "Hosts on one side, comma separated")->required();
  partition->add_option("b", side_b, "Hosts on the other side, comma separated")->required();

  auto* block = app.add_subcommand("block", "Drop packets from FROM to TO (one direction only)");
  block->add_option("run", run, "Run name")->required();
  block->add_option("from", host, "Sending host")->required();
  block->add_option("to", other, "Receiving host")->required();

  auto* heal = app.add_subcommand("heal", "Remove all partitions and one-way blocks of a run");
  heal->add_option("run", run, "Run name")->required();

  auto* hub = app.add_subcommand("hub", "Hub mode on or off (bridge ageing_time 0: every host sees all unicast)");
  hub->add_option("run", run, "Run name")->required();
  hub->add_option("mode", mode, "on or off")->required()->check(CLI::IsMember({"on", "off"}));

  auto* destroy = app.add_subcommand("destroy", "Remove a run: its processes, namespaces, links and state");
  destroy->add_option("run", run, "Run name")->required();

  auto* cleanup = app.add_subcommand("cleanup", "Remove runs whose owner is gone (default) or all runs");
  auto* stale_flag = cleanup->add_flag("--stale", stale, "Only runs whose owner process is gone (default)");
  cleanup->add_flag("--all", all, "Every run, including live ones")->excludes(stale_flag);

  app.add_subcommand("list", "List runs with owner and host count");

  CLI11_PARSE(app, argc, argv);

  auto attached = [&]() { return tb::Testbed::attach(run); };
  if (create->parsed()) {
    // Not the parent by default: in `RUN=$(cohort-netns create ... | head -1)`
    // that is a subshell that exits at once, and the run would count as stale.
    pid_t session = ::getsid(0);
    auto bed = tb::Testbed::create({hosts, owner != 0 ? owner : (session > 0 ? session : ::getppid())});
    if (!bed) return fail(bed.error());
    bed->release();
    print_run(*bed);
    return 0;
  }
  if (with->parsed()) return cmd_with(hosts, timeout_s, command);
  if (exec->parsed()) return cmd_exec(run, host, command);
  if (loss->parsed()) {
    auto bed = attached();
    return bed ? report(bed->set_loss(host, percent)) : fail(bed.error());
  }
  if (partition->parsed()) {
    auto a = parse_hosts(side_a);
    auto b = parse_hosts(side_b);
    if (!a) return fail(a.error());
    if (!b) return fail(b.error());
    auto bed = attached();
    return bed ? report(bed->partition(*a, *b)) : fail(bed.error());
  }
  if (block->parsed()) {
    auto bed = attached();
    return bed ? report(bed->block_one_way(host, other)) : fail(bed.error());
  }
  if (heal->parsed()) {
    auto bed = attached();
    return bed ? report(bed->heal()) : fail(bed.error());
  }
  if (hub->parsed()) {
    auto bed = attached();
    return bed ? report(bed->set_hub_mode(mode == "on")) : fail(bed.error());
  }
  if (destroy->parsed()) return report(tb::destroy_run(run));
  if (cleanup->parsed()) return cmd_cleanup(all);
  return cmd_list();
}
