// collect_entries: FILE... arguments to session entries, as `cp -r` places
// them (files.h says what is carried, skipped and refused).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>
#include <set>

#include "cohort/filecast/files.h"
#include "cohort/transport/unique_fd.h"

namespace cohort::filecast {
namespace {

const char* special_kind(mode_t mode) {
  if (S_ISLNK(mode)) return "symbolic link";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "device";
  return "special file";
}

Status check_readable(const std::string& path, bool directory) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0)));
  if (fd.get() < 0) return Error::from_errno(errno, path);
  return ok_status();
}

// The name `cp -r` gives the argument under the destination.
Result<std::string> destination_name(const std::string& arg) {
  std::string trimmed = arg;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  std::string name = trimmed.substr(trimmed.rfind('/') + 1);
  if (name == "." || name == "..") {
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(trimmed.c_str(), nullptr), &std::free);
    if (!real) return Error::from_errno(errno, arg);
    std::string resolved = real.get();
    name = resolved.substr(resolved.rfind('/') + 1);
  }
  if (name.empty() || name == "/") {
    return Error(Errc::invalid_argument, arg + ": cannot cast the root directory; name what is below it");
  }
  return name;
}

class Collector {
 public:
  Status add_argument(const std::string& arg) {
    struct stat st {};
    if (::stat(arg.c_str(), &st) != 0) return Error::from_errno(errno, arg);
    Result<std::string> name = destination_name(arg);
    if (!name) return name.error();
    if (!names_.insert(*name).second) {
      return Error(Errc::invalid_argument, arg + ": another argument also lands on \"" + *name +
                                               "\" in the destination; cast them separately");
    }
    if (S_ISREG(st.st_mode)) return add_file(arg, *name, st);
    if (S_ISDIR(st.st_mode)) return add_tree(arg, *name, st);
    return Error(Errc::invalid_argument, arg + " is a " + special_kind(st.st_mode) +
                                             "; filecast carries regular files and directories");
  }

  LocalContent take() { return std::move(out_); }

 private:
  Status add_file(const std::string& local, const std::string& path, const struct stat& st) {
    if (Status s = check_readable(local, false); !s) return s;
    add(CastEntry::Kind::file, local, path, st);
    return ok_status();
  }

  Status add_tree(const std::string& local, const std::string& path, const struct stat& st) {
    if (Status s = check_readable(local, true); !s) return s;
    add(CastEntry::Kind::directory, local, path, st);
    Result<std::vector<std::string>> names = list_directory(local);
    if (!names) return names.error();
    for (const std::string& name : *names) {
      if (Status s = add_child(local + "/" + name, path + "/" + name); !s) return s;
    }
    return ok_status();
  }

  Status add_child(const std::string& local, const std::string& path) {
    struct stat st {};
    if (::lstat(local.c_str(), &st) != 0) return Error::from_errno(errno, local);
    if (S_ISREG(st.st_mode)) return add_file(local, path, st);
    if (S_ISDIR(st.st_mode)) return add_tree(local, path, st);
    out_.skipped.push_back(local + ": " + special_kind(st.st_mode) + ", not carried");
    return ok_status();
  }

  // Sorted, so that a tree gives the same session every time.
  static Result<std::vector<std::string>> list_directory(const std::string& local) {
    struct CloseDir {
      void operator()(DIR* d) const { ::closedir(d); }
    };
    std::unique_ptr<DIR, CloseDir> dir(::opendir(local.c_str()));
    if (!dir) return Error::from_errno(errno, local);
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(dir.get())) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
      errno = 0;
    }
    if (errno != 0) return Error::from_errno(errno, "listing " + local);
    std::sort(names.begin(), names.end());
    return names;
  }

  void add(CastEntry::Kind kind, const std::string& local, const std::string& path, const struct stat& st) {
    CastEntry entry;
    entry.kind = kind;
    entry.path = path;
    entry.size = kind == CastEntry::Kind::file ? static_cast<std::uint64_t>(st.st_size) : 0;
    entry.mode = st.st_mode & 0777;
    out_.entries.push_back(std::move(entry));
    out_.local_paths.push_back(local);
  }

  LocalContent out_;
  std::set<std::string> names_;
};

}  // namespace

Result<LocalContent> collect_entries(const std::vector<std::string>& args) {
  if (args.empty()) return Error(Errc::invalid_argument, "no files to cast: name at least one file or directory");
  Collector collector;
  for (const std::string& arg : args) {
    if (Status s = collector.add_argument(arg); !s) return s.error();
  }
  return collector.take();
}

}  // namespace cohort::filecast
