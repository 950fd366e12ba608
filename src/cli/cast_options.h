// `cohort cast`'s options and where their values come from: the command
// line, else the [cast] table of the client configuration (client.toml, see
// docs/filecast.md), else the defaults below.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client_setup.h"
#include "cohort/filecast/session.h"

namespace cohort::cli {

// 900 Mbit/s of payload: with UDP/IP/Ethernet headers a 1 Gbit/s link, the
// slowest in common cluster use, is never overrun, so a cast on a LAN needs
// no tuning; faster links take --rate or [cast] rate.
inline constexpr const char* kDefaultRate = "900M";
inline constexpr const char* kDefaultGroup = "239.255.67.1";  // channel c: the group's last byte + c
inline constexpr std::uint16_t kDefaultCastPort = 7067;
inline constexpr double kDefaultStragglerBudget = 30;  // seconds

struct CastOptions {
  ClientOptions client;
  std::vector<std::string> files;
  std::vector<std::string> to;
  bool all = false;
  std::string hostfile;
  std::string dest;
  bool json = false;
  bool encrypt = false;
  bool unicast = false;
  // Unset: [cast] in the configuration, else the default.
  std::optional<std::uint32_t> block_size;
  std::optional<std::uint16_t> group_size;
  std::optional<std::uint16_t> repair_channels;
  std::optional<std::string> loss;
  std::optional<std::string> rate;
  std::optional<std::string> multicast_group;
  std::optional<std::uint16_t> port;
  std::optional<std::string> interface;
  std::optional<std::string> remote_cohort;
  std::optional<double> straggler_budget;  // seconds
};

void add_cast_options(CLI::App& command, CastOptions& options);

// Everything a cast needs, decided.
struct CastSettings {
  filecast::SessionParams params;  // rate_bits_per_s: on the sender's link, all receivers together
  bool group_size_chosen = false;  // by -k or group_size; else K follows the content's size
  bool encrypt = false;
  bool unicast = false;
  std::string multicast_group;
  std::uint16_t port = 0;
  std::string interface;
  std::string remote_cohort;
  std::vector<std::string> hosts;
  // How long an unfinished receiver may hold the cast once the others are
  // done and nothing more is being sent; then it is dropped.
  std::chrono::milliseconds straggler_budget{0};
};

// Errors: invalid_argument (a bad value, no hosts), the configuration file's.
Result<CastSettings> resolve_cast_settings(const CastOptions& options);

}  // namespace cohort::cli
