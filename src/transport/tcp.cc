#include "cohort/transport/tcp.h"

#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>

namespace cohort {

namespace {

Status set_option(int fd, int level, int name, int value, std::string_view what) {
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) return Error::from_errno(errno, what);
  return ok_status();
}

Error connect_error(int err, const Address& peer) {
  std::string what = "connecting to " + peer.to_string();
  if (err == ECONNREFUSED) return Error(Errc::closed, what + ": connection refused");
  return Error::from_errno(err, what);
}

}  // namespace

Result<TcpStream> TcpStream::connect(const Address& peer) {
  int fd = socket(peer.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::from_errno(errno, "creating TCP socket");
  TcpStream stream(fd, peer);
  if (Status s = stream.set_no_delay(true); !s) return s.error();
  if (::connect(fd, peer.sockaddr_ptr(), peer.sockaddr_len()) < 0 && errno != EINPROGRESS) {
    return connect_error(errno, peer);
  }
  return stream;
}

Result<Address> TcpStream::local_address() const { return Address::local_of(fd()); }

Status TcpStream::connect_status() const {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd(), SOL_SOCKET, SO_ERROR, &err, &len) < 0) return Error::from_errno(errno, "getsockopt(SO_ERROR)");
  if (err != 0) return connect_error(err, peer_);
  if (auto connected = Address::peer_of(fd()); !connected) {
    if (connected.error().code() == Errc::closed) {  // ENOTCONN: still in progress
      return Error(Errc::would_block, "still connecting to " + peer_.to_string());
    }
    return connected.error();
  }
  return ok_status();
}

Result<std::size_t> TcpStream::read(std::span<std::uint8_t> into) {
  ssize_t n = ::read(fd(), into.data(), into.size());
  if (n < 0) return Error::from_errno(errno, "reading from " + peer_.to_string());
  if (n == 0 && !into.empty()) return Error(Errc::closed, peer_.to_string() + " closed the connection");
  return static_cast<std::size_t>(n);
}

Result<std::size_t> TcpStream::write(ByteView bytes) {
  // MSG_NOSIGNAL: a closed peer is an Errc::closed value, not a SIGPIPE.
  ssize_t n = ::send(fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n < 0) return Error::from_errno(errno, "writing to " + peer_.to_string());
  return static_cast<std::size_t>(n);
}

Status TcpStream::shutdown_write() {
  if (::shutdown(fd(), SHUT_WR) < 0) return Error::from_errno(errno, "shutting down " + peer_.to_string());
  return ok_status();
}

Status TcpStream::set_no_delay(bool enabled) {
  return set_option(fd(), IPPROTO_TCP, TCP_NODELAY, enabled ? 1 : 0, "setsockopt(TCP_NODELAY)");
}

Result<TcpListener> TcpListener::bind(const Address& local, int backlog) {
  int fd = socket(local.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::from_errno(errno, "creating TCP socket");
  TcpListener listener(fd);
  // Lets a restarted server rebind at once over TIME_WAIT connections; a live
  // listener on the same address still makes bind fail.
  if (Status s = set_option(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)"); !s) return s.error();
  if (::bind(fd, local.sockaddr_ptr(), local.sockaddr_len()) < 0 || ::listen(fd, backlog) < 0) {
    if (errno == EADDRINUSE) {
      return Error(Errc::address_in_use, "TCP address " + local.to_string() + " is already in use");
    }
    return Error::from_errno(errno, "listening on TCP " + local.to_string());
  }
  return listener;
}

Result<Address> TcpListener::local_address() const { return Address::local_of(fd()); }

Result<TcpStream> TcpListener::accept() {
  sockaddr_storage storage{};
  socklen_t len = sizeof storage;
  int fd = accept4(this->fd(), reinterpret_cast<sockaddr*>(&storage), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return Error::from_errno(errno, "accepting a TCP connection");
  TcpStream stream(fd, Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage), len));
  if (Status s = stream.set_no_delay(true); !s) return s.error();
  return stream;
}

}  // namespace cohort
