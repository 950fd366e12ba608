#include "run_output.h"

#include <unistd.h>

#include "local_output.h"

namespace cohort::cli {

namespace {

void write_fd(int fd, const std::string& text) {
  (void)write_fully(fd, ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace

void RunOutput::add(std::uint32_t rank, exec::Stream stream, ByteView bytes) {
  if (mode_ == OutputMode::raw) {
    (void)write_fully(local_fd(stream), bytes);
    return;
  }
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (mode_ == OutputMode::folded) {
    folded_[rank] += text;
    return;
  }
  partial_[{rank, static_cast<int>(stream)}] += text;
  emit_lines(rank, stream, false);
}

void RunOutput::emit_lines(std::uint32_t rank, exec::Stream stream, bool flush_partial) {
  std::string& buffer = partial_[{rank, static_cast<int>(stream)}];
  std::string out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
    out += labels_[rank] + ": " + buffer.substr(start, nl - start + 1);
  }
  buffer.erase(0, start);
  if (flush_partial && !buffer.empty()) {
    out += labels_[rank] + ": " + buffer + "\n";
    buffer.clear();
  }
  if (!out.empty()) write_fd(local_fd(stream), out);
}

void RunOutput::end_rank(std::uint32_t rank) {
  if (mode_ != OutputMode::prefixed) return;
  emit_lines(rank, exec::Stream::stdout_, true);
  emit_lines(rank, exec::Stream::stderr_, true);
}

void RunOutput::finish() {
  if (mode_ != OutputMode::folded) return;
  std::map<std::string, std::vector<std::uint32_t>> groups;
  for (std::uint32_t rank = 0; rank < labels_.size(); ++rank) groups[folded_[rank]].push_back(rank);
  for (const auto& [text, ranks] : groups) {
    std::string header = "ranks " + rank_ranges(ranks) + " (" + std::to_string(ranks.size()) + ")";
    std::string rule(header.size(), '-');
    write_fd(STDOUT_FILENO, rule + "\n" + header + "\n" + rule + "\n" + text +
                                (text.empty() || text.back() == '\n' ? "" : "\n"));
  }
}

std::string rank_ranges(const std::vector<std::uint32_t>& ranks) {
  std::string out;
  for (std::size_t i = 0; i < ranks.size();) {
    std::size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(ranks[i]);
    if (j > i) out += "-" + std::to_string(ranks[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace cohort::cli
