#include "cohort/transport/address.h"

#include <arpa/inet.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <tuple>

namespace cohort {

namespace {

sockaddr_in& as_v4(sockaddr_storage& s) { return *reinterpret_cast<sockaddr_in*>(&s); }
const sockaddr_in& as_v4(const sockaddr_storage& s) { return *reinterpret_cast<const sockaddr_in*>(&s); }
sockaddr_in6& as_v6(sockaddr_storage& s) { return *reinterpret_cast<sockaddr_in6*>(&s); }
const sockaddr_in6& as_v6(const sockaddr_storage& s) { return *reinterpret_cast<const sockaddr_in6*>(&s); }

Error bad_address(std::string_view text, std::string_view why) {
  return Error(Errc::invalid_argument, "bad address \"" + std::string(text) + "\": " + std::string(why));
}

Result<std::uint16_t> parse_port(std::string_view whole, std::string_view digits) {
  if (digits.empty()) return bad_address(whole, "missing port after ':'");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value > 65535) {
    return bad_address(whole, "port \"" + std::string(digits) + "\" is not a number from 0 to 65535");
  }
  return static_cast<std::uint16_t>(value);
}

// Splits "host:port" or "[v6host]:port" into its host and port texts.
Result<std::pair<std::string_view, std::string_view>> split_host_port(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return bad_address(text, "'[' without a closing ']'");
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad_address(text, "expected ':port' after ']'");
    return std::pair{text.substr(1, close - 1), text.substr(close + 2)};
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad_address(text, "expected host:port");
  if (text.find(':') != colon) return bad_address(text, "an IPv6 address needs brackets, as in [::1]:5");
  return std::pair{text.substr(0, colon), text.substr(colon + 1)};
}

}  // namespace

Address::Address() {
  auto& v4 = as_v4(storage_);
  v4.sin_family = AF_INET;
}

Result<Address> Address::parse(std::string_view text) {
  auto parts = split_host_port(text);
  if (!parts) return parts.error();
  auto [host, port_text] = *parts;
  auto port = parse_port(text, port_text);
  if (!port) return port.error();
  auto address = from_ip(host, *port);
  if (!address) return bad_address(text, address.error().message());
  return address;
}

Result<Address> Address::from_ip(std::string_view ip, std::uint16_t port) {
  std::string host(ip);  // inet_pton needs a terminated string
  Address out;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    auto& sa = as_v4(out.storage_);
    sa.sin_addr = v4;
    sa.sin_port = htons(port);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    out.storage_ = {};
    auto& sa = as_v6(out.storage_);
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = v6;
    sa.sin6_port = htons(port);
    return out;
  }
  return Error(Errc::invalid_argument, "\"" + host + "\" is not a numeric IPv4 or IPv6 address");
}

Address Address::from_sockaddr(const sockaddr* sa, socklen_t len) {
  Address out;
  if (sa == nullptr) return out;
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    std::memcpy(&out.storage_, sa, sizeof(sockaddr_in));
  } else if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    std::memcpy(&out.storage_, sa, sizeof(sockaddr_in6));
  }
  return out;
}

Result<Address> Address::local_of(int fd) {
  sockaddr_storage storage{};
  socklen_t len = sizeof storage;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len) < 0) {
    return Error::from_errno(errno, "getsockname");
  }
  return from_sockaddr(reinterpret_cast<const sockaddr*>(&storage), len);
}

Result<Address> Address::peer_of(int fd) {
  sockaddr_storage storage{};
  socklen_t len = sizeof storage;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &len) < 0) {
    return Error::from_errno(errno, "getpeername");
  }
  return from_sockaddr(reinterpret_cast<const sockaddr*>(&storage), len);
}

Address Address::ipv4_any(std::uint16_t port) { return Address().with_port(port); }

Address Address::ipv4_loopback(std::uint16_t port) {
  Address out = ipv4_any(port);
  as_v4(out.storage_).sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return out;
}

int Address::family() const { return storage_.ss_family; }

std::uint16_t Address::port() const {
  return ntohs(family() == AF_INET6 ? as_v6(storage_).sin6_port : as_v4(storage_).sin_port);
}

Address Address::with_port(std::uint16_t port) const {
  Address out = *this;
  if (family() == AF_INET6) {
    as_v6(out.storage_).sin6_port = htons(port);
  } else {
    as_v4(out.storage_).sin_port = htons(port);
  }
  return out;
}

bool Address::is_multicast() const {
  if (family() == AF_INET6) return IN6_IS_ADDR_MULTICAST(&as_v6(storage_).sin6_addr);
  return IN_MULTICAST(ntohl(as_v4(storage_).sin_addr.s_addr));
}

std::string Address::ip_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &as_v6(storage_).sin6_addr, text, sizeof text);
  } else {
    inet_ntop(AF_INET, &as_v4(storage_).sin_addr, text, sizeof text);
  }
  return text;
}

std::string Address::to_string() const {
  // Appends rather than `"[" + ...`, which trips a GCC 12 -Wrestrict false
  // positive at -O3.
  std::string out;
  if (family() == AF_INET6) {
    out.append("[").append(ip_string()).append("]");
  } else {
    out.append(ip_string());
  }
  return out.append(":").append(std::to_string(port()));
}

socklen_t Address::sockaddr_len() const {
  return family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

// Ordering compares family, then address bytes, then port, so that it is a
// total order consistent with operator== (which ignores sockaddr padding).
bool Address::operator==(const Address& other) const {
  return !(*this < other) && !(other < *this);
}

bool Address::operator<(const Address& other) const {
  auto key = [](const Address& a) {
    std::array<std::uint8_t, 16> bytes{};
    if (a.family() == AF_INET6) {
      std::memcpy(bytes.data(), &as_v6(a.storage_).sin6_addr, 16);
    } else {
      std::memcpy(bytes.data(), &as_v4(a.storage_).sin_addr, 4);
    }
    return std::tuple(a.family(), bytes, a.port());
  };
  return key(*this) < key(other);
}

}  // namespace cohort
