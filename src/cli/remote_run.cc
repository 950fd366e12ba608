#include "remote_run.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <map>

#include "byte_source.h"
#include "cohort/core/event_loop.h"
#include "cohort/core/signals.h"
#include "cohort/exec/client.h"
#include "cohort/exec/run_session.h"
#include "commands.h"
#include "host_list.h"
#include "remote_exec.h"

namespace cohort::cli {

namespace {

struct Rank {
  RankPlacement place;
  bool done = false;
  std::optional<exec::TaskExit> exit;
  std::optional<exec::Failure> failure;
};

class RankRun {
 public:
  RankRun(EventLoop& loop, const RunOptions& options, std::vector<RankPlacement> places)
      : loop_(loop), options_(options), output_(options.output, labels(places)) {
    for (auto& place : places) ranks_.push_back(Rank{std::move(place)});
  }

  int run(ClientSetup& setup) {
    remaining_ = ranks_.size();
    start(setup);
    if (Status s = watch_signals(); !s) {
      print_error("run", s.error().message());
      return kExitExecFailed;
    }
    start_stdin();
    if (remaining_ > 0) (void)loop_.run();
    output_.finish();
    return summarise();
  }

 private:
  static std::vector<std::string> labels(const std::vector<RankPlacement>& places) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < places.size(); ++i) out.push_back(std::to_string(i));
    return out;
  }

  exec::RunSpec spec(const ClientSetup& setup) const {
    exec::RunSpec spec;
    spec.base = task_request(options_.command, options_.task);
    for (const Rank& rank : ranks_) {
      if (rank.place.local_rank == 0) spec.nodes.push_back(exec::with_port(rank.place.host, setup.config.port));
    }
    spec.per_host = static_cast<std::uint32_t>(options_.per_host);
    spec.ranks = static_cast<std::uint32_t>(ranks_.size());
    spec.width = static_cast<std::uint32_t>(options_.width);
    spec.level_timeout_ms = static_cast<std::uint32_t>(
        std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(setup.connect_timeout).count()));
    spec.stdin_target = options_.stdin_target;
    return spec;
  }

  void start(ClientSetup& setup) {
    exec::RunSession::Callbacks callbacks;
    callbacks.on_output = [this](std::uint32_t rank, exec::Stream stream, ByteView bytes) {
      output_.add(rank, stream, bytes);
    };
    callbacks.on_exit = [this](std::uint32_t rank, exec::TaskExit exit) {
      ranks_[rank].exit = exit;
      if (exit.shell_status() != 0) first_failure();
      ended(rank);
    };
    callbacks.on_failure = [this](std::uint32_t rank, exec::Failure failure) {
      ranks_[rank].failure = std::move(failure);
      first_failure();
      ended(rank);
    };
    callbacks.on_stdin_writable = [this] {
      if (stdin_) stdin_->resume();
    };
    auto session = exec::RunSession::start(loop_, setup.tls.get(), spec(setup), setup.connect_timeout,
                                           std::move(callbacks));
    if (!session) {
      for (std::uint32_t rank = 0; rank < ranks_.size(); ++rank) {
        ranks_[rank].failure = exec::Failure{exec::FailureKind::refused, session.error().message()};
        ended(rank);
      }
      return;
    }
    session_ = std::move(*session);
  }

  void start_stdin() {
    if (options_.stdin_target != StdinTarget::none) {
      auto source = ByteSource::create(
          loop_, STDIN_FILENO, [this](ByteView chunk) { return to_stdin(chunk); }, [this] { to_stdin({}); });
      if (source) {
        stdin_ = std::move(*source);
        return;
      }
    }
    to_stdin({});
  }

  // Returns false (pause) while the ranks that take stdin are backed up.
  bool to_stdin(ByteView chunk) { return session_ == nullptr || session_->send_stdin(chunk); }

  Status watch_signals() {
    auto watcher = SignalWatcher::create(loop_, {SIGINT, SIGTERM, SIGHUP, SIGQUIT}, [this](int sig) {
      ++interrupts_;
      signal_all(interrupts_ >= 3 ? SIGKILL : sig);  // a third Ctrl-C stops waiting politely
    });
    if (!watcher) return watcher.error();
    signals_ = std::move(*watcher);
    return ok_status();
  }

  void signal_all(int sig) {
    if (session_) session_->signal(sig);
  }

  void first_failure() {
    if (!options_.stop_on_failure || stopping_) return;
    stopping_ = true;
    signal_all(SIGTERM);
  }

  void ended(std::uint32_t index) {
    Rank& rank = ranks_[index];
    if (rank.done) return;
    rank.done = true;
    output_.end_rank(index);
    if (--remaining_ == 0) loop_.stop();
  }

  // Per host: how its ranks ended. Returns the worst status (255 if any
  // rank could not run), 0 when all succeeded.
  int summarise() {
    int worst = 0;
    std::map<std::string, std::vector<std::string>> problems;
    std::map<std::string, std::size_t> ok;
    for (std::size_t index = 0; index < ranks_.size(); ++index) {
      const Rank& rank = ranks_[index];
      const std::string& host = rank.place.host;
      if (rank.failure) {
        problems[host].push_back("rank " + std::to_string(index) + ": " +
                                 std::string(exec::to_string(rank.failure->kind)) + ": " + rank.failure->detail);
        worst = kExitExecFailed;
      } else if (rank.exit && rank.exit->shell_status() != 0) {
        int status = rank.exit->shell_status();
        problems[host].push_back("rank " + std::to_string(index) + " " +
                                 (rank.exit->signal != 0 ? "killed by signal " + std::to_string(rank.exit->signal)
                                                         : "exited " + std::to_string(status)));
        worst = std::max(worst, status);
      } else {
        ++ok[host];
      }
    }
    if (options_.quiet && problems.empty()) return worst;
    std::vector<std::string> hosts;
    for (const Rank& rank : ranks_) {
      if (hosts.empty() || hosts.back() != rank.place.host) hosts.push_back(rank.place.host);
    }
    for (const auto& host : hosts) {
      std::string line = host + ": " + std::to_string(ok[host]) + " ok";
      for (const auto& p : problems[host]) line += "; " + p;
      std::cerr << "cohort run: " << line << "\n";
    }
    return worst;
  }

  EventLoop& loop_;
  const RunOptions& options_;
  RunOutput output_;
  std::vector<Rank> ranks_;
  std::unique_ptr<exec::RunSession> session_;
  std::unique_ptr<ByteSource> stdin_;
  std::unique_ptr<SignalWatcher> signals_;
  std::size_t remaining_ = 0;
  int interrupts_ = 0;
  bool stopping_ = false;
};

}  // namespace

Result<std::vector<RankPlacement>> place_ranks(const RunOptions& options) {
  std::vector<std::string> hosts = split_commas(options.hosts);
  if (!options.hostfile.empty()) {
    auto more = read_hostfile(options.hostfile);
    if (!more) return more.error();
    hosts.insert(hosts.end(), more->begin(), more->end());
  }
  if (hosts.empty()) return Error(Errc::invalid_argument, "no hosts: give --hosts H1,H2,... or --hostfile FILE");
  std::size_t slots = hosts.size() * options.per_host;
  std::size_t n = options.ranks == 0 ? slots : options.ranks;
  if (n > slots) {
    return Error(Errc::invalid_argument, std::to_string(n) + " ranks do not fit on " + std::to_string(hosts.size()) +
                                             " hosts x " + std::to_string(options.per_host) +
                                             " per host; add hosts or raise --per-host");
  }
  std::vector<RankPlacement> places;
  for (std::size_t r = 0; r < n; ++r) places.push_back({hosts[r / options.per_host], r / options.per_host,
                                                        r % options.per_host});
  return places;
}

int run_ranks(const RunOptions& options) {
  auto places = place_ranks(options);
  if (!places) {
    print_error("run", places.error().message());
    return kExitUsage;
  }
  auto setup = prepare_client(options.client);
  if (!setup) {
    print_error("run", setup.error().message());
    return kExitExecFailed;
  }
  auto loop = EventLoop::create();
  if (!loop) return kExitExecFailed;
  signal(SIGPIPE, SIG_IGN);
  RankRun run(**loop, options, std::move(*places));
  return run.run(*setup);
}

}  // namespace cohort::cli
