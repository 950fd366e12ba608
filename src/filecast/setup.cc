#include "cohort/filecast/setup.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "cohort/core/bytes.h"

namespace cohort::filecast {

namespace {

constexpr std::uint32_t kMagic = 0x33534643;  // "CFS3": 3 carries no whole-file hashes
constexpr std::uint32_t kAdaptiveLoss = 0xffffffff;
constexpr double kPpm = 1e6;
constexpr std::uint8_t kHasKey = 1, kUnicast = 2;

std::uint32_t loss_ppm(double loss) {
  if (loss < 0) return kAdaptiveLoss;
  return static_cast<std::uint32_t>(std::lround(std::min(loss, 1.0) * kPpm));
}

void put_member(ByteWriter& w, const CastMember& m) {
  w.u32(m.id);
  w.string(m.address);
}

CastMember get_member(ByteReader& r) {
  CastMember m;
  m.id = r.u32();
  m.address = r.string(SetupLimits::max_address);
  return m;
}

// A count that the remaining input could hold at `min_each` bytes apiece,
// so a forged count never makes a large allocation.
std::size_t get_count(ByteReader& r, std::size_t limit, std::size_t min_each, const char* what) {
  std::uint32_t n = r.u32();
  if (n > limit) {
    r.fail(Errc::too_large, std::to_string(n) + " " + what + " exceed the limit of " + std::to_string(limit));
    return 0;
  }
  if (n * min_each > r.remaining()) {
    r.fail(Errc::truncated, std::to_string(n) + " " + what + " cannot fit in the " + std::to_string(r.remaining()) +
                                " bytes left");
    return 0;
  }
  return n;
}

void put_params(ByteWriter& w, const SessionParams& p) {
  w.u32(p.block_size);
  w.u16(p.k);
  w.u16(p.repair_channels);
  w.u32(loss_ppm(p.expected_loss));
  w.u64(p.rate_bits_per_s);
}

SessionParams get_params(ByteReader& r) {
  SessionParams p;
  p.block_size = r.u32();
  p.k = r.u16();
  p.repair_channels = r.u16();
  std::uint32_t ppm = r.u32();
  if (ppm != kAdaptiveLoss && ppm > kPpm) r.fail(Errc::malformed, "expected loss above 100%");
  p.expected_loss = ppm == kAdaptiveLoss ? -1.0 : ppm / kPpm;
  p.rate_bits_per_s = r.u64();
  return p;
}

void put_entry(ByteWriter& w, const CastEntry& e) {
  w.u8(static_cast<std::uint8_t>(e.kind));
  w.string(e.path);
  w.u64(e.size);
  w.u32(e.mode);
}

CastEntry get_entry(ByteReader& r) {
  CastEntry e;
  std::uint8_t kind = r.u8();
  if (kind > static_cast<std::uint8_t>(CastEntry::Kind::directory)) r.fail(Errc::malformed, "unknown entry kind");
  e.kind = static_cast<CastEntry::Kind>(kind);
  e.path = r.string(SetupLimits::max_path);
  e.size = r.u64();
  e.mode = r.u32();
  return e;
}

void put_info(ByteWriter& w, const SessionInfo& info) {
  w.u64(info.session_id);
  put_params(w, info.params);
  w.bytes(info.digest_key);
  w.u32(static_cast<std::uint32_t>(info.entries.size()));
  for (const CastEntry& e : info.entries) put_entry(w, e);
  w.u32(static_cast<std::uint32_t>(info.group_digests.size()));
  for (const GroupDigest& d : info.group_digests) w.bytes(d);
}

SessionInfo get_info(ByteReader& r) {
  SessionInfo info;
  info.session_id = r.u64();
  info.params = get_params(r);
  ByteView digest_key = r.bytes(info.digest_key.size());
  if (!r.failed()) std::copy(digest_key.begin(), digest_key.end(), info.digest_key.begin());
  constexpr std::size_t kMinEntry = 1 + 4 + 8 + 4;
  std::size_t entries = get_count(r, SetupLimits::max_entries, kMinEntry, "entries");
  info.entries.reserve(entries);
  for (std::size_t i = 0; i < entries && !r.failed(); ++i) info.entries.push_back(get_entry(r));
  std::size_t groups = get_count(r, SetupLimits::max_groups, sizeof(GroupDigest), "group digests");
  info.group_digests.resize(groups);
  for (GroupDigest& d : info.group_digests) {
    ByteView bytes = r.bytes(d.size());
    if (r.failed()) break;
    std::copy(bytes.begin(), bytes.end(), d.begin());
  }
  return info;
}

void put_plan(ByteWriter& w, const NetworkPlan& plan, bool unicast) {
  put_member(w, plan.sender);
  w.u32(static_cast<std::uint32_t>(plan.receivers.size()));
  for (const CastMember& m : plan.receivers) put_member(w, m);
  w.u32(plan.self);
  if (unicast) return;
  w.u32(static_cast<std::uint32_t>(plan.channels.size()));
  for (const std::string& c : plan.channels) w.string(c);
}

NetworkPlan get_plan(ByteReader& r, bool unicast) {
  NetworkPlan plan;
  plan.unicast = unicast;
  plan.sender = get_member(r);
  std::size_t receivers = get_count(r, SetupLimits::max_receivers, 8, "receivers");
  for (std::size_t i = 0; i < receivers && !r.failed(); ++i) plan.receivers.push_back(get_member(r));
  plan.self = r.u32();
  if (unicast) return plan;
  std::size_t channels = get_count(r, SetupLimits::max_channels, 4, "channels");
  for (std::size_t i = 0; i < channels && !r.failed(); ++i) plan.channels.push_back(r.string(SetupLimits::max_address));
  return plan;
}

// Checked before validate(), whose Layout allocates a slot per group: a
// forged size must not make it allocate past the digests actually sent.
Status check_group_count(const SessionInfo& info) {
  const SessionParams& p = info.params;
  if (p.block_size == 0 || p.k == 0) return Error(Errc::malformed, "block size and group size must be positive");
  const std::uint64_t group_bytes = std::uint64_t{p.k} * p.block_size;
  std::uint64_t groups = 0;
  for (const CastEntry& e : info.entries) {
    if (e.kind == CastEntry::Kind::file) groups += e.size / group_bytes + (e.size % group_bytes != 0 ? 1 : 0);
    if (groups > info.group_digests.size()) break;
  }
  if (groups != info.group_digests.size()) {
    return Error(Errc::malformed, "the entries' sizes do not match the " + std::to_string(info.group_digests.size()) +
                                      " group digests");
  }
  return ok_status();
}

Status check_plan(const CastSetup& setup) {
  const NetworkPlan& plan = setup.plan;
  std::set<NodeId> ids{plan.sender.id};
  for (const CastMember& m : plan.receivers) {
    if (!ids.insert(m.id).second) return Error(Errc::malformed, "node id " + std::to_string(m.id) + " appears twice");
  }
  bool self_known = std::any_of(plan.receivers.begin(), plan.receivers.end(),
                                [&](const CastMember& m) { return m.id == plan.self; });
  if (!self_known) return Error(Errc::malformed, "the setup's own receiver id is not among its receivers");
  std::size_t wanted = std::size_t{setup.info.params.repair_channels} + 1;
  if (!plan.unicast && plan.channels.size() != wanted) {
    return Error(Errc::malformed, "the plan names " + std::to_string(plan.channels.size()) + " channels, the session " +
                                      std::to_string(wanted));
  }
  return ok_status();
}

}  // namespace

Buffer encode_setup(const CastSetup& setup) {
  ByteWriter w(64 + setup.info.group_digests.size() * sizeof(GroupDigest) + setup.info.entries.size() * 96);
  w.u32(kMagic);
  std::uint8_t flags = static_cast<std::uint8_t>((setup.info.key ? kHasKey : 0) | (setup.plan.unicast ? kUnicast : 0));
  w.u8(flags);
  if (setup.info.key) w.bytes(*setup.info.key);
  put_info(w, setup.info);
  put_plan(w, setup.plan, setup.plan.unicast);
  return w.finish();
}

Result<CastSetup> decode_setup(ByteView bytes) {
  if (bytes.size() > SetupLimits::max_bytes) {
    return Error(Errc::too_large, "a session setup of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                                      std::to_string(SetupLimits::max_bytes));
  }
  ByteReader r(bytes);
  if (r.u32() != kMagic && !r.failed()) {
    r.fail(Errc::malformed,
           "not a filecast session setup of this version (bad magic); "
           "run the same cohort version on the sender and the receivers");
  }
  std::uint8_t flags = r.u8();
  if ((flags & ~(kHasKey | kUnicast)) != 0) r.fail(Errc::malformed, "unknown setup flags");
  CastSetup setup;
  if ((flags & kHasKey) != 0) {
    ByteView key = r.bytes(SessionKey{}.size());
    if (!r.failed()) std::copy(key.begin(), key.end(), setup.info.key.emplace().begin());
  }
  SessionInfo info = get_info(r);
  info.key = setup.info.key;
  setup.info = std::move(info);
  setup.plan = get_plan(r, (flags & kUnicast) != 0);
  if (Status s = r.finish(); !s) return s.error();
  if (Status s = check_group_count(setup.info); !s) return s.error();
  if (Status s = validate(setup.info); !s) return s.error();
  if (Status s = check_plan(setup); !s) return s.error();
  return setup;
}

}  // namespace cohort::filecast
