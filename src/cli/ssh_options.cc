#include "ssh_options.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace cohort::cli {

namespace {

constexpr const char* kGroup = "ssh compatibility (for launchers written for ssh; docs/exec.md)";

// `-o` names that change nothing here, and the one value each allows (empty:
// any). Why each is harmless: cohort never prompts (BatchMode), never
// forwards an agent or X11, always checks the daemon's certificate against
// the cluster CA instead of known_hosts files, and prints only errors.
struct IgnoredConfig {
  std::string_view name;  // lower case
  std::string_view only_value;
};
constexpr std::array<IgnoredConfig, 7> kIgnored = {{
    {"batchmode", ""},
    {"forwardagent", "no"},
    {"forwardx11", "no"},
    {"stricthostkeychecking", ""},
    {"userknownhostsfile", ""},
    {"globalknownhostsfile", ""},
    {"loglevel", ""},
}};
constexpr std::string_view kAccepted =
    "BatchMode, ConnectTimeout, ForwardAgent=no, ForwardX11=no, StrictHostKeyChecking, UserKnownHostsFile, "
    "GlobalKnownHostsFile, LogLevel";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

Error refused(std::string_view option, std::string_view why) {
  return Error(Errc::invalid_argument, "'" + std::string(option) + "': " + std::string(why));
}

Result<SshConfigEffect> connect_timeout(std::string_view option, std::string_view value) {
  int seconds = 0;
  auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (err != std::errc() || end != value.data() + value.size() || seconds <= 0) {
    return refused(option, "ConnectTimeout takes whole seconds > 0");
  }
  return SshConfigEffect{static_cast<double>(seconds)};
}

}  // namespace

Result<SshConfigEffect> ssh_config_option(std::string_view option) {
  std::string_view text = trim(option);
  std::size_t split = text.find_first_of("= \t");
  std::string name = lower(text.substr(0, split));
  std::string_view value = split == std::string_view::npos ? std::string_view{} : trim(text.substr(split));
  if (value.starts_with('=')) value = trim(value.substr(1));
  if (value.empty()) return refused(option, "want Name=value");
  if (name == "connecttimeout") return connect_timeout(option, value);
  for (const auto& ignored : kIgnored) {
    if (name != ignored.name) continue;
    if (ignored.only_value.empty() || lower(value) == ignored.only_value) return SshConfigEffect{};
    return refused(option, "cohort exec never forwards an agent or X11; only 'no' is accepted");
  }
  return refused(option, "not an ssh option cohort exec accepts (accepted: " + std::string(kAccepted) + ")");
}

void add_ssh_options(CLI::App& command, SshOptions& options) {
  for (auto [flag, why] : {std::pair{"-x", "as ssh -x (no X11 forwarding): cohort never forwards X11"},
                           {"-a", "as ssh -a (no agent forwarding): cohort never forwards an agent"},
                           {"-q", "as ssh -q: cohort exec prints nothing of its own but errors"}}) {
    command.add_flag(flag)->description(std::string("Accepted and ignored, ") + why)->group(kGroup);
  }
  command.add_flag("-T", options.no_tty, "No pseudo-terminal, not even for a login shell (as ssh -T)")
      ->group(kGroup);
  command
      .add_flag_callback(
          "-X,-Y",
          [] { throw CLI::ValidationError("-X/-Y", "cohort exec does not forward X11; leave -X/-Y out"); },
          "Refused: cohort exec does not forward X11")
      ->group(kGroup);
  command
      .add_option(
          "-o", options.config,
          "An ssh option Name=value (repeatable): BatchMode, StrictHostKeyChecking, UserKnownHostsFile, "
          "GlobalKnownHostsFile, LogLevel are ignored, ForwardAgent=no and ForwardX11=no too, "
          "ConnectTimeout=S is --connect-timeout; any other is refused")
      ->allow_extra_args(false)
      ->group(kGroup);
}

}  // namespace cohort::cli
