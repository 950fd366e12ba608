#include "cohort/group/layers/batch.h"

#include <algorithm>

#include "cohort/core/bytes.h"

namespace cohort::group {

namespace {
constexpr std::size_t kItems = 0;
constexpr std::size_t kLengthBytes = 4;
// Fits the u16 items field.
constexpr std::size_t kMaxItems = 0xffff;
}  // namespace

std::size_t Batch::item_bytes(const Msg& msg, const LayerContext& ctx) {
  return kLengthBytes + ctx.header_bytes() + msg.payload.size();
}

void Batch::down(Msg msg, LayerContext& ctx) {
  if (msg.kind == Msg::Kind::direct) {
    ctx.down(std::move(msg));
    return;
  }
  Dest dest = msg.kind == Msg::Kind::cast ? kNoRank : msg.peer;
  std::size_t bytes = item_bytes(msg, ctx);
  Queue& q = queues_[dest];
  if (q.bytes + bytes > options_.max_batch_bytes || q.items.size() == kMaxItems) flush(dest, ctx);
  if (bytes > options_.max_batch_bytes) {
    ctx.down(std::move(msg));
    return;
  }
  bool was_idle = true;
  for (const auto& [d, queue] : queues_) was_idle = was_idle && queue.items.empty();
  if (was_idle) ctx.set_timer(kFlush, options_.max_delay);
  q.bytes += bytes;
  q.items.push_back(std::move(msg));
}

void Batch::flush(Dest dest, LayerContext& ctx) {
  Queue& q = queues_[dest];
  if (q.items.size() == 1) {
    ctx.down(std::move(q.items.front()));
  } else if (!q.items.empty()) {
    ++stats_.batches;
    stats_.items += q.items.size();
    ctx.down(pack(dest, q.items, ctx));
  }
  q = Queue{};
}

void Batch::flush_all(LayerContext& ctx) {
  for (auto& [dest, queue] : queues_) flush(dest, ctx);
}

Msg Batch::pack(Dest dest, const std::vector<Msg>& items, LayerContext& ctx) {
  ByteWriter w;
  for (const Msg& item : items) {
    w.u32(static_cast<std::uint32_t>(item.payload.size()));
    w.bytes(ByteView(item.header.data(), ctx.header_bytes()));
    w.bytes(item.payload);
  }
  Msg msg;
  msg.kind = dest == kNoRank ? Msg::Kind::cast : Msg::Kind::send;
  msg.peer = dest;
  msg.payload = w.finish();
  ctx.slot(msg).set(kItems, items.size());
  return msg;
}

void Batch::up(Msg msg, LayerContext& ctx) {
  auto items = ctx.slot(msg).get(kItems);
  if (items == 0) {
    ctx.up(std::move(msg));
    return;
  }
  ByteReader r(msg.payload);
  std::vector<Msg> out;
  for (std::uint64_t i = 0; i < items && !r.failed(); ++i) {
    Msg item;
    item.kind = msg.kind;
    item.peer = msg.peer;
    std::uint32_t length = r.u32();
    ByteView header = r.bytes(ctx.header_bytes());
    std::size_t at = r.position();
    r.bytes(length);
    if (r.failed()) break;
    std::copy(header.begin(), header.end(), item.header.data());
    item.payload = msg.payload.slice(at, length);
    out.push_back(std::move(item));
  }
  if (!r.finish(/*exact=*/true)) {
    ++stats_.malformed;  // a corrupt batch delivers nothing, not a prefix
    return;
  }
  for (Msg& item : out) ctx.up(std::move(item));
}

void Batch::down_event(const Event& event, LayerContext& ctx) {
  // What was queued belongs to the old view: it goes out before the change.
  if (std::holds_alternative<ViewEvent>(event)) {
    flush_all(ctx);
    ctx.cancel_timer(kFlush);
  }
  ctx.down(event);
}

void Batch::timer(std::uint32_t /*key*/, LayerContext& ctx) { flush_all(ctx); }

}  // namespace cohort::group
