// cohort-probe: the testbed's measuring stick (instead of ping). It sends,
// echoes, counts and overhears UDP datagrams through cohort's own transport,
// so a fault test also shows that our sockets see what the network does.
// Every mode ends by itself: after its duration or its count.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <vector>

#include "cohort/transport/address.h"
#include "cohort/transport/udp.h"
#include "probe_multicast.h"

namespace {

using Clock = std::chrono::steady_clock;
using cohort::Address;
using cohort::UdpSocket;

constexpr std::size_t kPayloadSize = 32;

int fail(const cohort::Error& error) {
  std::cerr << "cohort-probe: " << error.to_string() << "\n";
  return 1;
}

int fail_errno(const char* what) { return fail(cohort::Error::from_errno(errno, what)); }

int millis_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1000));
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

std::array<std::uint8_t, kPayloadSize> payload_for(std::uint64_t seq) {
  std::array<std::uint8_t, kPayloadSize> bytes{};
  for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(seq >> (56 - 8 * i));
  return bytes;
}

std::uint64_t seq_of(cohort::ByteView bytes) {
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < 8 && i < bytes.size(); ++i) seq = (seq << 8) | bytes[i];
  return seq;
}

int run_echo(std::uint16_t port, int duration_ms) {
  auto socket = UdpSocket::bind(Address::ipv4_any(port));
  if (!socket) return fail(socket.error());
  auto deadline = Clock::now() + std::chrono::milliseconds(duration_ms);
  std::uint64_t echoed = 0;
  while (Clock::now() < deadline) {
    if (!wait_readable(socket->fd(), millis_until(deadline))) continue;
    for (int burst = 0; burst < 1024; ++burst) {
      auto datagram = socket->receive();
      if (!datagram) break;
      if (socket->send_to(datagram->peer, datagram->bytes.view())) ++echoed;
    }
  }
  std::cout << "echoed " << echoed << std::endl;
  return 0;
}

int run_sink(std::uint16_t port, int duration_ms) {
  auto socket = UdpSocket::bind(Address::ipv4_any(port));
  if (!socket) return fail(socket.error());
  auto deadline = Clock::now() + std::chrono::milliseconds(duration_ms);
  std::uint64_t received = 0;
  while (Clock::now() < deadline) {
    if (!wait_readable(socket->fd(), millis_until(deadline))) continue;
    for (int burst = 0; burst < 1024; ++burst) {
      if (!socket->receive()) break;
      ++received;
    }
  }
  std::cout << "received " << received << std::endl;
  return 0;
}

// Collects echo replies until `until`; each sequence number counts once.
void collect_replies(UdpSocket& socket, std::vector<bool>& seen, std::uint64_t& replies, Clock::time_point until) {
  do {
    if (!wait_readable(socket.fd(), millis_until(until))) continue;
    for (int burst = 0; burst < 1024; ++burst) {
      auto datagram = socket.receive();
      if (!datagram) break;
      std::uint64_t seq = seq_of(datagram->bytes.view());
      if (seq < seen.size() && !seen[seq]) {
        seen[seq] = true;
        ++replies;
      }
    }
  } while (Clock::now() < until && replies < seen.size());
}

int run_send(const std::string& to_text, std::uint64_t count, int interval_us, int wait_ms) {
  auto to = Address::parse(to_text);
  if (!to) return fail(to.error());
  auto socket = UdpSocket::bind(Address::ipv4_any(0));
  if (!socket) return fail(socket.error());
  std::vector<bool> seen(count, false);
  std::uint64_t sent = 0;
  std::uint64_t replies = 0;
  auto next = Clock::now();
  for (std::uint64_t seq = 0; seq < count; ++seq) {
    auto payload = payload_for(seq);
    if (socket->send_to(*to, payload)) ++sent;
    next += std::chrono::microseconds(interval_us);
    collect_replies(*socket, seen, replies, next);
  }
  collect_replies(*socket, seen, replies, Clock::now() + std::chrono::milliseconds(wait_ms));
  std::cout << "sent " << sent << " replies " << replies << std::endl;
  return 0;
}

// Counts IPv4 UDP packets to `port` that are addressed to some other host:
// traffic this host can only see if the bridge floods it here.
int run_sniff(const std::string& iface, std::uint16_t port, int duration_ms) {
  unsigned index = ::if_nametoindex(iface.c_str());
  if (index == 0) return fail(cohort::Error(cohort::Errc::interface_not_found, "no interface " + iface));
  int fd = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
  if (fd < 0) return fail_errno("socket(AF_PACKET)");
  sockaddr_ll bind_to{};
  bind_to.sll_family = AF_PACKET;
  bind_to.sll_protocol = htons(ETH_P_IP);
  bind_to.sll_ifindex = static_cast<int>(index);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&bind_to), sizeof bind_to) != 0) return fail_errno("bind");
  packet_mreq promisc{};
  promisc.mr_ifindex = static_cast<int>(index);
  promisc.mr_type = PACKET_MR_PROMISC;
  if (::setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &promisc, sizeof promisc) != 0) {
    return fail_errno("PACKET_MR_PROMISC");
  }
  ifreq request{};
  std::strncpy(request.ifr_name, iface.c_str(), IFNAMSIZ - 1);
  in_addr own{};
  if (::ioctl(fd, SIOCGIFADDR, &request) == 0) {
    own = reinterpret_cast<const sockaddr_in*>(&request.ifr_addr)->sin_addr;
  }

  auto deadline = Clock::now() + std::chrono::milliseconds(duration_ms);
  std::uint64_t overheard = 0;
  std::array<std::uint8_t, 2048> buf{};
  while (Clock::now() < deadline) {
    if (!wait_readable(fd, millis_until(deadline))) continue;
    sockaddr_ll from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < static_cast<ssize_t>(sizeof(iphdr) + sizeof(udphdr)) || from.sll_pkttype == PACKET_OUTGOING) continue;
    iphdr ip{};
    std::memcpy(&ip, buf.data(), sizeof ip);
    std::size_t header = static_cast<std::size_t>(ip.ihl) * 4;
    if (ip.version != 4 || ip.protocol != IPPROTO_UDP || header + sizeof(udphdr) > static_cast<std::size_t>(n)) {
      continue;
    }
    if ((ntohs(ip.frag_off) & IP_OFFMASK) != 0 || ip.daddr == own.s_addr) continue;
    udphdr udp{};
    std::memcpy(&udp, buf.data() + header, sizeof udp);
    if (ntohs(udp.dest) == port) ++overheard;
  }
  ::close(fd);
  std::cout << "overheard " << overheard << std::endl;
  return 0;
}

// "ID=ADDR:PORT" for each peer.
cohort::Result<std::map<cohort::NodeId, Address>> parse_peers(const std::vector<std::string>& texts) {
  std::map<cohort::NodeId, Address> peers;
  for (const std::string& text : texts) {
    auto eq = text.find('=');
    auto address = Address::parse(eq == std::string::npos ? "" : text.substr(eq + 1));
    if (eq == 0 || eq > 9 || eq == std::string::npos || text.find_first_not_of("0123456789") != eq || !address) {
      return cohort::Error(cohort::Errc::invalid_argument, "--peer wants ID=ADDR:PORT, not '" + text + "'");
    }
    peers[static_cast<cohort::NodeId>(std::stoul(text.substr(0, eq)))] = *address;
  }
  return peers;
}

int run_multicast_mode(cohort::probe::MulticastProbeOptions options, const std::string& bind,
                       const std::vector<std::string>& peers, const std::string& group) {
  auto bind_address = Address::parse(bind);
  if (!bind_address) return fail(bind_address.error());
  auto group_address = Address::parse(group);
  if (!group_address) return fail(group_address.error());
  auto peer_table = parse_peers(peers);
  if (!peer_table) return fail(peer_table.error());
  options.bind = *bind_address;
  options.group = *group_address;
  options.peers = std::move(peer_table).value();
  return cohort::probe::run_multicast(options);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort-probe: bounded UDP echo, sink, sender, sniffer and driver multicast for testbed tests"};
  app.require_subcommand(1);

  std::uint16_t port = 0;
  int duration_ms = 1000;
  std::string to;
  std::string iface = "eth0";
  std::uint64_t count = 100;
  int interval_us = 1000;
  int wait_ms = 500;

  auto add_duration = [&](CLI::App* sub) {
    sub->add_option("--duration-ms", duration_ms, "Exit after this many milliseconds")
        ->required()
        ->check(CLI::Range(1, 600000));
  };
  auto* echo = app.add_subcommand("echo", "UDP echo server; prints `echoed N`");
  echo->add_option("--port", port, "UDP port")->required();
  add_duration(echo);

  auto* sink = app.add_subcommand("sink", "Count UDP datagrams received; prints `received N`");
  sink->add_option("--port", port, "UDP port")->required();
  add_duration(sink);

  auto* send = app.add_subcommand("send", "Send N numbered datagrams, count echo replies; prints `sent N replies M`");
  send->add_option("--to", to, "Destination ADDR:PORT")->required();
  send->add_option("--count", count, "Datagrams to send")->check(CLI::Range(1, 10000000));
  send->add_option("--interval-us", interval_us, "Pause between datagrams")->check(CLI::Range(0, 10000000));
  send->add_option("--wait-ms", wait_ms, "Wait for late replies after the last send")->check(CLI::Range(0, 600000));

  auto* sniff = app.add_subcommand("sniff", "Count overheard UDP packets to PORT addressed to other hosts; "
                                            "prints `overheard N` (needs CAP_NET_RAW)");
  sniff->add_option("--iface", iface, "Interface to listen on");
  sniff->add_option("--port", port, "UDP destination port")->required();
  add_duration(sniff);

  cohort::probe::MulticastProbeOptions mc;
  std::string bind, group;
  std::vector<std::string> peers;
  auto* multicast = app.add_subcommand("multicast", "A Machine on UdpMachineDriver multicasting to one channel; "
                                                    "prints `sent N fromI M ... misattributed K ...`");
  multicast->add_option("--self", mc.self, "This member's node id")->required();
  multicast->add_option("--bind", bind, "This member's unicast ADDR:PORT")->required();
  multicast->add_option("--peer", peers, "ID=ADDR:PORT of a member (repeat)")->required();
  multicast->add_option("--group", group, "The channel's multicast group GROUP:PORT")->required();
  multicast->add_option("--iface", mc.interface, "Interface to join and send on");
  multicast->add_option("--count", mc.count, "Datagrams to multicast")->check(CLI::Range(0, 100000));
  multicast->add_option("--start-after-ms", mc.start_after_ms, "Wait before the first multicast")
      ->check(CLI::Range(0, 600000));
  multicast->add_option("--interval-ms", mc.interval_ms, "Pause between multicasts")->check(CLI::Range(1, 600000));
  multicast->add_option("--duration-ms", mc.duration_ms, "Exit after this many milliseconds")
      ->check(CLI::Range(1, 600000));

  CLI11_PARSE(app, argc, argv);
  if (multicast->parsed()) return run_multicast_mode(mc, bind, peers, group);

  if (echo->parsed()) return run_echo(port, duration_ms);
  if (sink->parsed()) return run_sink(port, duration_ms);
  if (send->parsed()) return run_send(to, count, interval_us, wait_ms);
  return run_sniff(iface, port, duration_ms);
}
