// Length-framed messages over TLS 1.3 on a TCP stream, driven by the
// EventLoop: the FramedStream contract (bounded outbound queue, would_block
// and on_writable) plus the handshake, the verified peer certificate, and
// reading that can be paused so a slow consumer pushes back on the sender.
#pragma once

#include <openssl/ssl.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"
#include "cohort/core/event_loop.h"
#include "cohort/transport/frame_queue.h"
#include "cohort/transport/framed_stream.h"
#include "cohort/transport/tcp.h"
#include "cohort/wire/frame.h"

namespace cohort {

class TlsFramedStream {
 public:
  enum class Role { client, server };
  using ReadyCallback = std::function<void()>;
  using FrameCallback = std::function<void(Buffer frame)>;
  using CloseCallback = std::function<void(Status why)>;
  using WritableCallback = std::function<void()>;

  // Takes a stream that is connected or still connecting. A client checks the
  // server's certificate against `expected_host`. Callbacks run on the loop and
  // must not destroy the stream (defer that).
  static Result<std::unique_ptr<TlsFramedStream>> create(EventLoop& loop, TcpStream stream, SSL_CTX* context,
                                                         Role role, const std::string& expected_host = {},
                                                         const FramedStreamOptions& options = {});
  ~TlsFramedStream();
  TlsFramedStream(const TlsFramedStream&) = delete;
  TlsFramedStream& operator=(const TlsFramedStream&) = delete;

  // Fires once the handshake has succeeded and the peer's certificate verified.
  void on_ready(ReadyCallback callback) { on_ready_ = std::move(callback); }
  void on_frame(FrameCallback callback) { on_frame_ = std::move(callback); }
  void on_close(CloseCallback callback) { on_close_ = std::move(callback); }
  void on_writable(WritableCallback callback) { on_writable_ = std::move(callback); }

  // As FramedStream::send; frames queued before the handshake ends go after it.
  Status send(ByteView payload);
  bool is_open() const { return ssl_ != nullptr; }
  bool is_ready() const { return state_ == State::open; }
  // Stops (false) or resumes (true) taking frames from the peer.
  void set_reading(bool reading);
  // Sends what is queued, then close_notify, then calls on_close(OK).
  void finish();
  // Closes at once, discarding queued frames; on_close is not called.
  void close();

  // The verified peer certificate once ready (owned by the stream).
  X509* peer_certificate() const;
  const Address& peer() const { return peer_; }

 private:
  enum class State { connecting, handshaking, open };
  TlsFramedStream(EventLoop& loop, TcpStream stream, const FramedStreamOptions& options);
  void handle_events();
  void handshake();
  void read_available();
  void deliver_frames();
  void flush();
  void update_interest();
  void schedule_read();
  Error tls_error(int code, std::string_view doing);
  void fail(Status why);

  EventLoop& loop_;
  std::optional<TcpStream> stream_;
  SSL* ssl_ = nullptr;
  Address peer_;
  FramedStreamOptions options_;
  wire::FrameDecoder decoder_;
  std::vector<std::uint8_t> read_buffer_;
  FrameQueue queue_;
  State state_ = State::connecting;
  bool reading_ = true;
  bool io_wants_read_ = false;   // an SSL write or handshake needs the socket readable
  bool io_wants_write_ = false;  // an SSL read or handshake needs the socket writable
  bool finishing_ = false;
  std::uint32_t interest_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  ReadyCallback on_ready_;
  FrameCallback on_frame_;
  CloseCallback on_close_;
  WritableCallback on_writable_;
};

}  // namespace cohort
