#include "cohort/exec/protocol.h"

#include <algorithm>

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
  run = 11,
  rank_event = 12,
  rank_input = 13,
};

constexpr std::string_view kSignedRunLabel{"cohort run request v1", 22};  // with its NUL: no prefix of a spec

constexpr std::uint8_t kExpandEnv = 1, kTty = 2, kDetach = 4;

void put_strings(ByteWriter& w, const std::vector<std::string>& list) {
  w.u32(static_cast<std::uint32_t>(list.size()));
  for (const auto& s : list) w.string(s);
}

std::vector<std::string> get_strings(ByteReader& r, std::size_t max_count, const char* what,
                                     std::size_t max_bytes = kMaxArgBytes) {
  std::uint32_t n = r.u32();
  if (n > max_count) {
    r.fail(Errc::too_large, std::to_string(n) + " " + what + " exceed the limit of " + std::to_string(max_count));
    return {};
  }
  std::vector<std::string> out;
  for (std::uint32_t i = 0; i < n && !r.failed(); ++i) out.push_back(r.string(max_bytes));
  return out;
}

void put_request(ByteWriter& w, const ExecRequest& m) {
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

void put_spec(ByteWriter& w, const RunSpec& m) {
  put_request(w, m.base);
  put_strings(w, m.nodes);
  for (std::uint32_t v : {m.per_host, m.ranks, m.width, m.level_timeout_ms}) w.u32(v);
  w.u8(static_cast<std::uint8_t>(m.stdin_target));
}

struct Encoder {
  ByteWriter& w;
  void operator()(const ExecRequest& m) const {
    w.u8(static_cast<std::uint8_t>(Type::request));
    put_request(w, m);
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
  void operator()(const RunRequest& m) const {
    w.u8(static_cast<std::uint8_t>(Type::run));
    put_spec(w, m.spec);
    w.u32(m.head);
    w.u32(static_cast<std::uint32_t>(m.subtree.size()));
    for (std::uint32_t node : m.subtree) w.u32(node);
    w.blob(m.user_cert_der);
    w.blob(m.signature);
  }
  void operator()(const RankEvent& m) const {
    w.u8(static_cast<std::uint8_t>(Type::rank_event));
    w.u32(m.rank);
    std::visit(*this, m.event);
  }
  void operator()(const RankInput& m) const {
    w.u8(static_cast<std::uint8_t>(Type::rank_input));
    w.u32(m.rank);
    std::visit(*this, m.input);
  }
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
  if (reason < 1 || reason > static_cast<std::uint8_t>(RefusalReason::lost)) {
    r.fail(Errc::malformed, "unknown refusal reason");
  }
  m.reason = static_cast<RefusalReason>(reason);
  m.detail = r.string(kMaxReasonBytes);
  return m;
}

RunSpec get_spec(ByteReader& r) {
  RunSpec m;
  m.base = get_request(r);
  m.nodes = get_strings(r, kMaxRunNodes, "nodes", kMaxNodeNameBytes);
  for (std::uint32_t* v : {&m.per_host, &m.ranks, &m.width, &m.level_timeout_ms}) *v = r.u32();
  std::uint8_t target = r.u8();
  if (target > static_cast<std::uint8_t>(StdinTarget::all)) r.fail(Errc::malformed, "unknown stdin target");
  m.stdin_target = static_cast<StdinTarget>(target);
  if (r.failed()) return m;
  if (m.nodes.empty() || m.per_host == 0 || m.ranks == 0 ||
      m.ranks > static_cast<std::uint64_t>(m.nodes.size()) * m.per_host) {
    r.fail(Errc::malformed, "a run needs nodes and 1 .. nodes x per-host ranks");
  } else if (m.width == 0 || m.width > kMaxRunWidth || m.level_timeout_ms == 0) {
    r.fail(Errc::malformed, "a run's width must be 1.." + std::to_string(kMaxRunWidth) + " and its timeout positive");
  }
  return m;
}

std::uint32_t get_node(ByteReader& r, std::size_t nodes) {
  std::uint32_t node = r.u32();
  if (!r.failed() && node >= nodes) r.fail(Errc::malformed, "node index " + std::to_string(node) + " out of range");
  return node;
}

RunRequest get_run(ByteReader& r) {
  RunRequest m;
  m.spec = get_spec(r);
  m.head = get_node(r, m.spec.nodes.size());
  std::uint32_t n = r.u32();
  if (n > kMaxRunNodes || static_cast<std::uint64_t>(n) * 4 > r.remaining()) {
    r.fail(Errc::too_large, std::to_string(n) + " subtree nodes exceed the limit or the message");
    return m;
  }
  m.subtree.reserve(n);
  std::vector<bool> seen(m.spec.nodes.size());
  if (!r.failed()) seen[m.head] = true;
  for (std::uint32_t i = 0; i < n && !r.failed(); ++i) {
    std::uint32_t node = get_node(r, m.spec.nodes.size());
    if (r.failed()) break;
    if (seen[node]) r.fail(Errc::malformed, "node " + std::to_string(node) + " appears twice in a run's tree");
    seen[node] = true;
    m.subtree.push_back(node);
  }
  ByteView cert = r.blob(kMaxCertBytes);
  m.user_cert_der.assign(cert.begin(), cert.end());
  ByteView signature = r.blob(kMaxSignatureBytes);
  m.signature.assign(signature.begin(), signature.end());
  return m;
}

TaskExit get_exit(ByteReader& r) {
  TaskExit m;
  m.code = r.u8();
  m.signal = r.u8();
  return m;
}

TaskStarted get_started(ByteReader& r) {
  TaskStarted m;
  m.task_id = r.u64();
  m.pid = r.u32();
  return m;
}

WindowSize get_window(ByteReader& r) {
  WindowSize m;
  m.rows = r.u16();
  m.cols = r.u16();
  return m;
}

RankEvent get_rank_event(ByteReader& r) {
  RankEvent m;
  m.rank = r.u32();
  switch (static_cast<Type>(r.u8())) {
    case Type::started:
      m.event = get_started(r);
      break;
    case Type::chunk:
      m.event = get_chunk(r);
      break;
    case Type::exit:
      m.event = get_exit(r);
      break;
    case Type::refusal:
      m.event = get_refusal(r);
      break;
    default:
      r.fail(Errc::malformed, "a rank event carries a task's start, output, exit or refusal");
  }
  return m;
}

RankInput get_rank_input(ByteReader& r) {
  RankInput m;
  m.rank = r.u32();
  switch (static_cast<Type>(r.u8())) {
    case Type::chunk:
      m.input = get_chunk(r);
      break;
    case Type::signal:
      m.input = SignalTask{r.u8()};
      break;
    case Type::window:
      m.input = get_window(r);
      break;
    default:
      r.fail(Errc::malformed, "rank input is stdin, a signal or a window size");
  }
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
    case Type::window:
      return ExecMessage{get_window(r)};
    case Type::exit:
      return ExecMessage{get_exit(r)};
    case Type::refusal:
      return ExecMessage{get_refusal(r)};
    case Type::started:
      return ExecMessage{get_started(r)};
    case Type::control:
      return ExecMessage{get_control(r)};
    case Type::task_info:
      return ExecMessage{get_task_info(r)};
    case Type::end_of_list:
      return ExecMessage{EndOfList{}};
    case Type::run:
      return ExecMessage{get_run(r)};
    case Type::rank_event:
      return ExecMessage{get_rank_event(r)};
    case Type::rank_input:
      return ExecMessage{get_rank_input(r)};
  }
  return Error(Errc::malformed, "unknown exec message type");
}

}  // namespace

Buffer encode(const ExecMessage& message) {
  ByteWriter w(64);
  std::visit(Encoder{w}, message);
  return w.finish();
}

Buffer signed_body(const RunSpec& spec) {
  ByteWriter w(256);
  w.bytes(ByteView(reinterpret_cast<const std::uint8_t*>(kSignedRunLabel.data()), kSignedRunLabel.size()));
  put_spec(w, spec);
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
    case RefusalReason::unreachable:
      return "unreachable";
    case RefusalReason::lost:
      return "connection lost";
  }
  return "unknown reason";
}

std::vector<StreamChunk> stdin_chunks(ByteView bytes) {
  std::vector<StreamChunk> chunks;
  std::size_t at = 0;
  do {
    const ByteView piece = bytes.subspan(at, std::min(kMaxChunkBytes, bytes.size() - at));
    chunks.push_back(StreamChunk{Stream::stdin_, std::vector<std::uint8_t>(piece.begin(), piece.end())});
    at += piece.size();
  } while (at < bytes.size());
  return chunks;
}

}  // namespace cohort::exec
