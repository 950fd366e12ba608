// `cohort group join`: one member of a group as a process. Prints the views
// it installs and the messages it delivers on stdout, casts each line of
// stdin, leaves at the end of stdin (or on SIGINT/SIGTERM), and may write its
// history for cohort-check-history.
#pragma once

#include <optional>
#include <string>

#include "cohort/group/node.h"

namespace cohort::cli {

struct JoinOptions {
  std::string group;
  std::string stack = group::kDefaultNodeStack;
  std::optional<NodeId> id;
  std::string listen;   // ADDR:PORT; empty: this node's entry in the peers
  std::string peers;    // list or file; empty: a group of one
  std::string history;  // empty: none
  bool stay = false;
  bool rejoin = false;
  double leave_timeout_s = 3.0;
};

// Runs until the member has left; returns the exit status.
int run_join(const JoinOptions& options);

}  // namespace cohort::cli
