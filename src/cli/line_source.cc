#include "line_source.h"

namespace cohort::cli {

Result<std::unique_ptr<LineSource>> LineSource::create(EventLoop& loop, int fd, std::size_t max_line,
                                                       LineCallback on_line, EofCallback on_eof,
                                                       std::function<void(std::size_t)> on_too_long) {
  std::unique_ptr<LineSource> source(new LineSource(max_line));
  source->on_line_ = std::move(on_line);
  source->on_eof_ = std::move(on_eof);
  source->on_too_long_ = std::move(on_too_long);
  LineSource* self = source.get();
  auto bytes = ByteSource::create(
      loop, fd, [self](ByteView chunk) { return self->take(chunk); }, [self] { self->end_of_input(); });
  if (!bytes) return bytes.error();
  source->bytes_ = std::move(*bytes);
  return source;
}

bool LineSource::take(ByteView chunk) {
  buffer_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
  return pass_lines();
}

void LineSource::end_of_input() {
  if (!buffer_.empty() || skipping_) buffer_ += '\n';
  if (pass_lines()) finish();
}

bool LineSource::pass_lines() {
  std::size_t start = 0;
  bool accepted = true;
  for (std::size_t nl; accepted && (nl = buffer_.find('\n', start)) != std::string::npos;) {
    std::string_view line(buffer_.data() + start, nl - start);
    if (skipping_ || line.size() > max_line_) {
      on_too_long_(skipped_ + line.size());
      skipping_ = false;
      skipped_ = 0;
    } else if (!on_line_(line)) {
      accepted = false;
      break;
    }
    start = nl + 1;
  }
  buffer_.erase(0, start);
  if (accepted && buffer_.size() > max_line_) {  // no end in sight: count it, keep nothing
    skipping_ = true;
    skipped_ += buffer_.size();
    buffer_.clear();
  }
  return accepted;
}

void LineSource::resume() {
  if (finished_) return;
  if (!pass_lines()) return;
  if (bytes_->at_eof()) return finish();
  bytes_->resume();
}

void LineSource::finish() {
  if (finished_) return;
  finished_ = true;
  on_eof_();
}

}  // namespace cohort::cli
