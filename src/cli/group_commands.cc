// `cohort group ...` subcommands.
#include <CLI/CLI.hpp>
#include <memory>

#include "commands.h"
#include "group_join.h"

namespace cohort::cli {

namespace {

void add_join(CLI::App& group, Action& action) {
  auto options = std::make_shared<JoinOptions>();
  CLI::App* join = group.add_subcommand(
      "join",
      "Join group NAME: print views and deliveries, multicast each line of stdin; leave at the end of stdin "
      "or on SIGINT/SIGTERM");
  join->add_option("NAME", options->group, "Group name; groups with other names ignore each other")->required();
  join->add_option("--stack", options->stack, "Layers, top to bottom (see docs/group.md)")
      ->capture_default_str();
  join->add_option("--id", options->id,
                   "This member's node id (default: the peer whose address is --listen, or 1 alone)");
  join->add_option("--listen", options->listen, "UDP address to bind, IP:PORT (default: this node's peer entry)");
  join->add_option("--peers", options->peers,
                   "Nodes that may hold members: ID=IP:PORT,... or a file of such entries (default: alone)");
  join->add_option("--history", options->history,
                   "Write this member's history (JSON lines) to FILE, for cohort-check-history");
  join->add_flag("--stay", options->stay, "Stay in the group at the end of stdin (until SIGINT/SIGTERM)");
  join->add_flag("--rejoin", options->rejoin,
                 "This node was a member before (a restart): take a new incarnation from the clock and never bootstrap a primary view alone. Required when restarting a member; without it the process is the node's first incarnation (0)");
  join->add_option("--leave-timeout", options->leave_timeout_s,
                   "Seconds to wait for the group to let us go before exiting anyway")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  join->callback([options, &action] { action = [options] { return run_join(*options); }; });
}

}  // namespace

void add_group_commands(CLI::App& root, Action& action) {
  CLI::App* group = root.add_subcommand("group", "Process groups: join one, see its views and messages");
  group->require_subcommand(1);
  add_join(*group, action);
}

}  // namespace cohort::cli
