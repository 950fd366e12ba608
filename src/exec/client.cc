#include "cohort/exec/client.h"

#include <netdb.h>
#include <openssl/rand.h>

#include <chrono>

#include "cohort/core/clock.h"

namespace cohort::exec {

namespace {

std::string seconds_text(Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

Result<Address> resolve(const std::string& host, std::uint16_t port) {
  if (auto literal = Address::parse(host + ":" + std::to_string(port))) return literal;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Error(Errc::not_found, "cannot resolve host '" + host + "': " + gai_strerror(rc));
  }
  auto address = Address::from_sockaddr(found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return address;
}

}  // namespace

std::string_view to_string(FailureKind kind) {
  switch (kind) {
    case FailureKind::unreachable: return "unreachable";
    case FailureKind::authentication: return "authentication refused";
    case FailureKind::not_authorised: return "not authorised";
    case FailureKind::spawn_failed: return "spawn failed";
    case FailureKind::timed_out: return "timed out";
    case FailureKind::lost: return "connection lost";
    case FailureKind::refused: return "refused";
  }
  return "failed";
}

namespace {

// Where HOST:PORT's colon is, if `text` names a port: HOST:PORT, but not a
// bare IPv6 address; [v6]:PORT works too.
std::optional<std::size_t> port_colon(const std::string& text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  bool one_colon = text.find(':') == colon;
  bool bracketed = colon > 0 && text[colon - 1] == ']' && text.front() == '[';
  if (one_colon || bracketed) return colon;
  return std::nullopt;
}

}  // namespace

std::string with_port(const std::string& text, std::uint16_t port) {
  if (port_colon(text)) return text;
  bool bare_v6 = text.find(':') != std::string::npos;
  return (bare_v6 ? "[" + text + "]" : text) + ":" + std::to_string(port);
}

Result<Target> resolve_target(const std::string& text, std::uint16_t default_port) {
  std::string host = text;
  std::uint16_t port = default_port;
  if (auto at = port_colon(text)) {
    std::size_t colon = *at;
    host = text.substr(0, colon);
    try {
      int parsed = std::stoi(text.substr(colon + 1));
      if (parsed <= 0 || parsed > 65535) throw std::out_of_range("port");
      port = static_cast<std::uint16_t>(parsed);
    } catch (const std::exception&) {
      return Error(Errc::invalid_argument, "bad port in '" + text + "' (write HOST or HOST:PORT)");
    }
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto address = resolve(host, port);
  if (!address) return address.error();
  return Target{host, *address};
}

Nonce random_nonce() {
  Nonce nonce{};
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  return nonce;
}

std::uint64_t expiry_from_now(std::uint64_t lifetime_ms) {
  return unix_time_ms() + lifetime_ms;
}

Failure failure_from(const Refusal& refusal) {
  switch (refusal.reason) {
    case RefusalReason::authentication: return {FailureKind::authentication, refusal.detail};
    case RefusalReason::not_authorised: return {FailureKind::not_authorised, refusal.detail};
    case RefusalReason::spawn_failed: return {FailureKind::spawn_failed, refusal.detail};
    case RefusalReason::timed_out: return {FailureKind::timed_out, refusal.detail};
    case RefusalReason::unreachable: return {FailureKind::unreachable, refusal.detail};
    case RefusalReason::lost: return {FailureKind::lost, refusal.detail};
    default: return {FailureKind::refused, std::string(to_string(refusal.reason)) + ": " + refusal.detail};
  }
}

Result<std::unique_ptr<Connector>> Connector::start(EventLoop& loop, SSL_CTX* tls, const Target& target,
                                                    Duration connect_timeout, Ready on_ready,
                                                    FailureCallback on_failure) {
  std::unique_ptr<Connector> connector(new Connector(loop, target));
  connector->on_ready_ = std::move(on_ready);
  connector->on_failure_ = std::move(on_failure);
  auto tcp = TcpStream::connect(target.address);
  if (!tcp) return tcp.error();
  auto stream = TlsFramedStream::create(loop, std::move(*tcp), tls, TlsFramedStream::Role::client, target.host);
  if (!stream) return stream.error();
  Connector* self = connector.get();
  connector->stream_ = std::move(*stream);
  connector->stream_->on_ready([self] { self->on_ready_(*self->stream_); });
  connector->stream_->on_close([self](Status why) { self->closed(std::move(why)); });
  connector->deadline_ = loop.add_timer(connect_timeout, [self, connect_timeout] {
    self->deadline_ = 0;
    self->stream_->close();
    self->on_failure_({FailureKind::unreachable, "no answer from " + self->target_.host + " within " +
                                                     seconds_text(connect_timeout)});
  });
  return connector;
}

Connector::~Connector() {
  if (deadline_ != 0) loop_.cancel_timer(deadline_);
}

void Connector::connected() {
  answered_ = true;
  if (deadline_ != 0) loop_.cancel_timer(deadline_);
  deadline_ = 0;
}

void Connector::closed(Status why) {
  if (deadline_ != 0) loop_.cancel_timer(deadline_);
  deadline_ = 0;
  std::string host = target_.host;
  if (why.ok()) {
    on_failure_({FailureKind::lost, host + " closed the connection"});
    return;
  }
  const Error& e = why.error();
  if (!answered_ && e.code() == Errc::permission_denied) {
    on_failure_({FailureKind::authentication, e.message()});
  } else if (!stream_->is_ready() && !answered_) {
    on_failure_({FailureKind::unreachable, e.message()});
  } else {
    on_failure_({FailureKind::lost, e.message()});
  }
}

Result<std::unique_ptr<ExecSession>> ExecSession::start(EventLoop& loop, SSL_CTX* tls, const Target& target,
                                                        ExecRequest request, Duration connect_timeout,
                                                        Callbacks callbacks) {
  std::unique_ptr<ExecSession> session(new ExecSession(std::move(callbacks)));
  ExecSession* self = session.get();
  self->request_ = std::move(request);
  auto connector = Connector::start(
      loop, tls, target, connect_timeout,
      [self](TlsFramedStream& stream) {
        stream.on_frame([self](Buffer bytes) { self->frame(std::move(bytes)); });
        stream.on_writable([self] { self->flush_held(); });
        // The request goes first; stdin, signals and sizes given earlier were held.
        self->held_.push_front(encode(self->request_));
        self->request_sent_ = true;
        self->flush_held();
      },
      [self](Failure failure) { self->fail(std::move(failure)); });
  if (!connector) return connector.error();
  session->connector_ = std::move(*connector);
  return session;
}

bool ExecSession::send_stdin(ByteView bytes) {
  for (StreamChunk& chunk : stdin_chunks(bytes)) send(std::move(chunk));
  return held_.empty();
}

void ExecSession::signal(int signal) { send(SignalTask{static_cast<std::uint8_t>(signal)}); }

void ExecSession::window(std::uint16_t rows, std::uint16_t cols) { send(WindowSize{rows, cols}); }

void ExecSession::send(const ExecMessage& message) {
  if (finished_ || !connector_->stream().is_open()) return;
  Buffer frame = encode(message);
  if (!request_sent_ || !held_.empty() || !connector_->stream().send(frame)) held_.push_back(std::move(frame));
}

void ExecSession::flush_held() {
  auto& stream = connector_->stream();
  while (!held_.empty() && stream.send(held_.front())) held_.pop_front();
  if (held_.empty() && callbacks_.on_stdin_writable) callbacks_.on_stdin_writable();
}

void ExecSession::frame(Buffer bytes) {
  if (finished_) return;
  auto message = decode(bytes);
  if (!message) {
    fail({FailureKind::lost, "undecodable message from " + connector_->target().host + ": " + message.error().message()});
    return;
  }
  if (const auto* started = std::get_if<TaskStarted>(&*message)) {
    connector_->connected();
    if (callbacks_.on_started) callbacks_.on_started(*started);
  } else if (const auto* chunk = std::get_if<StreamChunk>(&*message)) {
    callbacks_.on_output(chunk->stream, chunk->bytes);
  } else if (const auto* exit = std::get_if<TaskExit>(&*message)) {
    finished_ = true;
    callbacks_.on_exit(*exit);
  } else if (const auto* refusal = std::get_if<Refusal>(&*message)) {
    connector_->connected();
    fail(failure_from(*refusal));
  }
}

void ExecSession::fail(Failure failure) {
  if (finished_) return;
  finished_ = true;
  connector_->stream().close();
  callbacks_.on_failure(std::move(failure));
}

Result<std::unique_ptr<ControlSession>> ControlSession::start(EventLoop& loop, SSL_CTX* tls, const Target& target,
                                                              ControlRequest request, Duration connect_timeout,
                                                              Callbacks callbacks) {
  std::unique_ptr<ControlSession> session(new ControlSession(std::move(callbacks)));
  ControlSession* self = session.get();
  auto connector = Connector::start(
      loop, tls, target, connect_timeout,
      [self, request](TlsFramedStream& stream) {
        stream.on_frame([self](Buffer bytes) { self->frame(std::move(bytes)); });
        if (!stream.send(encode(request))) {
          self->callbacks_.on_failure({FailureKind::lost, "cannot send the request"});
        }
      },
      [self](Failure failure) {
        if (self->done_) return;
        self->done_ = true;
        // An orderly close after an answer is the end of the answer.
        if (failure.kind == FailureKind::lost && self->connector_->answered()) {
          self->callbacks_.on_done();
        } else {
          self->callbacks_.on_failure(std::move(failure));
        }
      });
  if (!connector) return connector.error();
  session->connector_ = std::move(*connector);
  return session;
}

void ControlSession::frame(Buffer bytes) {
  connector_->connected();
  auto message = decode(bytes);
  if (!message) return;
  if (const auto* info = std::get_if<TaskInfo>(&*message)) {
    callbacks_.on_task(*info);
  } else if (std::holds_alternative<EndOfList>(*message)) {
    if (callbacks_.on_end_of_list) callbacks_.on_end_of_list();
  } else if (const auto* refusal = std::get_if<Refusal>(&*message)) {
    done_ = true;
    callbacks_.on_failure(failure_from(*refusal));
  }
}

}  // namespace cohort::exec
