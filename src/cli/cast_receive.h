// `cohort cast-receive`: the receiving end of `cohort cast`, started on each
// host through cohortd as the mapped user. Its stdin and stdout are the
// authenticated channel to the sender: it prints its UDP port, reads the
// session setup (one length-framed message), receives into a FileSink under
// --dest and reports progress and the verified result as JSON lines
// (docs/filecast.md, "The receiver's report lines").
#pragma once

#include <string>

namespace cohort::cli {

// Exit statuses of cohort cast-receive.
inline constexpr int kReceiveComplete = 0;  // every file verified and in place
inline constexpr int kReceiveFailed = 1;    // stopped or failed; part files kept for resume

struct CastReceiveOptions {
  std::string bind;  // the IP the sender reaches this host at
  int port = 0;
  std::string dest;
  std::string interface;
};

int run_cast_receive(const CastReceiveOptions& options);

}  // namespace cohort::cli
