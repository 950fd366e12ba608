// chk_fifo: checks, at each member, that casts come up FIFO per sender and
// without duplicates: every process's casts arrive in the order it made them,
// none twice, and within one view with no gap (a reliable FIFO layer below
// delivers all of a sender's casts of a view or a prefix of them). Local: it
// sends nothing. Protocol: docs/group/layers/chk_fifo.md.
#pragma once

#include <map>

#include "cohort/group/layers/checker.h"

namespace cohort::group {

class ChkFifo final : public Checker {
 public:
  ChkFifo() : Checker(CheckerOptions{}, /*gossips=*/false) {}
  std::string_view name() const override { return "chk_fifo"; }

 private:
  struct Last {
    std::uint32_t seq = 0;
    ViewId view;  // the view in which `seq` came up
  };
  void delivered(const Cast& cast, LayerContext& ctx) override;

  std::map<Endpoint, Last> last_;  // per sender process
};

}  // namespace cohort::group
