// The fan-out of one hop of a relayed `cohort run`, on an EventLoop: one
// TLS connection per branch head (plan_branches over the hop's subtree, the
// run's width), each sent the signed run request with its own head and
// subtree; the ranks' events coming back, each checked against RunRoutes;
// input going down to the branch that holds a rank, or to all. A branch that
// cannot be reached, breaks, or leaves ranks unheard of past its deadline
// (one level timeout per level below it) costs exactly its ranks that have
// not ended, each reported as a refusal. Used by the client (the root of the
// tree) and by every relaying cohortd.
#pragma once

#include <openssl/ssl.h>

#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "cohort/core/event_loop.h"
#include "cohort/exec/client.h"
#include "cohort/exec/run_routes.h"

namespace cohort::exec {

class RunBranches {
 public:
  struct Callbacks {
    // A rank's event, from its branch or made up for a lost one; `frame` is
    // its encoding, to pass on unchanged.
    std::function<void(const RankEvent&, const Buffer& frame)> on_event;
    // Input may be sent again after send_input returned false.
    std::function<void()> on_input_writable;
  };
  // `request` carries the signed spec, certificate and signature, and the
  // subtree to fan out over; each branch gets its own head and subtree.
  RunBranches(EventLoop& loop, SSL_CTX* tls, RunRequest request, Duration connect_timeout,
              Callbacks callbacks);
  ~RunBranches();
  RunBranches(const RunBranches&) = delete;
  RunBranches& operator=(const RunBranches&) = delete;

  // Connects to every branch head; failures come back as events.
  void start();
  // Takes the input; false when a branch is backed up (wait for on_input_writable).
  bool send_input(const RankInput& input);
  // Stops (false) or resumes taking events from the branches.
  void set_reading(bool reading);
  // Ends every branch's connection (their daemons end their tasks).
  void close();
  bool done() const { return routes_.all_done(); }

 private:
  struct Link {
    std::string head;  // HOST:PORT
    std::unique_ptr<Connector> connector;
    std::deque<Buffer> held;  // input the stream refused, sent first when it drains
    EventLoop::TimerId deadline = 0;
    bool ready = false;
    bool closed = false;
  };
  void connect(std::size_t b);
  void ready(std::size_t b, TlsFramedStream& stream);
  void frame(std::size_t b, const Buffer& bytes);
  void push(std::size_t b, const Buffer& frame);
  void flush(std::size_t b);
  void maybe_unblock();
  void lose(std::size_t b, const Failure& failure);
  void overdue(std::size_t b);
  void end_link(Link& link);
  void refuse_ranks(std::size_t b, const std::vector<std::uint32_t>& ranks, const Failure& failure);
  bool any_held() const;

  EventLoop& loop_;
  SSL_CTX* tls_;
  RunRequest request_;
  Duration connect_timeout_;
  Callbacks callbacks_;
  RunRoutes routes_;
  std::vector<Link> links_;
  bool reading_ = true;
  bool input_blocked_ = false;
};

// The refusal a relay reports for a failure to reach or keep a branch.
RefusalReason refusal_reason(FailureKind kind);

}  // namespace cohort::exec
