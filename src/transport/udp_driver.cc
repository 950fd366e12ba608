#include "cohort/transport/udp_driver.h"

#include <time.h>

#include <algorithm>
#include <optional>
#include <span>
#include <vector>

#include "cohort/core/log.h"

namespace cohort {

namespace {
constexpr std::size_t kReceiveBatch = 32;
// Bounds one readiness callback so a flood cannot starve timers.
constexpr int kMaxBatchesPerEvent = 8;
// Fan-out mode: a u32 (LE) after the tag, channel + 1, or 0 for a direct send.
constexpr std::size_t kFanoutHeader = 4;
constexpr std::uint32_t kDirect = 0;

Buffer with_fanout_header(std::uint32_t header, const Buffer& bytes) {
  std::vector<std::uint8_t> out(kFanoutHeader + bytes.size());
  for (std::size_t i = 0; i < kFanoutHeader; ++i) out[i] = static_cast<std::uint8_t>(header >> (8 * i));
  std::copy(bytes.data(), bytes.data() + bytes.size(), out.begin() + kFanoutHeader);
  return Buffer(std::move(out));
}

bool is_wildcard(const Address& address) {
  std::string ip = address.ip_string();
  return ip == "0.0.0.0" || ip == "::";
}
}  // namespace

Result<std::unique_ptr<UdpMachineDriver>> UdpMachineDriver::create(EventLoop& loop, UdpSocket socket,
                                                                   Machine& machine) {
  std::unique_ptr<UdpMachineDriver> driver(new UdpMachineDriver(loop, std::move(socket), machine));
  UdpMachineDriver* self = driver.get();
  Status watched = loop.watch(self->socket_.fd(), kReadable,
                              [self](std::uint32_t) { self->receive_available(self->socket_, false); });
  if (!watched) return watched.error();
  return driver;
}

UdpMachineDriver::UdpMachineDriver(EventLoop& loop, UdpSocket socket, Machine& machine)
    : loop_(loop), socket_(std::move(socket)), machine_(machine) {}

UdpMachineDriver::~UdpMachineDriver() {
  loop_.unwatch(socket_.fd());
  for (const auto& [port, socket] : ports_) loop_.unwatch(socket->fd());
  for (const auto& [key, id] : timers_) loop_.cancel_timer(id);
}

Status UdpMachineDriver::add_peer(NodeId id, const Address& address) {
  auto taken = nodes_by_address_.find(address);
  if (taken != nodes_by_address_.end() && taken->second != id) {
    return Error(Errc::invalid_argument, address.to_string() + " already belongs to node " +
                                             std::to_string(taken->second));
  }
  if (auto old = peers_.find(id); old != peers_.end()) nodes_by_address_.erase(old->second);
  peers_[id] = address;
  nodes_by_address_[address] = id;
  return ok_status();
}

void UdpMachineDriver::start() {
  call([this](TimePoint now, Actions& actions) { machine_.start(now, actions); });
}

Status UdpMachineDriver::enable_unicast_channels() {
  if (multicast_ || fanout_) return Error(Errc::invalid_argument, "channels are already set up on this driver");
  auto self = socket_.local_address();
  if (!self) return self.error();
  self_ = *self;
  fanout_ = true;
  return ok_status();
}

Status UdpMachineDriver::enable_multicast(const MulticastOptions& options) {
  if (fanout_) return Error(Errc::invalid_argument, "this driver carries channels by unicast already");
  if (multicast_) return Error(Errc::invalid_argument, "multicast is already enabled on this driver");
  auto self = socket_.local_address();
  if (!self) return self.error();
  if (options.loopback && is_wildcard(*self)) {
    return Error(Errc::invalid_argument,
                 "multicast loopback needs the driver's socket bound to a specific address, not " +
                     self->to_string() + ", to tell its own multicasts from its peers'; bind to the interface's "
                     "address or turn loopback off");
  }
  if (Status s = socket_.set_multicast_interface(options.interface); !s) return s;
  if (Status s = socket_.set_multicast_ttl(options.ttl); !s) return s;
  if (Status s = socket_.set_multicast_loopback(options.loopback); !s) return s;
  self_ = *self;
  multicast_ = options;
  for (const auto& [id, group] : options.channels) {
    if (Status s = open_channel(id, group); !s) {
      for (const auto& [port, socket] : ports_) loop_.unwatch(socket->fd());
      channels_.clear();
      ports_.clear();
      multicast_.reset();
      return s;
    }
  }
  return ok_status();
}

Status UdpMachineDriver::open_channel(ChannelId id, const Address& group) {
  std::string what = "channel " + std::to_string(id) + ": ";
  if (!group.is_multicast() || group.family() != self_.family()) {
    return Error(Errc::invalid_argument, what + group.to_string() + " is not a multicast group of the socket's family");
  }
  for (const auto& [other, channel] : channels_) {
    if (channel.group == group) {
      return Error(Errc::invalid_argument, what + group.to_string() + " is channel " + std::to_string(other) +
                                               "'s group already");
    }
  }
  auto socket = port_socket(group);
  if (!socket) return Error(socket.error().code(), what + socket.error().message());
  channels_.emplace(id, Channel{group, *socket, false});
  return ok_status();
}

// One socket per port, bound to the wildcard address and receiving only the
// groups it joined, so it takes exactly the channels the machine joined, in
// arrival order; shared with other members on this host (SO_REUSEADDR).
Result<UdpSocket*> UdpMachineDriver::port_socket(const Address& group) {
  if (auto it = ports_.find(group.port()); it != ports_.end()) return it->second.get();
  auto wildcard = Address::from_ip(group.family() == AF_INET6 ? "::" : "0.0.0.0", group.port());
  if (!wildcard) return wildcard.error();
  auto socket = UdpSocket::bind(*wildcard, UdpOptions{.reuse_address = true,
                                                     .receive_buffer_bytes = multicast_->receive_buffer_bytes,
                                                     .only_joined_groups = true,
                                                     .coalesced_receive = true});
  if (!socket) return socket.error();
  auto owned = std::make_unique<UdpSocket>(std::move(socket).value());
  UdpSocket* raw = owned.get();
  if (Status s = loop_.watch(raw->fd(), kReadable, [this, raw](std::uint32_t) { receive_available(*raw, true); });
      !s) {
    return s.error();
  }
  ports_.emplace(group.port(), std::move(owned));
  return raw;
}

UdpMachineDriver::Channel* UdpMachineDriver::channel(ChannelId id) {
  auto it = channels_.find(id);
  if (it != channels_.end()) return &it->second;
  ++stats_.unknown_channel_drops;
  return nullptr;
}

void UdpMachineDriver::join(ChannelId id, bool on) {
  if (fanout_) {
    if (on) {
      fanout_joined_.insert(id);
    } else {
      fanout_joined_.erase(id);
    }
    return;
  }
  Channel* c = channel(id);
  if (c == nullptr || c->joined == on) return;
  const std::string& interface = multicast_->interface;
  Status s = on ? c->socket->join_group(c->group, interface) : c->socket->leave_group(c->group, interface);
  if (!s && on) {
    ++stats_.join_failures;
    log::warn("multicast channel {}: {}", id, s.error().to_string());
    return;
  }
  c->joined = on;
}

// The actions of a whole received batch are applied together: what the
// machine sends in answer leaves in one sendmmsg, and a timer re-armed per
// datagram is armed once.
void UdpMachineDriver::receive_available(UdpSocket& socket, bool multicast) {
  std::size_t received = 0;
  for (int i = 0; i < kMaxBatchesPerEvent; ++i) {
    auto batch = socket.receive_batch(kReceiveBatch);
    if (!batch) {
      if (batch.error().code() != Errc::would_block) ++stats_.receive_errors;
      if (received >= coalesce_busy_) pause_after_busy_drain();
      return;
    }
    received += batch->size();
    Actions actions;
    TimePoint now = loop_.now();
    for (const Datagram& datagram : *batch) {
      if (multicast && datagram.peer == self_) {
        ++stats_.own_multicast_drops;
        continue;
      }
      auto from = nodes_by_address_.find(datagram.peer);
      if (from == nodes_by_address_.end()) {
        ++stats_.unknown_sender_drops;
        continue;
      }
      if (!has_tag(datagram.bytes)) {
        ++stats_.other_tag_drops;
        continue;
      }
      NodeId sender = from->second;
      Buffer bytes = tag_.empty() ? datagram.bytes : datagram.bytes.slice(tag_.size());
      if (fanout_ && !take_fanout_header(bytes)) continue;
      machine_.on_packet(now, sender, bytes, actions);
    }
    apply(actions);
  }
}

void UdpMachineDriver::pause_after_busy_drain() {
  if (coalesce_pause_ <= Duration::zero()) return;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(coalesce_pause_).count();
  const timespec pause{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  ::nanosleep(&pause, nullptr);
}

bool UdpMachineDriver::take_fanout_header(Buffer& bytes) {
  if (bytes.size() < kFanoutHeader) {
    ++stats_.other_tag_drops;
    return false;
  }
  std::uint32_t header = 0;
  for (std::size_t i = 0; i < kFanoutHeader; ++i) header |= std::uint32_t{bytes.data()[i]} << (8 * i);
  bytes = bytes.slice(kFanoutHeader);
  if (header == kDirect || fanout_joined_.count(header - 1) != 0) return true;
  ++stats_.unjoined_drops;
  return false;
}

void UdpMachineDriver::fan_out(ChannelId channel, const Buffer& bytes, std::vector<Datagram>& outgoing) const {
  Buffer framed = with_fanout_header(channel + 1, bytes);  // one copy, shared by every peer's datagram
  for (const auto& [id, address] : peers_) {
    if (address != self_) outgoing.push_back(Datagram{address, framed});
  }
}

bool UdpMachineDriver::has_tag(const Buffer& bytes) const {
  return bytes.size() >= tag_.size() && std::equal(tag_.begin(), tag_.end(), bytes.data());
}

void UdpMachineDriver::apply(Actions& actions) {
  std::vector<Datagram> outgoing;
  // Only the last set or cancel of each key counts: a burst that re-arms one
  // timer per message touches the loop's timer heap once.
  std::vector<std::pair<TimerKey, std::optional<Duration>>> timers;
  auto last_wins = [&](TimerKey key, std::optional<Duration> after) {
    for (auto& t : timers) {
      if (t.first == key) {
        t.second = after;
        return;
      }
    }
    timers.emplace_back(key, after);
  };
  for (Action& action : actions.take()) {
    if (auto* send = std::get_if<SendAction>(&action)) {
      auto to = peers_.find(send->to);
      if (to == peers_.end()) {
        ++stats_.unknown_peer_drops;
      } else {
        outgoing.push_back(
            Datagram{to->second, fanout_ ? with_fanout_header(kDirect, send->bytes) : std::move(send->bytes)});
      }
    } else if (auto* cast = std::get_if<MulticastAction>(&action)) {
      if (fanout_) {
        fan_out(cast->channel, cast->bytes, outgoing);
      } else if (Channel* c = channel(cast->channel)) {
        outgoing.push_back(Datagram{c->group, std::move(cast->bytes)});
      }
    } else if (auto* join_action = std::get_if<JoinChannelAction>(&action)) {
      join(join_action->channel, true);
    } else if (auto* leave = std::get_if<LeaveChannelAction>(&action)) {
      join(leave->channel, false);
    } else if (auto* set = std::get_if<SetTimerAction>(&action)) {
      last_wins(set->key, set->after);
    } else if (auto* cancel = std::get_if<CancelTimerAction>(&action)) {
      last_wins(cancel->key, std::nullopt);
    } else if (auto* output = std::get_if<OutputAction>(&action); output != nullptr && on_output_) {
      on_output_(output->record);
    }
  }
  for (const auto& [key, after] : timers) {
    if (after) {
      arm_timer(key, *after);
    } else {
      cancel_timer(key);
    }
  }
  std::span<const Datagram> pending(outgoing);
  while (!pending.empty()) {
    auto sent = socket_.send_batch(pending, tag_);
    if (sent.ok() && *sent > 0) {
      pending = pending.subspan(*sent);
      continue;
    }
    // A refused datagram is skipped, as the network might have lost it.
    ++stats_.send_drops;
    pending = pending.subspan(1);
  }
}

void UdpMachineDriver::arm_timer(TimerKey key, Duration after) {
  cancel_timer(key);
  timers_[key] = loop_.add_timer(after, [this, key] { fire_timer(key); });
}

void UdpMachineDriver::cancel_timer(TimerKey key) {
  auto it = timers_.find(key);
  if (it == timers_.end()) return;
  loop_.cancel_timer(it->second);
  timers_.erase(it);
}

void UdpMachineDriver::fire_timer(TimerKey key) {
  timers_.erase(key);
  call([this, key](TimePoint now, Actions& actions) { machine_.on_timer(now, key, actions); });
}

}  // namespace cohort
