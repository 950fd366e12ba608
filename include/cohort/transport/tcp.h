// Non-blocking TCP: a listener that accepts and a stream that connects, reads
// and writes. Nothing here ever blocks; an operation with nothing to do now
// returns would_block and the caller waits for readiness on fd().
#pragma once

#include <cstdint>
#include <span>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"
#include "cohort/transport/address.h"
#include "cohort/transport/unique_fd.h"

namespace cohort {

class TcpStream {
 public:
  // Starts connecting to `peer` and returns at once. The stream becomes
  // writable when the attempt ends; connect_status() then says how it ended.
  // TCP_NODELAY is on: cohort frames its own messages and wants them sent now.
  static Result<TcpStream> connect(const Address& peer);

  int fd() const { return fd_.get(); }
  const Address& peer() const { return peer_; }
  Result<Address> local_address() const;

  // OK once connected, would_block while the attempt is in progress, else
  // why it failed (a refused connection is closed).
  Status connect_status() const;
  // Reads what is available into `into`; would_block if nothing, closed once
  // the peer has finished sending.
  Result<std::size_t> read(std::span<std::uint8_t> into);
  // Writes as much of `bytes` as the kernel takes now; would_block if none.
  Result<std::size_t> write(ByteView bytes);
  // Sends FIN: the peer reads end-of-stream; this side can still read.
  Status shutdown_write();
  Status set_no_delay(bool enabled);

 private:
  friend class TcpListener;
  TcpStream(int fd, const Address& peer) : fd_(fd), peer_(peer) {}

  UniqueFd fd_;
  Address peer_;
};

class TcpListener {
 public:
  // Binds and listens on `local` (port 0 picks a free port).
  static Result<TcpListener> bind(const Address& local, int backlog = 128);

  int fd() const { return fd_.get(); }
  Result<Address> local_address() const;
  // The next pending connection, with TCP_NODELAY on; would_block if none.
  Result<TcpStream> accept();

 private:
  explicit TcpListener(int fd) : fd_(fd) {}
  UniqueFd fd_;
};

}  // namespace cohort
