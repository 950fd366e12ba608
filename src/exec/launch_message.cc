#include "cohort/exec/launch_message.h"

#include <string>

#include "cohort/core/bytes.h"

namespace cohort::exec {

namespace {

enum class Type : std::uint8_t { launch = 1, ready = 2 };

struct Encoder {
  ByteWriter& w;
  void operator()(const Launch& m) const {
    w.u8(static_cast<std::uint8_t>(Type::launch));
    w.u64(m.launch_id);
    w.u32(m.width);
    w.u32(m.level_timeout_ms);
    w.u32(m.head);
    w.u32(static_cast<std::uint32_t>(m.subtree.size()));
    for (std::uint32_t host : m.subtree) w.u32(host);
  }
  void operator()(const Ready& m) const {
    w.u8(static_cast<std::uint8_t>(Type::ready));
    w.u64(m.launch_id);
    w.u32(m.started);
    w.u32(m.failed);
  }
};

std::uint32_t get_host(ByteReader& r) {
  std::uint32_t host = r.u32();
  if (host >= kMaxLaunchHosts) r.fail(Errc::malformed, "host index " + std::to_string(host) + " is over the limit");
  return host;
}

std::vector<std::uint32_t> get_hosts(ByteReader& r) {
  std::uint32_t n = r.u32();
  if (n >= kMaxLaunchHosts) {
    r.fail(Errc::too_large, std::to_string(n) + " hosts exceed the limit of " + std::to_string(kMaxLaunchHosts));
    return {};
  }
  // Four bytes each: a count the input cannot hold is refused before allocating.
  if (r.remaining() / 4 < n) {
    r.fail(Errc::truncated, "the launch names more hosts than it carries");
    return {};
  }
  std::vector<std::uint32_t> hosts;
  hosts.reserve(n);
  for (std::uint32_t i = 0; i < n && !r.failed(); ++i) hosts.push_back(get_host(r));
  return hosts;
}

Launch get_launch(ByteReader& r) {
  Launch m;
  m.launch_id = r.u64();
  m.width = r.u32();
  if (m.width == 0 || m.width > kMaxLaunchWidth) r.fail(Errc::malformed, "launch width out of range");
  m.level_timeout_ms = r.u32();
  if (m.level_timeout_ms == 0) r.fail(Errc::malformed, "launch level timeout is zero");
  m.head = get_host(r);
  m.subtree = get_hosts(r);
  return m;
}

Ready get_ready(ByteReader& r) {
  Ready m;
  m.launch_id = r.u64();
  m.started = r.u32();
  m.failed = r.u32();
  if (m.started > kMaxLaunchHosts || m.failed > kMaxLaunchHosts - m.started) {
    r.fail(Errc::malformed, "ready counts more hosts than a launch can have");
  }
  return m;
}

}  // namespace

Buffer encode_launch_message(const LaunchMessage& message) {
  ByteWriter w;
  std::visit(Encoder{w}, message);
  return w.finish();
}

Result<LaunchMessage> decode_launch_message(ByteView bytes) {
  ByteReader r(bytes);
  LaunchMessage message;
  switch (static_cast<Type>(r.u8())) {
    case Type::launch:
      message = get_launch(r);
      break;
    case Type::ready:
      message = get_ready(r);
      break;
    default:
      r.fail(Errc::malformed, "unknown launch message type");
  }
  if (Status s = r.finish(); !s.ok()) return s.error();
  return message;
}

}  // namespace cohort::exec
