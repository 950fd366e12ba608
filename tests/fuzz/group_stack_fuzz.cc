// Fuzzes every layer's decoder at once: a member with every layer of the
// registry in its stack takes datagrams whose envelope names its current view
// (so the bottom passes them up) and whose header block and payload are the
// fuzzer's. gmp, total, mnak, pt2pt, stable, suspect, frag, batch and the
// checker layers each parse what reaches them; none may crash, read out of
// bounds or allocate without limit. Timers fire between datagrams so that
// retransmission and gossip code runs on the state the input built.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <memory>

#include "cohort/core/bytes.h"
#include "cohort/group/group_machine.h"

namespace {

using namespace cohort;
using namespace cohort::group;

// With gmp the member starts alone and the input drives membership; without
// it the member sits in a fixed view of three, so casts and sends of every
// origin reach total, mnak, pt2pt, stable, frag and batch.
constexpr const char* kMembershipStack =
    "chk_fifo:chk_sync:chk_total:total:frag:safe:gmp:flow:stable:mnak:pt2pt:suspect:batch";
constexpr const char* kStaticStack = "chk_fifo:chk_sync:chk_total:total:frag:safe:flow:stable:mnak:pt2pt:suspect:batch";
constexpr NodeId kPeers = 3;

class QuietApp final : public GroupApp {
 public:
  void on_view(const View&, Actions&) override {}
  void on_deliver(const Endpoint&, const Msg&, Actions&) override {}
};

std::unique_ptr<GroupMachine> member(bool membership) {
  GroupConfig config;
  config.stack = membership ? kMembershipStack : kStaticStack;
  for (NodeId n = 0; n < kPeers; ++n) {
    config.seeds.push_back(n);
    if (!membership) config.static_members.push_back(Endpoint{n, 0});
  }
  auto created = GroupMachine::create(Endpoint{0, 0}, config, Rng(1), std::make_unique<QuietApp>());
  if (!created) std::abort();  // the stack strings name known layers
  return std::move(created).value();
}

// One datagram as the bottom of peer `source` would have written it.
Buffer datagram(const GroupMachine& m, NodeId source, ByteReader& in) {
  std::uint8_t kind = in.u8() % 4;
  std::size_t length = in.u16() % 2048;
  ViewId id = m.view() ? m.view()->id : ViewId{};
  ByteWriter w(64 + length);
  w.u8(kind);
  w.u16(static_cast<std::uint16_t>(source));
  w.u32(id.ltime);
  w.u32(id.coordinator.node);
  w.u32(id.coordinator.incarnation);
  if (kind == 3) {  // direct: the sender's endpoint
    w.u32(source);
    w.u32(0);
  }
  w.bytes(in.bytes(std::min(length, in.remaining())));
  return w.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::unique_ptr<GroupMachine> m = member(data[0] % 2 == 0);
  TimePoint now{};
  Actions ignored;
  m->start(now, ignored);
  ByteReader in(ByteView(data + 1, size - 1));
  while (in.remaining() >= 4) {
    auto source = static_cast<NodeId>(1 + in.u8() % (kPeers - 1));
    Buffer bytes = datagram(*m, source, in);
    now += std::chrono::milliseconds(5);
    Actions actions;
    m->on_packet(now, source, bytes, actions);
    for (const Action& a : actions.list()) {
      if (const auto* t = std::get_if<SetTimerAction>(&a)) m->on_timer(now, t->key, ignored);
    }
  }
  return 0;
}
