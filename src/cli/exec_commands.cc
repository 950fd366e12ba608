// `cohort exec`, and cohortd's task commands.
#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <optional>

#include "commands.h"
#include "remote_exec.h"
#include "remote_run.h"
#include "task_commands.h"

namespace cohort::cli {

namespace {

// The words after the options, then any after "--".
std::vector<std::string> command_words(std::vector<std::string> words) {
  words.insert(words.end(), trailing_words().begin(), trailing_words().end());
  return words;
}

// An unknown option before HOST is refused, not run as part of the command.
// ssh's USER@HOST (and -l) pick the remote account; here cohortd's account
// map does, from the certificate, so a user part would be silently wrong.
void check_host(const std::string& host, const std::vector<std::string>& before_host) {
  if (!before_host.empty()) {
    throw CLI::ValidationError("HOST", "unknown option '" + before_host.front() +
                                           "' (cohort exec --help lists the options)");
  }
  if (host.find('@') == std::string::npos) return;
  throw CLI::ValidationError("HOST", "'" + host + "': the remote account comes from cohortd's account map for your "
                                     "certificate, not from USER@; give the host alone");
}

// -o options: refused ones end parsing; ConnectTimeout stands in for an absent --connect-timeout.
void apply_ssh_config(const CLI::App& exec, ExecOptions& options) {
  for (const auto& option : options.ssh.config) {
    auto effect = ssh_config_option(option);
    if (!effect) throw CLI::ValidationError("-o", effect.error().message());
    if (effect->connect_timeout_s && exec.count("--connect-timeout") == 0) {
      options.client.connect_timeout_s = *effect->connect_timeout_s;
    }
  }
}

void add_exec(CLI::App& root, Action& action) {
  auto options = std::make_shared<ExecOptions>();
  CLI::App* exec = root.add_subcommand(
      "exec",
      "cohort exec [OPTIONS] HOST [--] [CMD...]: run CMD on HOST through its cohortd: stdin/stdout/stderr streamed byte-exact, the remote exit status "
      "returned (128+N for signal N), SIGINT/SIGTERM/SIGHUP/SIGQUIT forwarded. As rsh, the words of CMD are "
      "joined and run by the account's shell (so $VARS expand remotely) unless --exact. Exits 255 when cohort "
      "could not run it (the reason is printed), 124 on --timeout.");
  // CLI11 collects unknown options with the words after HOST (the command),
  // in order: what has piled up when HOST is parsed came before it.
  auto before_host = std::make_shared<std::optional<std::vector<std::string>>>();
  exec->validate_positionals();
  exec->add_option("HOST", options->host, "Host name or address, optionally :PORT")
      ->required()
      ->check(CLI::Validator(
          [exec, before_host](const std::string&) {
            if (!*before_host) *before_host = exec->remaining(false);
            return std::string();
          },
          "", "HOST"));
  // Everything after HOST is the command (none: a login shell on a tty), options included.
  exec->prefix_command();
  add_client_options(*exec, options->client);
  CLI::Option* tty =
      exec->add_flag("-t,--tty", options->tty, "Run on a pseudo-terminal (window size follows the local one)");
  exec->add_flag("-n,--no-stdin", options->no_stdin, "Give the command an empty stdin (as ssh -n)");
  add_task_options(*exec, options->task, "the command");
  exec->add_option("--env-pass", options->env_pass, "Pass the local value of NAME (repeatable)")->allow_extra_args(false);
  exec->add_flag("--detach", options->detach,
                 "Start the command, print its task id and return; it outlives the connection (see cohort ps/wait)");
  add_ssh_options(*exec, options->ssh);
  tty->excludes("-T");
  exec->callback([options, exec, before_host, &action] {
    check_host(options->host, before_host->value_or(std::vector<std::string>{}));
    apply_ssh_config(*exec, *options);
    options->command = command_words(exec->remaining());
    action = [options] { return run_exec(*options); };
  });
}

void add_run(CLI::App& root, Action& action) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* run = root.add_subcommand(
      "run",
      "cohort run [OPTIONS] [--] CMD...: run CMD as N ranks on the hosts through their cohortd (SPMD). Each rank gets COHORT_RANK, COHORT_SIZE, "
      "COHORT_NODE_RANK, COHORT_LOCAL_RANK, COHORT_NODES and COHORT_HOST; the launch is relayed through a tree of the "
      "hosts' daemons (--width). Output lines are prefixed by rank; "
      "a summary per host goes to stderr; exits with the worst rank status (255 if a rank could not run).");
  run->add_option("-n,--ranks", options->ranks, "Number of ranks (default: hosts x per-host)");
  run->add_option("--hosts", options->hosts, "Hosts, comma-separated or repeated (HOST or HOST:PORT)")
      ->allow_extra_args(false);
  run->add_option("--hostfile", options->hostfile, "File with one host per line ('#' comments)");
  run->add_option("--per-host", options->per_host, "Ranks per host")->capture_default_str()->check(CLI::PositiveNumber);
  run->add_option("--width", options->width,
                  "Branches per level of the launch tree: this command connects to W hosts, each relays to W more, "
                  "...; at least the number of hosts: one connection per host")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, exec::kMaxRunWidth));
  run->prefix_command();  // the first word that is no option starts the command
  add_client_options(*run, options->client);
  std::map<std::string, StdinTarget> stdin_targets{
      {"0", StdinTarget::rank0}, {"all", StdinTarget::all}, {"none", StdinTarget::none}};
  run->add_option("--stdin", options->stdin_target, "Where local stdin goes: 0 (rank 0), all, none")
      ->transform(CLI::CheckedTransformer(stdin_targets));
  run->add_flag_callback("--fold", [options] { options->output = OutputMode::folded; },
                         "Group ranks with identical output (as dshbak -c)");
  run->add_flag_callback("--raw", [options] { options->output = OutputMode::raw; },
                         "Pass output through as it comes, without rank prefixes");
  run->add_flag("--stop-on-failure", options->stop_on_failure,
                "SIGTERM every rank once one exits non-zero or cannot run");
  add_task_options(*run, options->task, "every rank");
  run->add_flag("-q,--quiet", options->quiet, "No per-host summary when every rank succeeded");
  run->callback([options, run, &action] {
    options->command = command_words(run->remaining());
    if (options->command.empty()) throw CLI::RequiredError("CMD");
    action = [options] { return run_ranks(*options); };
  });
}

void add_ps(CLI::App& root, Action& action) {
  auto options = std::make_shared<TaskCommandOptions>();
  CLI::App* ps = root.add_subcommand("ps", "List your tasks on each HOST (running and recently ended; root sees all)");
  ps->add_option("HOST", options->hosts, "Hosts to ask")->required();
  add_client_options(*ps, options->client);
  ps->add_flag("--watch", options->watch, "Keep printing every state change until interrupted");
  ps->add_flag("--json", options->json, "One JSON object per task and line");
  ps->callback([options, &action] { action = [options] { return run_ps(*options); }; });
}

void add_kill(CLI::App& root, Action& action) {
  auto options = std::make_shared<TaskCommandOptions>();
  CLI::App* kill = root.add_subcommand("kill", "Send a signal to task TASK on HOST (its whole process group)");
  kill->add_option("HOST", options->host, "Host")->required();
  kill->add_option("TASK", options->task_id, "Task id (from cohort ps or exec --detach)")->required();
  kill->add_option("-s,--signal", options->signal, "Signal name or number")->capture_default_str();
  add_client_options(*kill, options->client);
  kill->callback([options, &action] {
    options->hosts = {options->host};
    action = [options] { return run_kill(*options); };
  });
}

void add_wait(CLI::App& root, Action& action) {
  auto options = std::make_shared<TaskCommandOptions>();
  CLI::App* wait = root.add_subcommand(
      "wait", "Wait until task TASK on HOST has ended; exit with its status (128+N for signal N)");
  wait->add_option("HOST", options->host, "Host")->required();
  wait->add_option("TASK", options->task_id, "Task id")->required();
  wait->add_flag("--json", options->json, "Print the ended task as JSON");
  add_client_options(*wait, options->client);
  wait->callback([options, &action] {
    options->hosts = {options->host};
    action = [options] { return run_wait(*options); };
  });
}

}  // namespace

std::vector<std::string>& trailing_words() {
  static std::vector<std::string> words;
  return words;
}

void add_exec_commands(CLI::App& root, Action& action) {
  add_exec(root, action);
  add_run(root, action);
  add_ps(root, action);
  add_kill(root, action);
  add_wait(root, action);
}

}  // namespace cohort::cli
