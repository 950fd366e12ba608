#include "cohort/exec/protocol.h"

#include "cohort/core/bytes.h"

namespace cohort::exec {

namespace {

enum class Type : std::uint8_t { request = 1, chunk = 2, signal = 3, window = 4, exit = 5, refusal = 6 };

constexpr std::uint8_t kExpandEnv = 1, kTty = 2;

void put_strings(ByteWriter& w, const std::vector<std::string>& list) {
  w.u32(static_cast<std::uint32_t>(list.size()));
  for (const auto& s : list) w.string(s);
}

std::vector<std::string> get_strings(ByteReader& r, std::size_t max_count, const char* what) {
  std::uint32_t n = r.u32();
  if (n > max_count) {
    r.fail(Errc::too_large, std::to_string(n) + " " + what + " exceed the limit of " + std::to_string(max_count));
    return {};
  }
  std::vector<std::string> out;
  for (std::uint32_t i = 0; i < n && !r.failed(); ++i) out.push_back(r.string(kMaxArgBytes));
  return out;
}

struct Encoder {
  ByteWriter& w;
  void operator()(const ExecRequest& m) const {
    w.u8(static_cast<std::uint8_t>(Type::request));
    w.bytes(m.nonce);
    w.u64(m.expires_unix_ms);
    put_strings(w, m.argv);
    put_strings(w, m.env);
    w.string(m.cwd);
    w.u8(static_cast<std::uint8_t>((m.expand_env ? kExpandEnv : 0) | (m.tty ? kTty : 0)));
    w.u16(m.rows);
    w.u16(m.cols);
  }
  void operator()(const StreamChunk& m) const {
    w.u8(static_cast<std::uint8_t>(Type::chunk));
    w.u8(static_cast<std::uint8_t>(m.stream));
    w.blob(m.bytes);
  }
  void operator()(const SignalTask& m) const {
    w.u8(static_cast<std::uint8_t>(Type::signal));
    w.u8(m.signal);
  }
  void operator()(const WindowSize& m) const {
    w.u8(static_cast<std::uint8_t>(Type::window));
    w.u16(m.rows);
    w.u16(m.cols);
  }
  void operator()(const TaskExit& m) const {
    w.u8(static_cast<std::uint8_t>(Type::exit));
    w.u8(m.code);
    w.u8(m.signal);
  }
  void operator()(const Refusal& m) const {
    w.u8(static_cast<std::uint8_t>(Type::refusal));
    w.u8(static_cast<std::uint8_t>(m.reason));
    w.string(m.detail);
  }
};

ExecRequest get_request(ByteReader& r) {
  ExecRequest m;
  ByteView nonce = r.bytes(m.nonce.size());
  if (!r.failed()) std::copy(nonce.begin(), nonce.end(), m.nonce.begin());
  m.expires_unix_ms = r.u64();
  m.argv = get_strings(r, kMaxArgs, "arguments");
  m.env = get_strings(r, kMaxEnv, "environment variables");
  m.cwd = r.string(kMaxPathBytes);
  std::uint8_t flags = r.u8();
  if (flags & ~(kExpandEnv | kTty)) r.fail(Errc::malformed, "unknown request flags");
  m.expand_env = (flags & kExpandEnv) != 0;
  m.tty = (flags & kTty) != 0;
  m.rows = r.u16();
  m.cols = r.u16();
  if (!r.failed() && m.argv.empty()) r.fail(Errc::malformed, "a request names no program");
  return m;
}

StreamChunk get_chunk(ByteReader& r) {
  StreamChunk m;
  std::uint8_t stream = r.u8();
  if (stream > static_cast<std::uint8_t>(Stream::stderr_)) r.fail(Errc::malformed, "unknown stream");
  m.stream = static_cast<Stream>(stream);
  ByteView bytes = r.blob(kMaxChunkBytes);
  m.bytes.assign(bytes.begin(), bytes.end());
  return m;
}

Refusal get_refusal(ByteReader& r) {
  Refusal m;
  std::uint8_t reason = r.u8();
  if (reason < 1 || reason > static_cast<std::uint8_t>(RefusalReason::bad_request)) {
    r.fail(Errc::malformed, "unknown refusal reason");
  }
  m.reason = static_cast<RefusalReason>(reason);
  m.detail = r.string(kMaxReasonBytes);
  return m;
}

Result<ExecMessage> get_message(ByteReader& r) {
  switch (static_cast<Type>(r.u8())) {
    case Type::request:
      return ExecMessage{get_request(r)};
    case Type::chunk:
      return ExecMessage{get_chunk(r)};
    case Type::signal:
      return ExecMessage{SignalTask{r.u8()}};
    case Type::window: {
      WindowSize m;
      m.rows = r.u16();
      m.cols = r.u16();
      return ExecMessage{m};
    }
    case Type::exit: {
      TaskExit m;
      m.code = r.u8();
      m.signal = r.u8();
      return ExecMessage{m};
    }
    case Type::refusal:
      return ExecMessage{get_refusal(r)};
  }
  return Error(Errc::malformed, "unknown exec message type");
}

}  // namespace

Buffer encode(const ExecMessage& message) {
  ByteWriter w(64);
  std::visit(Encoder{w}, message);
  return w.finish();
}

Result<ExecMessage> decode(ByteView bytes) {
  ByteReader r(bytes);
  auto message = get_message(r);
  if (!message) return message.error();
  if (Status s = r.finish(); !s) return s.error();
  return message;
}

std::string_view to_string(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::authentication:
      return "authentication refused";
    case RefusalReason::not_authorised:
      return "not authorised";
    case RefusalReason::replayed:
      return "request replayed";
    case RefusalReason::expired:
      return "request expired";
    case RefusalReason::spawn_failed:
      return "spawn failed";
    case RefusalReason::timed_out:
      return "timed out";
    case RefusalReason::limit_reached:
      return "limit reached";
    case RefusalReason::bad_request:
      return "bad request";
  }
  return "unknown reason";
}

}  // namespace cohort::exec
