#include "cast_options.h"

#include <unistd.h>

#include <limits>
#include <type_traits>

#include "cast_common.h"
#include "cohort/core/config.h"
#include "cohort/exec/client_config.h"
#include "host_list.h"

namespace cohort::cli {

namespace {

// The [cast] table, if the configuration file exists.
Result<std::optional<Config>> cast_config() {
  std::string path = exec::client_config_path();
  if (path.empty() || access(path.c_str(), R_OK) != 0) return std::optional<Config>();
  auto file = Config::load_file(path);
  if (!file) return file.error();
  return std::optional<Config>(std::move(*file));
}

// The flag's value, else the file's [cast] KEY, else `fallback`.
template <typename T>
Result<T> setting(const std::optional<T>& flag, const std::optional<Config>& file, const std::string& key,
                  T fallback) {
  if (flag) return *flag;
  if (!file || !file->has("cast." + key)) return fallback;
  if constexpr (std::is_same_v<T, std::string>) {
    auto text = file->get_string("cast." + key);
    if (text) return *text;
    auto number = file->get_double("cast." + key);  // loss = 0.05, rate = 1e9
    if (!number) return text.error();
    return std::to_string(*number);
  } else if constexpr (std::is_same_v<T, bool>) {
    return file->get_bool("cast." + key);
  } else if constexpr (std::is_floating_point_v<T>) {
    return file->get_double("cast." + key);
  } else {
    auto number = file->get_int("cast." + key);
    if (!number) return number.error();
    if (*number < 0 || *number > std::numeric_limits<T>::max()) {
      return Error(Errc::invalid_argument, file->source() + ": cast." + key + " = " + std::to_string(*number) +
                                               " is out of range");
    }
    return static_cast<T>(*number);
  }
}

Result<std::vector<std::string>> hosts_of(const CastOptions& options, const std::optional<Config>& file) {
  if (auto hosts = split_commas(options.to); !hosts.empty()) return hosts;
  if (!options.all) return Error(Errc::invalid_argument, "no receivers: give --to HOST[,HOST...] or --all");
  auto hostfile = setting<std::string>(options.hostfile.empty() ? std::nullopt : std::optional(options.hostfile),
                                       file, "hostfile", "");
  if (!hostfile) return hostfile.error();
  if (!hostfile->empty()) return read_hostfile(*hostfile);
  if (file && file->has("cast.hosts")) return file->get_strings("cast.hosts");
  return Error(Errc::invalid_argument, "--all needs the hosts: give --hostfile FILE, or set hosts = [...] or "
                                       "hostfile = \"...\" under [cast] in " + exec::client_config_path());
}

Status fill_params(CastSettings& out, const CastOptions& options, const std::optional<Config>& file) {
  filecast::SessionParams defaults;
  auto block = setting(options.block_size, file, "block_size", defaults.block_size);
  if (!block) return block.error();
  auto k = setting(options.group_size, file, "group_size", defaults.k);
  if (!k) return k.error();
  auto repair = setting(options.repair_channels, file, "repair_channels", defaults.repair_channels);
  if (!repair) return repair.error();
  auto loss = setting<std::string>(options.loss, file, "loss", "adaptive");
  if (!loss) return loss.error();
  auto rate = setting<std::string>(options.rate, file, "rate", kDefaultRate);
  if (!rate) return rate.error();
  auto expected = parse_loss(*loss);
  if (!expected) return expected.error();
  auto bits = parse_rate(*rate);
  if (!bits) return bits.error();
  out.params = filecast::SessionParams{*block, *k, *repair, *expected, *bits};
  out.group_size_chosen = options.group_size.has_value() || (file && file->has("cast.group_size"));
  auto budget = setting(options.straggler_budget, file, "straggler_budget", kDefaultStragglerBudget);
  if (!budget) return budget.error();
  if (!(*budget > 0 && *budget <= 86400)) {
    return Error(Errc::invalid_argument, "--straggler-budget must be more than 0 and at most 86400 seconds, not " +
                                             std::to_string(*budget));
  }
  out.straggler_budget = std::chrono::milliseconds(static_cast<std::int64_t>(*budget * 1000));
  return ok_status();
}

Status fill_network(CastSettings& out, const CastOptions& options, const std::optional<Config>& file) {
  auto encrypt = setting(options.encrypt ? std::optional(true) : std::nullopt, file, "encrypt", false);
  auto unicast = setting(options.unicast ? std::optional(true) : std::nullopt, file, "unicast", false);
  auto group = setting<std::string>(options.multicast_group, file, "multicast_group", kDefaultGroup);
  auto port = setting(options.port, file, "port", kDefaultCastPort);
  auto interface = setting<std::string>(options.interface, file, "interface", "");
  auto remote = setting<std::string>(options.remote_cohort, file, "remote_cohort", "cohort");
  if (!encrypt) return encrypt.error();
  if (!unicast) return unicast.error();
  if (!group) return group.error();
  if (!port) return port.error();
  if (!interface) return interface.error();
  if (!remote) return remote.error();
  out.encrypt = *encrypt;
  out.unicast = *unicast;
  out.multicast_group = *group;
  out.port = *port;
  out.interface = *interface;
  out.remote_cohort = *remote;
  return ok_status();
}

}  // namespace

void add_cast_options(CLI::App& command, CastOptions& options) {
  command.add_option("FILE", options.files, "Files and directory trees to send (placed as cp -r places them)")
      ->required();
  command.add_option("--to", options.to, "Receiving hosts, comma-separated or repeated (HOST or HOST:PORT of cohortd)")
      ->allow_extra_args(false);
  command.add_flag("--all", options.all, "Every host of --hostfile, else of [cast] hosts/hostfile in client.toml");
  command.add_option("--hostfile", options.hostfile, "File with one host per line ('#' comments), for --all");
  command.add_option("--dest", options.dest,
                     "Directory to place FILE... in on every host (relative: to the home; {host} becomes the host's "
                     "name, for hosts that share a file system)")
      ->required();
  command.add_flag("--json", options.json, "Print a machine-readable final report on stdout");
  command.add_option("--block-size", options.block_size, "Payload bytes per packet (default 1360: fits a 1500 MTU)");
  command.add_option("-k,--group-size", options.group_size,
                     "Data packets per FEC group (default 128 for casts of 12,288 blocks or more, about 16 MB "
                     "at the default block size, else 64)");
  command.add_option("--repair-channels", options.repair_channels, "Repair channels T; group g's on 1 + g % T (default 4)");
  command.add_option("--loss", options.loss, "Expected loss for proactive repair: 5%, 0.05, or adaptive (default)");
  command.add_option("--rate", options.rate,
                     std::string("Cap in bits/s on the sender's link, e.g. 900M, 2.5G; 0: none (default ") +
                         kDefaultRate + ")");
  command.add_option("--straggler-budget", options.straggler_budget,
                     "Seconds an unfinished receiver may hold the cast once the others are done and nothing is being "
                     "sent; then it is dropped and keeps what it has for the next cast (default 30)");
  command.add_flag("--encrypt", options.encrypt, "Seal every datagram (XChaCha20-Poly1305, a fresh key per cast)");
  command.add_flag("--unicast", options.unicast, "No IP multicast: every receiver gets its own copy of each datagram");
  command.add_option("--multicast-group", options.multicast_group,
                     std::string("First multicast group; channel c uses the group + c (default ") + kDefaultGroup + ")");
  command.add_option("--port", options.port, "UDP port of the multicast channels (default 7067)");
  command.add_option("--interface", options.interface, "Interface to multicast on (default: the one toward the hosts)");
  command.add_option("--remote-cohort", options.remote_cohort,
                     "The cohort program on the hosts (default: cohort on the account's PATH)");
  add_client_options(command, options.client, "--daemon-port");
}

Result<CastSettings> resolve_cast_settings(const CastOptions& options) {
  auto file = cast_config();
  if (!file) return file.error();
  CastSettings out;
  if (Status s = fill_params(out, options, *file); !s) return s.error();
  if (Status s = fill_network(out, options, *file); !s) return s.error();
  auto hosts = hosts_of(options, *file);
  if (!hosts) return hosts.error();
  if (hosts->empty()) return Error(Errc::invalid_argument, "the host list is empty");
  out.hosts = std::move(*hosts);
  return out;
}

}  // namespace cohort::cli
