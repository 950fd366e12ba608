#include "cohort/filecast/fec.h"

#include <isa-l/erasure_code.h>

#include <algorithm>
#include <numeric>
#include <string>

namespace cohort::filecast {
namespace {

// GF(2^8) products and ISA-L's 32-byte expanded table of every coefficient,
// made once: set-up per loss pattern then costs lookups and copies, not calls.
struct GfTables {
  std::vector<std::uint8_t> product = std::vector<std::uint8_t>(256 * 256);
  std::vector<std::uint8_t> expanded = std::vector<std::uint8_t>(256 * 32);
  std::vector<std::uint8_t> inverse = std::vector<std::uint8_t>(256);
  GfTables() {
    for (unsigned a = 0; a < 256; ++a) {
      const auto ua = static_cast<std::uint8_t>(a);
      inverse[a] = gf_inv(ua);
      for (unsigned b = 0; b < 256; ++b) product[a * 256 + b] = gf_mul(ua, static_cast<std::uint8_t>(b));
      gf_vect_mul_init(ua, &expanded[a * 32]);
    }
  }
};
const GfTables& gf_tables() {
  static const GfTables tables;
  return tables;
}

// ec_init_tables, by copying precomputed tables.
void expand_coefficients(std::span<const std::uint8_t> coefficients, std::vector<std::uint8_t>& out) {
  const auto& expanded = gf_tables().expanded;
  out.resize(coefficients.size() * 32);
  for (std::size_t i = 0; i < coefficients.size(); ++i) {
    std::copy_n(&expanded[std::size_t{coefficients[i]} * 32], 32, &out[i * 32]);
  }
}

// Gauss-Jordan over GF(2^8) with table lookups (ISA-L's gf_invert_matrix
// calls gf_mul per element). `m` (n x n) is destroyed. False if singular.
bool invert(std::vector<std::uint8_t>& m, std::vector<std::uint8_t>& out, std::size_t n) {
  const auto& t = gf_tables();
  out.assign(n * n, 0);
  for (std::size_t i = 0; i < n; ++i) out[i * n + i] = 1;
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    while (pivot < n && m[pivot * n + col] == 0) ++pivot;
    if (pivot == n) return false;
    if (pivot != col) {
      std::swap_ranges(&m[pivot * n], &m[pivot * n] + n, &m[col * n]);
      std::swap_ranges(&out[pivot * n], &out[pivot * n] + n, &out[col * n]);
    }
    const std::uint8_t* scale = &t.product[std::size_t{t.inverse[m[col * n + col]]} * 256];
    for (std::size_t c = 0; c < n; ++c) {
      m[col * n + c] = scale[m[col * n + c]];
      out[col * n + c] = scale[out[col * n + c]];
    }
    for (std::size_t r = 0; r < n; ++r) {
      const std::uint8_t f = m[r * n + col];
      if (r == col || f == 0) continue;
      const std::uint8_t* by_f = &t.product[std::size_t{f} * 256];
      for (std::size_t c = 0; c < n; ++c) {
        m[r * n + c] ^= by_f[m[col * n + c]];
        out[r * n + c] ^= by_f[out[col * n + c]];
      }
    }
  }
  return true;
}

// Multiplies (rows x inner) by (inner x cols) over GF(2^8).
std::vector<std::uint8_t> gf_multiply(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b,
                                      std::size_t rows, std::size_t inner, std::size_t cols) {
  const auto& product = gf_tables().product;
  std::vector<std::uint8_t> out(rows * cols, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t i = 0; i < inner; ++i) {
      const std::uint8_t* by_f = &product[std::size_t{a[r * inner + i]} * 256];
      for (std::size_t c = 0; c < cols; ++c) {
        out[r * cols + c] ^= by_f[b[i * cols + c]];
      }
    }
  }
  return out;
}

Status check_have(std::span<const BlockId> sorted, std::size_t k, std::size_t bytes) {
  if (sorted.size() != k || bytes != sorted.size()) {
    return Error(Errc::invalid_argument, "decode needs exactly K blocks and their bytes");
  }
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return Error(Errc::invalid_argument, "decode was given the same block twice");
  }
  if (sorted.back() >= RsCodec::kMaxBlocks) return Error(Errc::invalid_argument, "block id out of range");
  return {};
}

}  // namespace

RsCodec::RsCodec(int k, std::size_t cache_patterns)
    : k_(k), cache_limit_(std::max<std::size_t>(cache_patterns, 1)),
      matrix_(static_cast<std::size_t>(kMaxBlocks) * static_cast<std::size_t>(k)) {
  gf_gen_cauchy1_matrix(matrix_.data(), kMaxBlocks, k);
}

Result<RsCodec> RsCodec::create(int k, std::size_t cache_patterns) {
  if (k < 1 || k >= kMaxBlocks) {
    return Error(Errc::invalid_argument, "group size K must be 1.." + std::to_string(kMaxBlocks - 1));
  }
  return RsCodec(k, cache_patterns);
}

Status RsCodec::encode(std::span<const std::uint8_t* const> data, std::size_t block_size, std::span<const int> repair,
                       std::span<std::uint8_t* const> out) const {
  if (data.size() != static_cast<std::size_t>(k_) || repair.size() != out.size()) {
    return Error(Errc::invalid_argument, "encode needs K data blocks and one output per repair index");
  }
  if (repair.empty() || block_size == 0) return {};
  const auto k = static_cast<std::size_t>(k_);
  std::vector<std::uint8_t> rows;
  rows.reserve(repair.size() * k);
  for (const int r : repair) {
    if (r < 0 || r >= max_repair()) return Error(Errc::invalid_argument, "repair index out of range");
    const auto* row = &matrix_[static_cast<std::size_t>(k_ + r) * k];
    rows.insert(rows.end(), row, row + k);
  }
  const int count = static_cast<int>(repair.size());
  std::vector<std::uint8_t> tables;
  expand_coefficients(rows, tables);
  ec_encode_data(static_cast<int>(block_size), k_, count, tables.data(), const_cast<std::uint8_t**>(data.data()),
                 const_cast<std::uint8_t**>(out.data()));
  return {};
}

// With D the data blocks held, L those lost and R the repair blocks held
// (|R| = |L|): R = C_RL * L + C_RD * D, so L = C_RL^-1 * R + C_RL^-1 * C_RD * D.
// Only the |L| x |L| system is inverted, not the K x K one.
Result<const RsCodec::DecodeTables*> RsCodec::tables_for(std::span<const BlockId> have) {
  std::vector<BlockId> key(have.begin(), have.end());
  if (auto it = cache_.find(key); it != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return &it->second;
  }
  const auto k = static_cast<std::size_t>(k_);
  std::vector<std::size_t> lost;
  std::vector<std::size_t> held_data;
  std::vector<std::size_t> held_repair;
  for (BlockId id : have) (id < k ? held_data : held_repair).push_back(id);
  for (std::size_t d = 0; d < k; ++d) {
    if (!std::binary_search(have.begin(), have.end(), static_cast<BlockId>(d))) lost.push_back(d);
  }
  const std::size_t nl = lost.size();
  const std::size_t nd = held_data.size();
  std::vector<std::uint8_t> c_rl(nl * nl);
  std::vector<std::uint8_t> c_rd(nl * nd);
  for (std::size_t i = 0; i < nl; ++i) {
    const auto* row = &matrix_[held_repair[i] * k];
    for (std::size_t j = 0; j < nl; ++j) c_rl[i * nl + j] = row[lost[j]];
    for (std::size_t j = 0; j < nd; ++j) c_rd[i * nd + j] = row[held_data[j]];
  }
  std::vector<std::uint8_t> inverse;
  if (!invert(c_rl, inverse, nl)) {
    return Error(Errc::internal, "the repair rows of this loss pattern are singular");
  }
  const auto from_data = gf_multiply(inverse, c_rd, nl, nl, nd);
  // Columns follow `have` (sorted): data blocks first, then repair blocks.
  std::vector<std::uint8_t> coefficients(nl * k);
  for (std::size_t i = 0; i < nl; ++i) {
    auto* row = &coefficients[i * k];
    std::copy_n(from_data.data() + i * nd, nd, row);
    std::copy_n(&inverse[i * nl], nl, row + nd);
  }
  if (cache_.size() >= cache_limit_) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  DecodeTables& tables = cache_[std::move(key)];
  tables.lru = lru_.begin();
  expand_coefficients(coefficients, tables.gftbls);
  return &tables;
}

Status RsCodec::decode(std::span<const BlockId> have, std::span<const std::uint8_t* const> have_bytes,
                       std::size_t block_size, std::span<std::uint8_t* const> lost_out) {
  std::vector<std::size_t> order(have.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return have[a] < have[b]; });
  std::vector<BlockId> sorted;
  std::vector<const std::uint8_t*> sources;
  for (std::size_t i : order) {
    sorted.push_back(have[i]);
    if (i < have_bytes.size()) sources.push_back(have_bytes[i]);
  }
  if (auto ok = check_have(sorted, static_cast<std::size_t>(k_), have_bytes.size()); !ok) return ok;
  const auto lost = static_cast<std::size_t>(std::count_if(sorted.begin(), sorted.end(), [&](BlockId id) {
    return id >= k_;
  }));
  if (lost_out.size() != lost) return Error(Errc::invalid_argument, "decode needs one output per lost data block");
  if (lost == 0 || block_size == 0) return {};
  auto tables = tables_for(sorted);
  if (!tables) return tables.error();
  ec_encode_data(static_cast<int>(block_size), k_, static_cast<int>(lost), const_cast<std::uint8_t*>((*tables)->gftbls.data()),
                 const_cast<std::uint8_t**>(sources.data()), const_cast<std::uint8_t**>(lost_out.data()));
  return {};
}

}  // namespace cohort::filecast
