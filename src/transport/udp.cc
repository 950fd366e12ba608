#include "cohort/transport/udp.h"

#include <net/if.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

// Linux's value (linux/in6.h, since 4.20); glibc's headers lack it.
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

namespace cohort {

namespace {

constexpr int kOn = 1;

// One segmented message may carry at most 64 datagrams (UDP_MAX_SEGMENTS on
// older kernels) and no more bytes than one IP datagram.
constexpr std::size_t kMaxSegments = 64;
constexpr std::size_t kMaxSegmentedBytes = 65000;

// Room for one control message of an int (UDP_GRO's segment size; it also
// fits UDP_SEGMENT's uint16_t), aligned as the kernel expects.
struct alignas(cmsghdr) ControlRoom {
  char bytes[CMSG_SPACE(sizeof(int))];
};

// How many datagrams from `first` on can leave as one segmented message.
std::size_t run_length(std::span<const Datagram> datagrams, std::size_t first, std::size_t prefix) {
  const Datagram& head = datagrams[first];
  const std::size_t segment = prefix + head.bytes.size();
  if (segment == 0) return 1;  // a segment size of 0 means "do not segment": empties go alone
  std::size_t n = 1;
  while (first + n < datagrams.size() && n < kMaxSegments && (n + 1) * segment <= kMaxSegmentedBytes &&
         datagrams[first + n].bytes.size() == head.bytes.size() && datagrams[first + n].peer == head.peer) {
    ++n;
  }
  return n;
}

void attach_segment_size(msghdr& header, ControlRoom& room, std::size_t segment) {
  header.msg_control = room.bytes;
  header.msg_controllen = CMSG_SPACE(sizeof(std::uint16_t));
  cmsghdr* control = CMSG_FIRSTHDR(&header);
  control->cmsg_level = SOL_UDP;
  control->cmsg_type = UDP_SEGMENT;
  control->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  const auto size = static_cast<std::uint16_t>(segment);
  std::memcpy(CMSG_DATA(control), &size, sizeof size);
}

// The segment size of a datagram the kernel coalesced (UDP_GRO), or 0.
std::size_t coalesced_segment_size(msghdr& header) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(c), sizeof size);
      return size > 0 ? static_cast<std::size_t>(size) : 0;
    }
  }
  return 0;
}

// What a kernel says when it cannot segment: too old, or a segment longer
// than the path's MTU.
bool refuses_segmentation(int err) { return err == EINVAL || err == EIO || err == ENOPROTOOPT; }

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
  // A kernel without UDP_GRO hands every datagram over on its own, which is fine.
  if (options.coalesced_receive && setsockopt(fd, SOL_UDP, UDP_GRO, &kOn, sizeof kOn) < 0 &&
      errno != ENOPROTOOPT) {
    return Error::from_errno(errno, "setsockopt(UDP_GRO)");
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

// Returns sendmmsg's result; `sent` counts the datagrams in the messages it sent.
int UdpSocket::send_messages(std::span<const Datagram> datagrams, ByteView prefix, bool segment,
                             std::size_t& sent) {
  const std::size_t parts = prefix.empty() ? 1 : 2;
  std::vector<iovec> iovs(datagrams.size() * parts);
  std::vector<mmsghdr> messages;
  std::vector<std::size_t> run_lengths;
  std::vector<ControlRoom> controls(datagrams.size());
  messages.reserve(datagrams.size());
  for (std::size_t first = 0; first < datagrams.size();) {
    const std::size_t n = segment ? run_length(datagrams, first, prefix.size()) : 1;
    iovec* iov = &iovs[first * parts];
    for (std::size_t i = 0; i < n; ++i) {
      // sendmmsg never writes through these pointers; the API just lacks const.
      if (parts == 2) iov[i * parts] = iovec{const_cast<std::uint8_t*>(prefix.data()), prefix.size()};
      const Buffer& bytes = datagrams[first + i].bytes;
      iov[i * parts + parts - 1] = iovec{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
    }
    mmsghdr message{};
    message.msg_hdr.msg_name = const_cast<sockaddr*>(datagrams[first].peer.sockaddr_ptr());
    message.msg_hdr.msg_namelen = datagrams[first].peer.sockaddr_len();
    message.msg_hdr.msg_iov = iov;
    message.msg_hdr.msg_iovlen = n * parts;
    if (n > 1) {
      const std::size_t segment_size = prefix.size() + datagrams[first].bytes.size();
      attach_segment_size(message.msg_hdr, controls[messages.size()], segment_size);
    }
    messages.push_back(message);
    run_lengths.push_back(n);
    first += n;
  }
  const int rc = sendmmsg(fd(), messages.data(), static_cast<unsigned>(messages.size()), 0);
  sent = 0;
  for (int i = 0; i < rc; ++i) sent += run_lengths[static_cast<std::size_t>(i)];
  return rc;
}

Result<std::size_t> UdpSocket::send_batch(std::span<const Datagram> datagrams, ByteView prefix) {
  std::size_t sent = 0;
  int rc = send_messages(datagrams, prefix, segment_sends_, sent);
  if (rc < 0 && segment_sends_ && refuses_segmentation(errno)) {
    segment_sends_ = false;  // datagram by datagram from now on
    rc = send_messages(datagrams, prefix, false, sent);
  }
  if (rc < 0) return Error::from_errno(errno, "sending a batch of UDP datagrams");
  return sent;
}

struct UdpSocket::ReceiveRoom {
  ReceiveRoom(std::size_t count, std::size_t size)
      : max_count(count), max_size(size), scratch(count * size), peers(count), iovs(count), controls(count),
        messages(count) {}

  // Every header back to its full room (recvmmsg shortens the lengths).
  void reset() {
    for (std::size_t i = 0; i < max_count; ++i) {
      iovs[i] = iovec{scratch.data() + i * max_size, max_size};
      messages[i].msg_hdr = msghdr{};
      messages[i].msg_hdr.msg_name = &peers[i];
      messages[i].msg_hdr.msg_namelen = sizeof peers[i];
      messages[i].msg_hdr.msg_iov = &iovs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_control = controls[i].bytes;
      messages[i].msg_hdr.msg_controllen = sizeof controls[i].bytes;
    }
  }

  std::size_t max_count, max_size;
  std::vector<std::uint8_t> scratch;
  std::vector<sockaddr_storage> peers;
  std::vector<iovec> iovs;
  std::vector<ControlRoom> controls;
  std::vector<mmsghdr> messages;
};

void UdpSocket::FreeRoom::operator()(ReceiveRoom* room) const { delete room; }

Result<std::vector<Datagram>> UdpSocket::receive_batch(std::size_t max_count, std::size_t max_size) {
  if (max_count == 0) return Error(Errc::invalid_argument, "receive_batch needs room for at least one datagram");
  if (!receive_room_ || receive_room_->max_count != max_count || receive_room_->max_size != max_size) {
    receive_room_.reset(new ReceiveRoom(max_count, max_size));
  }
  ReceiveRoom& room = *receive_room_;
  room.reset();
  int n = recvmmsg(fd(), room.messages.data(), static_cast<unsigned>(max_count), 0, nullptr);
  if (n < 0) return Error::from_errno(errno, "receiving a batch of UDP datagrams");
  const auto received = static_cast<std::size_t>(n);
  std::size_t total = 0;
  for (std::size_t i = 0; i < received; ++i) {
    if ((room.messages[i].msg_hdr.msg_flags & MSG_TRUNC) == 0) total += room.messages[i].msg_len;
  }
  std::vector<std::uint8_t> bytes;
  bytes.reserve(total);
  for (std::size_t i = 0; i < received; ++i) {
    if ((room.messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) continue;
    const std::uint8_t* from = room.scratch.data() + i * max_size;
    bytes.insert(bytes.end(), from, from + room.messages[i].msg_len);
  }
  const Buffer batch(std::move(bytes));
  std::vector<Datagram> out;
  out.reserve(received);
  std::size_t batch_offset = 0;
  for (std::size_t i = 0; i < received; ++i) {
    msghdr& header = room.messages[i].msg_hdr;
    if ((header.msg_flags & MSG_TRUNC) != 0) {
      ++truncated_;
      continue;
    }
    const std::size_t received_bytes = room.messages[i].msg_len;
    Datagram whole{Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&room.peers[i]), header.msg_namelen),
                   batch.slice(batch_offset, received_bytes)};
    batch_offset += received_bytes;
    const std::size_t segment = coalesced_segment_size(header);
    if (segment == 0 || whole.bytes.size() <= segment) {
      out.push_back(std::move(whole));
      continue;
    }
    for (std::size_t offset = 0; offset < whole.bytes.size(); offset += segment) {
      const std::size_t length = std::min(segment, whole.bytes.size() - offset);
      out.push_back(Datagram{whole.peer, whole.bytes.slice(offset, length)});
    }
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
