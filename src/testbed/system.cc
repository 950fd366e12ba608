#include "system.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace cohort::testbed::detail {
namespace {

Error classify(const Error& error) {
  const auto& m = error.message();
  if (m.find("Operation not permitted") != std::string::npos ||
      m.find("Permission denied") != std::string::npos) {
    return Error(Errc::permission_denied, m);
  }
  if (m.find("File exists") != std::string::npos) return Error(Errc::address_in_use, m);
  if (m.find("Cannot find device") != std::string::npos || m.find("No such file") != std::string::npos) {
    return Error(Errc::not_found, m);
  }
  return error;
}

}  // namespace

Result<std::string> ip_path() {
  static const Result<std::string> path = find_executable("ip");
  return path;
}

Result<std::string> ip_output(const std::vector<std::string>& args) {
  auto path = ip_path();
  if (!path) return path.error();
  std::vector<std::string> argv{*path};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = run_checked(argv, std::chrono::seconds(20));
  if (!result) return classify(result.error());
  return std::move(result->out);
}

Status ip(const std::vector<std::string>& args) {
  auto out = ip_output(args);
  if (!out) return out.error();
  return ok_status();
}

Status nft_in(const std::string& ns, const std::string& script) {
  auto nft = find_executable("nft");
  if (!nft) return nft.error();
  return ip({"netns", "exec", ns, *nft, script});
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  return names;
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::optional<unsigned long long> process_start_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(paren + 1));
  std::string field;
  // After the command name come fields 3.. ; the start time is field 22.
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return std::nullopt;
  }
  try {
    return std::stoull(field);
  } catch (...) {
    return std::nullopt;
  }
}

Status write_state_exclusive(const std::string& path, const StateRecord& record) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) return Error(Errc::address_in_use, path + " exists: the run name is taken");
  if (fd < 0) return Error::from_errno(errno, "create " + path);
  std::string text = "owner " + std::to_string(record.owner) + "\n";
  if (record.owner_start) text += "owner_start " + std::to_string(*record.owner_start) + "\n";
  text += "hosts " + std::to_string(record.hosts) + "\n";
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) return Error::from_errno(err, "write " + path);
  return ok_status();
}

std::optional<StateRecord> read_state(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  StateRecord record;
  std::string key;
  unsigned long long value = 0;
  while (in >> key >> value) {
    if (key == "owner") record.owner = static_cast<pid_t>(value);
    if (key == "owner_start") record.owner_start = value;
    if (key == "hosts") record.hosts = static_cast<int>(value);
  }
  return record;
}

bool owner_alive(pid_t owner, std::optional<unsigned long long> start) {
  if (owner <= 0) return false;
  if (::kill(owner, 0) != 0 && errno == ESRCH) return false;
  if (!start) return true;  // cannot tell a reused pid: assume alive, never remove a live run
  auto now = process_start_time(owner);
  return now && *now == *start;
}

}  // namespace cohort::testbed::detail
