#include "cohort/transport/udp.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

// Linux's value (linux/in6.h, since 4.20); glibc's headers lack it.
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

namespace cohort {

namespace {

Status set_int_option(int fd, int level, int name, int value, std::string_view what) {
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) return Error::from_errno(errno, what);
  return ok_status();
}

// The FORCE variants exceed net.core.{r,w}mem_max but need CAP_NET_ADMIN;
// without it the plain option still gets as much as the system allows.
Status set_buffer_size(int fd, int force_name, int plain_name, int bytes, std::string_view what) {
  if (bytes <= 0) return ok_status();
  if (setsockopt(fd, SOL_SOCKET, force_name, &bytes, sizeof bytes) == 0) return ok_status();
  return set_int_option(fd, SOL_SOCKET, plain_name, bytes, what);
}

Status apply_options(int fd, int family, const UdpOptions& options) {
  if (options.reuse_address) {
    if (Status s = set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)"); !s) return s;
  }
  if (options.only_joined_groups) {
    Status s = family == AF_INET6
                   ? set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, "setsockopt(IPV6_MULTICAST_ALL)")
                   : set_int_option(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "setsockopt(IP_MULTICAST_ALL)");
    if (!s) return s;
  }
  if (Status s = set_buffer_size(fd, SO_SNDBUFFORCE, SO_SNDBUF, options.send_buffer_bytes, "setsockopt(SO_SNDBUF)");
      !s) {
    return s;
  }
  return set_buffer_size(fd, SO_RCVBUFFORCE, SO_RCVBUF, options.receive_buffer_bytes, "setsockopt(SO_RCVBUF)");
}

Error bind_error(int err, const Address& local) {
  if (err == EADDRINUSE) {
    return Error(Errc::address_in_use, "UDP address " + local.to_string() + " is already in use");
  }
  return Error::from_errno(err, "binding UDP socket to " + local.to_string());
}

Error no_multicast(const std::string& interface_name, std::string_view why) {
  return Error(Errc::multicast_unavailable,
               "interface \"" + interface_name + "\" cannot do IP multicast (" + std::string(why) +
                   "); enable it with `ip link set " + interface_name +
                   " multicast on`, or name an interface that has the MULTICAST flag");
}

// Resolves a named interface to its index and checks that it can multicast;
// the empty name is index 0, which lets the kernel choose.
Result<unsigned> multicast_interface_index(const std::string& interface_name) {
  if (interface_name.empty()) return 0u;
  unsigned index = if_nametoindex(interface_name.c_str());
  if (index == 0) {
    return Error(Errc::interface_not_found,
                 "network interface \"" + interface_name + "\" does not exist (list them with `ip link`)");
  }
  int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return Error::from_errno(errno, "socket for SIOCGIFFLAGS");
  ifreq request{};
  std::strncpy(request.ifr_name, interface_name.c_str(), IFNAMSIZ - 1);
  int rc = ioctl(probe, SIOCGIFFLAGS, &request);
  int err = errno;
  close(probe);
  if (rc < 0) return Error::from_errno(err, "reading flags of interface \"" + interface_name + "\"");
  if ((request.ifr_flags & IFF_MULTICAST) == 0) return no_multicast(interface_name, "no MULTICAST flag");
  return index;
}

Datagram make_datagram(const sockaddr_storage& peer, socklen_t peer_len, const std::uint8_t* bytes,
                       std::size_t size) {
  return Datagram{Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&peer), peer_len),
                  Buffer::copy_of(ByteView(bytes, size))};
}

}  // namespace

Result<UdpSocket> UdpSocket::bind(const Address& local, const UdpOptions& options) {
  int fd = socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::from_errno(errno, "creating UDP socket");
  UdpSocket sock(fd, local.family());
  if (Status s = apply_options(fd, local.family(), options); !s) return s.error();
  if (::bind(fd, local.sockaddr_ptr(), local.sockaddr_len()) < 0) return bind_error(errno, local);
  return sock;
}

Result<Address> UdpSocket::local_address() const { return Address::local_of(fd()); }

Status UdpSocket::send_to(const Address& to, ByteView bytes) {
  ssize_t n = sendto(fd(), bytes.data(), bytes.size(), 0, to.sockaddr_ptr(), to.sockaddr_len());
  if (n < 0) return Error::from_errno(errno, "sending UDP datagram to " + to.to_string());
  return ok_status();
}

Result<Datagram> UdpSocket::receive(std::size_t max_size) {
  auto scratch = std::make_unique_for_overwrite<std::uint8_t[]>(max_size);
  sockaddr_storage peer{};
  iovec iov{scratch.get(), max_size};
  msghdr header{};
  header.msg_name = &peer;
  header.msg_namelen = sizeof peer;
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  ssize_t n = recvmsg(fd(), &header, 0);
  if (n < 0) return Error::from_errno(errno, "receiving UDP datagram");
  if ((header.msg_flags & MSG_TRUNC) != 0) {
    ++truncated_;
    return Error(Errc::too_large, "dropped a UDP datagram longer than " + std::to_string(max_size) + " bytes");
  }
  return make_datagram(peer, header.msg_namelen, scratch.get(), static_cast<std::size_t>(n));
}

Result<std::size_t> UdpSocket::send_batch(std::span<const Datagram> datagrams, ByteView prefix) {
  const std::size_t parts = prefix.empty() ? 1 : 2;
  std::vector<iovec> iovs(datagrams.size() * parts);
  std::vector<mmsghdr> messages(datagrams.size());
  for (std::size_t i = 0; i < datagrams.size(); ++i) {
    const Datagram& d = datagrams[i];
    iovec* iov = &iovs[i * parts];
    // sendmmsg never writes through these pointers; the API just lacks const.
    if (parts == 2) iov[0] = iovec{const_cast<std::uint8_t*>(prefix.data()), prefix.size()};
    iov[parts - 1] = iovec{const_cast<std::uint8_t*>(d.bytes.data()), d.bytes.size()};
    messages[i].msg_hdr.msg_name = const_cast<sockaddr*>(d.peer.sockaddr_ptr());
    messages[i].msg_hdr.msg_namelen = d.peer.sockaddr_len();
    messages[i].msg_hdr.msg_iov = iov;
    messages[i].msg_hdr.msg_iovlen = parts;
  }
  int n = sendmmsg(fd(), messages.data(), static_cast<unsigned>(messages.size()), 0);
  if (n < 0) return Error::from_errno(errno, "sending a batch of UDP datagrams");
  return static_cast<std::size_t>(n);
}

Result<std::vector<Datagram>> UdpSocket::receive_batch(std::size_t max_count, std::size_t max_size) {
  if (max_count == 0) return Error(Errc::invalid_argument, "receive_batch needs room for at least one datagram");
  auto scratch = std::make_unique_for_overwrite<std::uint8_t[]>(max_count * max_size);
  std::vector<sockaddr_storage> peers(max_count);
  std::vector<iovec> iovs(max_count);
  std::vector<mmsghdr> messages(max_count);
  for (std::size_t i = 0; i < max_count; ++i) {
    iovs[i] = iovec{scratch.get() + i * max_size, max_size};
    messages[i].msg_hdr.msg_name = &peers[i];
    messages[i].msg_hdr.msg_namelen = sizeof peers[i];
    messages[i].msg_hdr.msg_iov = &iovs[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  int n = recvmmsg(fd(), messages.data(), static_cast<unsigned>(max_count), 0, nullptr);
  if (n < 0) return Error::from_errno(errno, "receiving a batch of UDP datagrams");
  std::vector<Datagram> out;
  out.reserve(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    const msghdr& header = messages[i].msg_hdr;
    if ((header.msg_flags & MSG_TRUNC) != 0) {
      ++truncated_;
      continue;
    }
    out.push_back(make_datagram(peers[i], header.msg_namelen, scratch.get() + i * max_size, messages[i].msg_len));
  }
  if (out.empty()) {
    return Error(Errc::too_large, "dropped UDP datagrams longer than " + std::to_string(max_size) + " bytes");
  }
  return out;
}

Status UdpSocket::join_group(const Address& group, const std::string& interface_name) {
  return change_membership(group, interface_name, true);
}

Status UdpSocket::leave_group(const Address& group, const std::string& interface_name) {
  return change_membership(group, interface_name, false);
}

Status UdpSocket::change_membership(const Address& group, const std::string& interface_name, bool join) {
  if (!group.is_multicast()) {
    return Error(Errc::invalid_argument, group.ip_string() + " is not a multicast group address");
  }
  if (group.family() != family_) {
    return Error(Errc::invalid_argument, "group " + group.ip_string() + " is not of the socket's address family");
  }
  auto index = multicast_interface_index(interface_name);
  if (!index) return index.error();
  int rc = 0;
  if (family_ == AF_INET6) {
    ipv6_mreq request{};
    request.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6*>(group.sockaddr_ptr())->sin6_addr;
    request.ipv6mr_interface = *index;
    rc = setsockopt(fd(), IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &request, sizeof request);
  } else {
    ip_mreqn request{};
    request.imr_multiaddr = reinterpret_cast<const sockaddr_in*>(group.sockaddr_ptr())->sin_addr;
    request.imr_ifindex = static_cast<int>(*index);
    rc = setsockopt(fd(), IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &request, sizeof request);
  }
  if (rc == 0) return ok_status();
  int err = errno;
  std::string what = std::string(join ? "joining" : "leaving") + " multicast group " + group.ip_string();
  if (join && (err == ENODEV || err == EADDRNOTAVAIL)) {
    return no_multicast(interface_name.empty() ? "(default)" : interface_name, what + ": " + std::strerror(err));
  }
  return Error::from_errno(err, what);
}

Status UdpSocket::set_multicast_interface(const std::string& interface_name) {
  auto index = multicast_interface_index(interface_name);
  if (!index) return index.error();
  if (family_ == AF_INET6) {
    return set_int_option(fd(), IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(*index),
                          "setsockopt(IPV6_MULTICAST_IF)");
  }
  ip_mreqn request{};
  request.imr_ifindex = static_cast<int>(*index);
  if (setsockopt(fd(), IPPROTO_IP, IP_MULTICAST_IF, &request, sizeof request) < 0) {
    return Error::from_errno(errno, "setting the outgoing multicast interface to \"" + interface_name + "\"");
  }
  return ok_status();
}

Status UdpSocket::set_multicast_ttl(int ttl) {
  if (ttl < 0 || ttl > 255) {
    return Error(Errc::invalid_argument, "multicast TTL " + std::to_string(ttl) + " is outside 0..255");
  }
  if (family_ == AF_INET6) return set_int_option(fd(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl, "IPV6_MULTICAST_HOPS");
  return set_int_option(fd(), IPPROTO_IP, IP_MULTICAST_TTL, ttl, "setsockopt(IP_MULTICAST_TTL)");
}

Status UdpSocket::set_multicast_loopback(bool enabled) {
  int value = enabled ? 1 : 0;
  if (family_ == AF_INET6) return set_int_option(fd(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, value, "IPV6_MULTICAST_LOOP");
  return set_int_option(fd(), IPPROTO_IP, IP_MULTICAST_LOOP, value, "setsockopt(IP_MULTICAST_LOOP)");
}

}  // namespace cohort
