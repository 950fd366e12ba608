// A `cohort group join` process seen from a test: its stdin is a FIFO the
// test writes lines to (closing it is the member's end of input), its stdout
// and history go to files the test reads. Shared by the loopback test
// (tests/unit/cli) and the namespace test (tests/cluster).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace cohort::testing {

struct ViewLine {
  std::string id;
  std::size_t size = 0;
  bool primary = false;
};

class GroupMember {
 public:
  // `name` names the files in `dir`: NAME.in (FIFO), NAME.out, NAME.err, NAME.jsonl.
  GroupMember(const std::filesystem::path& dir, const std::string& name) : base_(dir / name) {
    std::string in = path(".in");
    unlink(in.c_str());
    if (mkfifo(in.c_str(), 0600) == 0) fd_ = open(in.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  }
  ~GroupMember() { close_input(); }
  GroupMember(const GroupMember&) = delete;
  GroupMember& operator=(const GroupMember&) = delete;

  bool ok() const { return fd_ >= 0; }
  std::string path(const char* suffix) const { return base_.string() + suffix; }
  std::string history() const { return path(".jsonl"); }

  // A shell command line that runs the member with its files attached.
  std::vector<std::string> argv(const std::string& cohort, const std::vector<std::string>& args) const {
    std::string command = "exec '" + cohort + "' group join";
    for (const std::string& a : args) command += " '" + a + "'";
    command += " --history '" + history() + "' <'" + path(".in") + "' >'" + path(".out") + "' 2>'" + path(".err") + "'";
    return {"/bin/sh", "-c", command};
  }

  // False if the pipe is full (the member is not reading: back-pressure).
  bool write_line(const std::string& line) {
    std::string data = line + "\n";
    return fd_ >= 0 && write(fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  }
  void close_input() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  std::string out() const { return read(".out"); }
  std::string err() const { return read(".err"); }

  // The last view the member printed ("view ID primary|non-primary members A B ... [joined ...] [left ...]").
  ViewLine last_view() const {
    std::istringstream in(out());
    std::string line;
    ViewLine last;
    while (std::getline(in, line)) {
      if (line.rfind("view ", 0) != 0) continue;
      std::istringstream words(line);
      std::string word, kind, members;
      ViewLine v;
      words >> word >> v.id >> kind >> members;
      v.primary = kind == "primary";
      while (words >> word && word != "joined" && word != "left") ++v.size;
      last = v;
    }
    return last;
  }
  bool delivered(const std::string& text) const { return out().find(": " + text + "\n") != std::string::npos; }

  // The member's endpoint, from the first line of its history.
  std::string endpoint() const {
    std::string first = read(".jsonl");
    auto at = first.find("\"member\":\"");
    if (at == std::string::npos) return {};
    at += 10;
    return first.substr(at, first.find('"', at) - at);
  }
  // What the harness writes for a member it killed: it cannot write it itself.
  void record_crash() const {
    std::ofstream(history(), std::ios::app) << "{\"ev\":\"exit\",\"member\":\"" << endpoint()
                                            << "\",\"reason\":\"crash\"}\n";
  }

 private:
  std::string read(const char* suffix) const {
    std::ifstream in(path(suffix));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::filesystem::path base_;
  int fd_ = -1;
};

}  // namespace cohort::testing
