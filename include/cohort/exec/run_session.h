// The client's end of a relayed `cohort run`: signs the run with the key of
// the client's own certificate, fans it out as the root of the tree
// (RunBranches over every node: with a width of at least the number of
// nodes, one connection per node) and hands each rank's output, exit or
// failure to the caller; stdin goes to the run's stdin target, signals to
// every rank.
#pragma once

#include <openssl/ssl.h>

#include <functional>
#include <memory>

#include "cohort/exec/run_branches.h"

namespace cohort::exec {

class RunSession {
 public:
  struct Callbacks {
    std::function<void(std::uint32_t rank, Stream, ByteView)> on_output;
    std::function<void(std::uint32_t rank, TaskExit)> on_exit;
    std::function<void(std::uint32_t rank, Failure)> on_failure;
    // Stdin may be sent again after send_stdin returned false.
    std::function<void()> on_stdin_writable;
  };
  // `tls` holds the user's certificate and key: they authenticate the
  // connections and sign the spec.
  static Result<std::unique_ptr<RunSession>> start(EventLoop& loop, SSL_CTX* tls, RunSpec spec,
                                                   Duration connect_timeout, Callbacks callbacks);
  // Stdin bytes for the stdin target (an empty view ends stdin); false: the
  // bytes were taken but wait for on_stdin_writable.
  bool send_stdin(ByteView bytes);
  void signal(int signal);

 private:
  explicit RunSession(Callbacks callbacks) : callbacks_(std::move(callbacks)) {}
  void event(const RankEvent& event);

  Callbacks callbacks_;
  StdinTarget stdin_target_ = StdinTarget::none;
  std::unique_ptr<RunBranches> branches_;
};

// Signs `spec` as the owner of `tls`'s certificate: a request for the root
// of the tree, its subtree every node.
Result<RunRequest> signed_run_request(SSL_CTX* tls, RunSpec spec);

}  // namespace cohort::exec
