#include "cohort/group/layers/frag.h"

#include <algorithm>

namespace cohort::group {

namespace {
constexpr std::size_t kIndex = 0, kCount = 1;
}  // namespace

std::uint64_t Frag::max_count() const {
  return (kMaxMessageBytes + options_.max_fragment - 1) / options_.max_fragment;
}

void Frag::down(Msg msg, LayerContext& ctx) {
  std::size_t size = msg.payload.size();
  if (msg.kind == Msg::Kind::direct || size <= options_.max_fragment) {
    ctx.down(std::move(msg));
    return;
  }
  if (size > kMaxMessageBytes) {
    ++stats_.too_large;
    return;
  }
  ++stats_.fragmented;
  auto count = static_cast<std::uint32_t>((size + options_.max_fragment - 1) / options_.max_fragment);
  for (std::uint32_t i = 0; i < count; ++i) {
    std::size_t offset = std::size_t{i} * options_.max_fragment;
    Msg fragment;
    fragment.kind = msg.kind;
    fragment.peer = msg.peer;
    fragment.header = msg.header;
    fragment.payload = msg.payload.slice(offset, std::min(options_.max_fragment, size - offset));
    HeaderSlot h = ctx.slot(fragment);
    h.set(kIndex, i);
    h.set(kCount, count);
    ctx.down(std::move(fragment));
  }
}

void Frag::up(Msg msg, LayerContext& ctx) {
  HeaderSlot h = ctx.slot(msg);
  auto count = static_cast<std::uint32_t>(h.get(kCount));
  if (count == 0) {
    ctx.up(std::move(msg));
    return;
  }
  add_fragment(msg, static_cast<std::uint32_t>(h.get(kIndex)), count, ctx);
}

void Frag::add_fragment(Msg& msg, std::uint32_t index, std::uint32_t count, LayerContext& ctx) {
  Key key{msg.kind, msg.peer};
  Partial& p = partial_[key];
  if (index == 0) p = Partial{0, count, {}};
  bool fits = p.bytes.size() + msg.payload.size() <= kMaxMessageBytes;
  if (index != p.next || count != p.count || count > max_count() || !fits) {
    ++stats_.out_of_order;
    partial_.erase(key);
    return;
  }
  p.bytes.insert(p.bytes.end(), msg.payload.data(), msg.payload.data() + msg.payload.size());
  if (++p.next < count) return;
  ++stats_.reassembled;
  msg.payload = Buffer(std::move(p.bytes));
  partial_.erase(key);
  ctx.slot(msg).set(kIndex, 0);
  ctx.slot(msg).set(kCount, 0);
  ctx.up(std::move(msg));
}

void Frag::down_event(const Event& event, LayerContext& ctx) {
  // Ranks are per view: a partial message of the old view cannot complete.
  if (std::holds_alternative<ViewEvent>(event)) partial_.clear();
  ctx.down(event);
}

}  // namespace cohort::group
