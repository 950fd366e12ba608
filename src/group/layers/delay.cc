#include "cohort/group/layers/delay.h"

namespace cohort::group {

void Delay::up(Msg msg, LayerContext& ctx) {
  if (held_.empty()) ctx.set_timer(kRelease, options_.delay);
  held_.push_back(Held{ctx.now() + options_.delay, std::move(msg)});
}

void Delay::timer(std::uint32_t /*key*/, LayerContext& ctx) {
  while (!held_.empty() && held_.front().due <= ctx.now()) {
    ctx.up(std::move(held_.front().msg));
    held_.pop_front();
  }
  if (!held_.empty()) ctx.set_timer(kRelease, held_.front().due - ctx.now());
}

}  // namespace cohort::group
