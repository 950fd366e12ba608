#include "cohort/transport/tls_stream.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include "cohort/transport/tls.h"

namespace cohort {

namespace {
constexpr std::size_t kReadChunk = 64u << 10;
// Bounds one readiness callback so a fast peer cannot starve the loop.
constexpr int kMaxReadsPerEvent = 16;
}  // namespace

Result<std::unique_ptr<TlsFramedStream>> TlsFramedStream::create(EventLoop& loop, TcpStream stream,
                                                                 SSL_CTX* context, Role role,
                                                                 const std::string& expected_host,
                                                                 const FramedStreamOptions& options) {
  std::unique_ptr<TlsFramedStream> tls(new TlsFramedStream(loop, std::move(stream), options));
  TlsFramedStream* self = tls.get();
  self->ssl_ = SSL_new(context);
  if (self->ssl_ == nullptr || SSL_set_fd(self->ssl_, self->stream_->fd()) != 1) {
    return Error(Errc::internal, "setting up TLS: " + tls::last_error("SSL_new failed"));
  }
  if (role == Role::client) {
    SSL_set_connect_state(self->ssl_);
    if (Status s = tls::expect_peer(self->ssl_, expected_host); !s) return s.error();
  } else {
    SSL_set_accept_state(self->ssl_);
  }
  self->interest_ = kReadable | kWritable;  // writable: how a pending connect reports
  Status watched = loop.watch(self->stream_->fd(), self->interest_, [self](std::uint32_t) { self->handle_events(); });
  if (!watched) return watched.error();
  return tls;
}

TlsFramedStream::TlsFramedStream(EventLoop& loop, TcpStream stream, const FramedStreamOptions& options)
    : loop_(loop),
      stream_(std::move(stream)),
      peer_(stream_->peer()),
      options_(options),
      decoder_(options.max_frame),
      read_buffer_(kReadChunk),
      queue_(options.max_frame, options.max_queued_bytes) {}

TlsFramedStream::~TlsFramedStream() {
  *alive_ = false;
  close();
}

Status TlsFramedStream::send(ByteView payload) {
  if (!is_open() || finishing_) return Error(Errc::closed, "TLS stream to " + peer_.to_string() + " is closed");
  if (Status s = queue_.push(payload, peer_.to_string()); !s) return s;
  update_interest();
  return ok_status();
}

void TlsFramedStream::set_reading(bool reading) {
  if (reading_ == reading || !is_open()) return;
  reading_ = reading;
  update_interest();
  // Frames may wait in the decoder or decrypted in OpenSSL, where epoll cannot see them.
  if (reading_) schedule_read();
}

void TlsFramedStream::finish() {
  if (!is_open()) return;
  finishing_ = true;
  if (state_ == State::open) flush();
}

void TlsFramedStream::close() {
  if (!is_open()) return;
  loop_.unwatch(stream_->fd());
  SSL_free(ssl_);
  ssl_ = nullptr;
  stream_.reset();
  queue_.clear();
}

X509* TlsFramedStream::peer_certificate() const {
  return is_open() && state_ == State::open ? SSL_get0_peer_certificate(ssl_) : nullptr;
}

void TlsFramedStream::handle_events() {
  if (state_ == State::connecting) {
    Status status = stream_->connect_status();
    if (!status) {
      if (status.error().code() != Errc::would_block) fail(status);
      return;
    }
    state_ = State::handshaking;
  }
  if (state_ == State::handshaking) handshake();
  if (!is_open() || state_ != State::open) return;
  read_available();
  if (is_open()) flush();
}

void TlsFramedStream::handshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc != 1) {
    int code = SSL_get_error(ssl_, rc);
    io_wants_read_ = code == SSL_ERROR_WANT_READ;
    io_wants_write_ = code == SSL_ERROR_WANT_WRITE;
    if (io_wants_read_ || io_wants_write_) {
      update_interest();
      return;
    }
    fail(tls_error(code, "TLS handshake"));
    return;
  }
  io_wants_read_ = io_wants_write_ = false;
  state_ = State::open;
  update_interest();
  if (on_ready_) on_ready_();
}

void TlsFramedStream::read_available() {
  io_wants_write_ = false;
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    if (!is_open() || !reading_) return;
    ERR_clear_error();
    std::size_t n = 0;
    int rc = SSL_read_ex(ssl_, read_buffer_.data(), read_buffer_.size(), &n);
    if (rc != 1) {
      int code = SSL_get_error(ssl_, rc);
      if (code == SSL_ERROR_WANT_READ) return;
      if (code == SSL_ERROR_WANT_WRITE) {
        io_wants_write_ = true;
        update_interest();
        return;
      }
      if (code == SSL_ERROR_ZERO_RETURN && decoder_.pending_bytes() == 0) {
        fail(ok_status());
      } else if (code == SSL_ERROR_ZERO_RETURN) {
        fail(Error(Errc::truncated, peer_.to_string() + " closed the connection inside a frame"));
      } else {
        fail(tls_error(code, "reading"));
      }
      return;
    }
    if (Status fed = decoder_.feed(ByteView(read_buffer_.data(), n)); !fed) {
      fail(Error(fed.error().code(), "from " + peer_.to_string() + ": " + fed.error().message()));
      return;
    }
    deliver_frames();
  }
  schedule_read();  // the bound was hit: OpenSSL may hold more than the socket shows
}

void TlsFramedStream::deliver_frames() {
  while (is_open() && reading_) {
    std::optional<Buffer> frame = decoder_.next();
    if (!frame) return;
    if (on_frame_) on_frame_(std::move(*frame));
  }
}

void TlsFramedStream::flush() {
  io_wants_read_ = false;
  while (is_open() && !queue_.empty()) {
    ByteView unwritten = queue_.unwritten();
    ERR_clear_error();
    std::size_t n = 0;
    int rc = SSL_write_ex(ssl_, unwritten.data(), unwritten.size(), &n);
    if (rc != 1) {
      int code = SSL_get_error(ssl_, rc);
      if (code == SSL_ERROR_WANT_READ) io_wants_read_ = true;
      if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE) {
        fail(tls_error(code, "writing"));
        return;
      }
      break;
    }
    queue_.consume(n);
  }
  if (!is_open()) return;
  update_interest();
  if (!queue_.empty()) return;
  if (finishing_) {
    SSL_shutdown(ssl_);  // best effort close_notify; the peer also accepts a plain EOF
    close();
    if (on_close_) on_close_(ok_status());
    return;
  }
  if (queue_.take_drained_after_refusal() && on_writable_) on_writable_();
}

void TlsFramedStream::update_interest() {
  if (!is_open()) return;
  std::uint32_t want = 0;
  bool in_handshake = state_ != State::open;
  if (reading_ || in_handshake || io_wants_read_) want |= kReadable;
  if (state_ == State::connecting || io_wants_write_ || (state_ == State::open && !queue_.empty())) want |= kWritable;
  if (want == interest_) return;
  if (Status s = loop_.modify(stream_->fd(), want); !s) {
    fail(s);
    return;
  }
  interest_ = want;
}

void TlsFramedStream::schedule_read() {
  std::weak_ptr<bool> alive = alive_;
  loop_.defer([this, alive] {
    if (alive.expired() || !is_open() || state_ != State::open) return;
    read_available();
    if (is_open()) flush();
  });
}

Error TlsFramedStream::tls_error(int code, std::string_view doing) {
  std::string what = std::string(doing) + " with " + peer_.to_string();
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    return Error(Errc::permission_denied,
                 what + ": the peer's certificate was refused: " + X509_verify_cert_error_string(verify));
  }
  if (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    return Error(Errc::closed, what + ": the connection was closed");
  }
  return Error(code == SSL_ERROR_SSL ? Errc::permission_denied : Errc::io, what + ": " + tls::last_error("failed"));
}

void TlsFramedStream::fail(Status why) {
  if (!is_open()) return;
  close();
  if (on_close_) on_close_(std::move(why));
}

}  // namespace cohort
