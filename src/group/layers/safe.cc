#include "cohort/group/layers/safe.h"

#include <algorithm>

namespace cohort::group {

std::size_t Safe::held() const {
  std::size_t n = 0;
  for (const Origin& o : origins_) n += o.held.size();
  return n;
}

void Safe::up(Msg msg, LayerContext& ctx) {
  if (msg.kind != Msg::Kind::cast || msg.peer >= origins_.size()) {
    ctx.up(std::move(msg));
    return;
  }
  Origin& origin = origins_[msg.peer];
  origin.held.push_back(std::move(msg));
  stats_.max_held = std::max<std::uint64_t>(stats_.max_held, held());
  release_stable(origin, ctx);
}

void Safe::release_stable(Origin& origin, LayerContext& ctx) {
  while (!origin.held.empty() && origin.released < origin.stable) {
    ctx.up(std::move(origin.held.front()));
    origin.held.pop_front();
    ++origin.released;
    ++stats_.released_stable;
  }
}

void Safe::down_event(const Event& event, LayerContext& ctx) {
  if (const auto* v = std::get_if<ViewEvent>(&event)) on_view(v->view, ctx);
  ctx.down(event);
}

void Safe::up_event(const Event& event, LayerContext& ctx) {
  if (const auto* s = std::get_if<StableEvent>(&event); s != nullptr && s->stable.size() == origins_.size()) {
    for (std::size_t r = 0; r < origins_.size(); ++r) {
      origins_[r].stable = std::max(origins_[r].stable, s->stable[r]);
      release_stable(origins_[r], ctx);
    }
  } else if (const auto* v = std::get_if<ViewEvent>(&event)) {
    on_view(v->view, ctx);
  }
  ctx.up(event);
}

// Whatever is held belongs to the ending view and is in its cut.
void Safe::on_view(const std::shared_ptr<const View>& view, LayerContext& ctx) {
  if (view_ && view->id == view_->id) return;
  for (Origin& origin : origins_) {
    while (!origin.held.empty()) {
      ctx.up(std::move(origin.held.front()));
      origin.held.pop_front();
      ++stats_.released_at_view;
    }
  }
  view_ = view;
  origins_.assign(view->size(), Origin{});
}

}  // namespace cohort::group
