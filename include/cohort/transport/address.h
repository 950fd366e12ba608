// One address type for every transport: an IPv4 or IPv6 address and port.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "cohort/core/error.h"

namespace cohort {

class Address {
 public:
  Address();  // 0.0.0.0:0
  // Parses "1.2.3.4:5", "[::1]:5", or "host:port" with a numeric host only.
  static Result<Address> parse(std::string_view text);
  static Result<Address> from_ip(std::string_view ip, std::uint16_t port);
  static Address from_sockaddr(const sockaddr* sa, socklen_t len);
  // The bound end (getsockname) or connected peer (getpeername) of a socket.
  static Result<Address> local_of(int fd);
  static Result<Address> peer_of(int fd);
  static Address ipv4_any(std::uint16_t port);
  static Address ipv4_loopback(std::uint16_t port);

  int family() const;  // AF_INET or AF_INET6
  std::uint16_t port() const;
  Address with_port(std::uint16_t port) const;
  bool is_multicast() const;
  std::string ip_string() const;
  std::string to_string() const;  // "1.2.3.4:5" or "[::1]:5"

  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t sockaddr_len() const;

  bool operator==(const Address& other) const;
  bool operator<(const Address& other) const;

 private:
  sockaddr_storage storage_{};
};

}  // namespace cohort
