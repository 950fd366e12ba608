// bottom: turns messages into datagrams and back, in one of two modes that
// are both first-class:
//   fanout:    a cast goes as one unicast datagram to every other member of
//              the current view (networks without IP multicast);
//   multicast: a cast goes as one datagram to the group's multicast channel
//              (joined at start), which the driver maps to an IP multicast
//              group; every node on the channel receives it and drops it
//              unless it is in the cast's view.
// In both, casts loop back to this member; sends go to one member by unicast;
// direct messages (peer == kNoRank) go to an endpoint outside the view, for
// membership traffic between views. Datagrams of another view are dropped.
//
// Envelope, little-endian, before the stack's packed header block:
//   u8 kind (1 cast, 2 send, 3 direct)
//   u16 source rank (direct: kNoRank)
//   u32 view ltime, u32 view coordinator node, u32 coordinator incarnation
//   direct only: u32 source node, u32 source incarnation
// then header_bytes of header block, then the payload. The mode does not
// change the wire format.
#pragma once

#include <memory>
#include <string_view>

#include "cohort/core/error.h"
#include "cohort/group/layer.h"

namespace cohort::group {

enum class BottomMode : std::uint8_t { fanout, multicast };

struct BottomOptions {
  BottomMode mode = BottomMode::fanout;
  ChannelId channel = 0;  // multicast mode: the group's channel
};

// "fanout" or "multicast"; the error lists both.
Result<BottomMode> parse_bottom_mode(std::string_view text);
std::string_view to_string(BottomMode mode);

struct BottomStats {
  std::uint64_t malformed = 0;   // undecodable datagrams
  std::uint64_t other_view = 0;  // casts and sends of a view we are not in
};

class Bottom final : public BottomLayer {
 public:
  explicit Bottom(BottomOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "bottom"; }
  void start(LayerContext& ctx) override;
  void down(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;
  void receive(NodeId from, const Buffer& bytes, LayerContext& ctx) override;
  std::size_t envelope_bytes() const override { return kEnvelopeBytes; }

  const BottomStats& stats() const { return stats_; }
  static constexpr std::size_t kEnvelopeBytes = 15;

 private:
  Buffer encode(const Msg& msg, std::uint8_t kind, Rank source, const Endpoint& self) const;
  void cast(const Buffer& datagram, Rank me, LayerContext& ctx) const;

  BottomOptions options_;
  std::shared_ptr<const View> view_;
  BottomStats stats_;
};

// Decodes one datagram of a stack with `header_bytes` of packed header.
struct Datagram {
  std::uint8_t kind = 0;
  Rank source = kNoRank;
  ViewId view;
  Endpoint source_endpoint;
  Msg msg;
};
Result<Datagram> decode_datagram(const Buffer& bytes, std::size_t header_bytes);

}  // namespace cohort::group
