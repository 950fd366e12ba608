// cohortd's part of a relayed `cohort run`, owned by the connection that
// brought the (verified, authorised) run request: it starts this node's
// ranks as tasks with their rank variables, fans the request out to its
// branches (RunBranches, with this host's certificate), and sends every
// rank's events up the connection, its own tasks' and its branches' alike;
// input from above goes to the local tasks and to the branch that holds the
// rank. Back-pressure: while the connection up refuses frames, the branches
// are not read and the tasks' output pauses. When the connection up goes,
// the tasks end and the branches close, so their daemons end theirs.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "cohort/exec/run_branches.h"
#include "daemon_context.h"

namespace cohort::exec {

class RunRelay {
 public:
  // Who the ranks run for.
  struct Runner {
    Account account;
    std::string identity;
    std::string peer;  // for the log
  };
  RunRelay(DaemonContext& context, TlsFramedStream& up, const RunRequest& request, Runner runner);
  ~RunRelay();
  RunRelay(const RunRelay&) = delete;
  RunRelay& operator=(const RunRelay&) = delete;

  void start();
  void on_input(const RankInput& input);
  // The connection up can take frames again.
  void up_writable();
  // The connection up has gone: end the tasks, close the branches.
  void up_gone();

 private:
  class RankSink;
  void start_rank(std::uint32_t rank);
  std::vector<std::string> rank_env(std::uint32_t rank) const;
  void to_local(std::uint32_t rank, const RankCommand& input);
  bool try_send_up(const RankEvent& event);
  void send_up(const Buffer& frame);
  void block_input(const void* who, bool blocked);
  void task_ended(std::uint64_t task_id);
  void finish_when_done();

  DaemonContext& context_;
  TlsFramedStream& up_;
  RunRequest request_;
  Runner runner_;
  std::unique_ptr<RunBranches> branches_;
  std::map<std::uint32_t, std::unique_ptr<RankSink>> sinks_;  // local rank -> its tasks' sink
  std::map<std::uint32_t, std::uint64_t> tasks_;              // local rank -> running task id
  std::deque<Buffer> held_;                                   // frames the connection up refused
  std::set<const void*> input_blockers_;
  std::optional<TaskRegistry::WatchId> watch_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool started_ = false;
  bool gone_ = false;
};

}  // namespace cohort::exec
