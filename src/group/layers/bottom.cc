#include "cohort/group/layers/bottom.h"

#include "cohort/core/bytes.h"

namespace cohort::group {

namespace {
constexpr std::uint8_t kCast = 1, kSend = 2, kDirect = 3;
}  // namespace

Result<BottomMode> parse_bottom_mode(std::string_view text) {
  if (text == "fanout") return BottomMode::fanout;
  if (text == "multicast") return BottomMode::multicast;
  return Error(Errc::invalid_argument, "unknown bottom mode '" + std::string(text) + "' (known: fanout, multicast)");
}

std::string_view to_string(BottomMode mode) { return mode == BottomMode::multicast ? "multicast" : "fanout"; }

void Bottom::start(LayerContext& ctx) {
  if (options_.mode == BottomMode::multicast) ctx.join_channel(options_.channel);
}

void Bottom::cast(const Buffer& datagram, Rank me, LayerContext& ctx) const {
  if (view_->size() < 2) return;  // nobody else to tell
  if (options_.mode == BottomMode::multicast) {
    ctx.multicast(options_.channel, datagram);
    return;
  }
  for (Rank r = 0; r < view_->size(); ++r) {
    if (r != me) ctx.transmit(view_->members[r].node, datagram);
  }
}

Buffer Bottom::encode(const Msg& msg, std::uint8_t kind, Rank source, const Endpoint& self) const {
  ByteWriter w(kEnvelopeBytes + 8 + header_bytes_ + msg.payload.size());
  w.u8(kind);
  w.u16(source);
  ViewId id = view_ ? view_->id : ViewId{};
  w.u32(id.ltime);
  w.u32(id.coordinator.node);
  w.u32(id.coordinator.incarnation);
  if (kind == kDirect) {
    w.u32(self.node);
    w.u32(self.incarnation);
  }
  w.bytes(ByteView(msg.header.data(), header_bytes_));
  w.bytes(msg.payload);
  return w.finish();
}

void Bottom::down(Msg msg, LayerContext& ctx) {
  const Endpoint& self = ctx.self();
  if (msg.kind == Msg::Kind::direct) {
    ctx.transmit(msg.endpoint.node, encode(msg, kDirect, kNoRank, self));
    return;
  }
  if (!view_) return;
  Rank me = view_->rank_of(self);
  if (msg.kind == Msg::Kind::send) {
    if (msg.peer >= view_->size()) return;
    if (msg.peer == me) {
      ctx.up(std::move(msg));
      return;
    }
    ctx.transmit(view_->members[msg.peer].node, encode(msg, kSend, me, self));
    return;
  }
  cast(encode(msg, kCast, me, self), me, ctx);
  msg.peer = me;  // casts loop back, as IP multicast does with loopback on
  ctx.up(std::move(msg));
}

void Bottom::down_event(const Event& event, LayerContext& /*ctx*/) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) view_ = v->view;
}

Result<Datagram> decode_datagram(const Buffer& bytes, std::size_t header_bytes) {
  ByteReader r(bytes);
  Datagram d;
  d.kind = r.u8();
  d.source = r.u16();
  d.view.ltime = r.u32();
  d.view.coordinator.node = r.u32();
  d.view.coordinator.incarnation = r.u32();
  if (d.kind == kDirect) {
    d.source_endpoint.node = r.u32();
    d.source_endpoint.incarnation = r.u32();
  } else if (d.kind != kCast && d.kind != kSend) {
    r.fail(Errc::malformed, "unknown datagram kind " + std::to_string(d.kind));
  }
  ByteView header = r.bytes(header_bytes);
  if (Status s = r.finish(/*exact=*/false); !s) return s.error();
  std::copy(header.begin(), header.end(), d.msg.header.data());
  d.msg.kind = static_cast<Msg::Kind>(d.kind);
  d.msg.peer = d.source;
  d.msg.endpoint = d.source_endpoint;
  d.msg.payload = bytes.slice(r.position());
  return d;
}

void Bottom::receive(NodeId /*from*/, const Buffer& bytes, LayerContext& ctx) {
  auto d = decode_datagram(bytes, header_bytes_);
  if (!d) {
    ++stats_.malformed;
    return;
  }
  if (d->kind == kDirect) {
    ctx.up(std::move(d->msg));
    return;
  }
  if (!view_ || d->view != view_->id || d->source >= view_->size()) {
    ++stats_.other_view;
    return;
  }
  ctx.up(std::move(d->msg));
}

}  // namespace cohort::group
