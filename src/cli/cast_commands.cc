// `cohort cast` and `cohort cast-receive` (docs/filecast.md).
#include <CLI/CLI.hpp>
#include <memory>

#include "cast_receive.h"
#include "cast_send.h"
#include "commands.h"

namespace cohort::cli {

namespace {

void add_cast(CLI::App& root, Action& action) {
  auto options = std::make_shared<CastOptions>();
  CLI::App* cast = root.add_subcommand(
      "cast",
      "cohort cast FILE... (--to HOST[,HOST...] | --all) --dest PATH: send files and directory trees to many hosts "
      "at once by IP multicast with FEC repair (SRFTT); each host receives through its cohortd as your mapped "
      "account, verifies every file's SHA-256 and only then puts it in place. Exits 0 when every host reported a "
      "verified copy, 1 when any did not (running the same command again resumes it), 2 when nothing was sent.");
  add_cast_options(*cast, *options);
  cast->callback([options, &action] { action = [options] { return run_cast(*options); }; });
}

void add_cast_receive(CLI::App& root, Action& action) {
  auto options = std::make_shared<CastReceiveOptions>();
  CLI::App* receive = root.add_subcommand(
      "cast-receive",
      "The receiving end of cohort cast, started by it on each host through cohortd: you do not run it yourself. "
      "Prints its UDP port as a JSON line, reads the session setup on stdin, receives into --dest and prints JSON "
      "progress lines and a final complete/failed line. Exits 0 only when every file is verified and in place; "
      "stopped (stdin closed, SIGTERM) it keeps its part files for the next cast to resume.");
  receive->add_option("--bind", options->bind, "The IP the sender reaches this host at")->required();
  receive->add_option("--port", options->port, "UDP port to bind (default: any free one)")
      ->check(CLI::Range(0, 65535));
  receive->add_option("--dest", options->dest, "Directory to receive into (relative: to the working directory)")
      ->required();
  receive->add_option("--interface", options->interface, "Interface to join the multicast groups on "
                                                         "(default: the one holding --bind)");
  receive->callback([options, &action] { action = [options] { return run_cast_receive(*options); }; });
}

}  // namespace

void add_cast_commands(CLI::App& root, Action& action) {
  add_cast(root, action);
  add_cast_receive(root, action);
}

}  // namespace cohort::cli
