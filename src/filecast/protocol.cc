#include "protocol.h"

#include <algorithm>
#include <cmath>

namespace cohort::filecast::protocol {

double binomial_tail(int n, double p, int r) {
  if (r >= n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  // Sum the pmf up to r with the ratio recurrence, from P(X = 0) = (1-p)^n.
  double term = std::pow(1 - p, n);
  double cdf = term;
  for (int x = 0; x < r; ++x) {
    term *= static_cast<double>(n - x) / static_cast<double>(x + 1) * p / (1 - p);
    cdf += term;
  }
  return std::max(0.0, 1 - cdf);
}

int extra_blocks(int blocks, const LossHistogram& receivers, double risk, int cap) {
  for (int e = 0; e < cap; ++e) {
    double short_risk = 0;
    for (const auto& [p, count] : receivers) short_risk += static_cast<double>(count) * binomial_tail(blocks + e, p, e);
    if (short_risk <= risk) return e;
  }
  return cap;
}

}  // namespace cohort::filecast::protocol
