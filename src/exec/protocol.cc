#include "cohort/exec/protocol.h"

#include "cohort/core/bytes.h"

namespace cohort::exec {

namespace {

enum class Type : std::uint8_t {
  request = 1,
  chunk = 2,
  signal = 3,
  window = 4,
  exit = 5,
  refusal = 6,
  started = 7,
  control = 8,
  task_info = 9,
  end_of_list = 10,
};

constexpr std::uint8_t kExpandEnv = 1, kTty = 2, kDetach = 4;

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
    w.u8(static_cast<std::uint8_t>((m.expand_env ? kExpandEnv : 0) | (m.tty ? kTty : 0) | (m.detach ? kDetach : 0)));
    w.u16(m.rows);
    w.u16(m.cols);
    w.u64(m.timeout_ms);
    w.u32(m.kill_after_ms);
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
  void operator()(const TaskStarted& m) const {
    w.u8(static_cast<std::uint8_t>(Type::started));
    w.u64(m.task_id);
    w.u32(m.pid);
  }
  void operator()(const ControlRequest& m) const {
    w.u8(static_cast<std::uint8_t>(Type::control));
    w.bytes(m.nonce);
    w.u64(m.expires_unix_ms);
    w.u8(static_cast<std::uint8_t>(m.op));
    w.u64(m.task_id);
    w.u8(m.signal);
  }
  void operator()(const TaskInfo& m) const {
    w.u8(static_cast<std::uint8_t>(Type::task_info));
    w.u64(m.task_id);
    w.u32(m.pid);
    w.u8(static_cast<std::uint8_t>(m.state));
    w.u8(m.exit.code);
    w.u8(m.exit.signal);
    w.string(m.identity);
    w.string(m.account);
    w.string(m.command);
    for (std::uint64_t v : {m.started_unix_ms, m.ended_unix_ms, m.user_cpu_us, m.system_cpu_us, m.max_rss_kib}) {
      w.u64(v);
    }
  }
  void operator()(const EndOfList&) const { w.u8(static_cast<std::uint8_t>(Type::end_of_list)); }
};

Nonce get_nonce(ByteReader& r) {
  Nonce nonce{};
  ByteView bytes = r.bytes(nonce.size());
  if (!r.failed()) std::copy(bytes.begin(), bytes.end(), nonce.begin());
  return nonce;
}

ControlRequest get_control(ByteReader& r) {
  ControlRequest m;
  m.nonce = get_nonce(r);
  m.expires_unix_ms = r.u64();
  std::uint8_t op = r.u8();
  if (op < 1 || op > static_cast<std::uint8_t>(ControlOp::watch)) r.fail(Errc::malformed, "unknown control operation");
  m.op = static_cast<ControlOp>(op);
  m.task_id = r.u64();
  m.signal = r.u8();
  return m;
}

TaskInfo get_task_info(ByteReader& r) {
  TaskInfo m;
  m.task_id = r.u64();
  m.pid = r.u32();
  std::uint8_t state = r.u8();
  if (state < 1 || state > static_cast<std::uint8_t>(TaskState::ended)) r.fail(Errc::malformed, "unknown task state");
  m.state = static_cast<TaskState>(state);
  m.exit.code = r.u8();
  m.exit.signal = r.u8();
  m.identity = r.string(kMaxNameBytes);
  m.account = r.string(kMaxNameBytes);
  m.command = r.string(kMaxArgBytes);
  for (std::uint64_t* v : {&m.started_unix_ms, &m.ended_unix_ms, &m.user_cpu_us, &m.system_cpu_us, &m.max_rss_kib}) {
    *v = r.u64();
  }
  return m;
}

ExecRequest get_request(ByteReader& r) {
  ExecRequest m;
  m.nonce = get_nonce(r);
  m.expires_unix_ms = r.u64();
  m.argv = get_strings(r, kMaxArgs, "arguments");
  m.env = get_strings(r, kMaxEnv, "environment variables");
  m.cwd = r.string(kMaxPathBytes);
  std::uint8_t flags = r.u8();
  if (flags & ~(kExpandEnv | kTty | kDetach)) r.fail(Errc::malformed, "unknown request flags");
  m.expand_env = (flags & kExpandEnv) != 0;
  m.tty = (flags & kTty) != 0;
  m.detach = (flags & kDetach) != 0;
  m.rows = r.u16();
  m.cols = r.u16();
  m.timeout_ms = r.u64();
  m.kill_after_ms = r.u32();
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
    case Type::started: {
      TaskStarted m;
      m.task_id = r.u64();
      m.pid = r.u32();
      return ExecMessage{m};
    }
    case Type::control:
      return ExecMessage{get_control(r)};
    case Type::task_info:
      return ExecMessage{get_task_info(r)};
    case Type::end_of_list:
      return ExecMessage{EndOfList{}};
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
