// Reed-Solomon throughput of filecast's codec against ISA-L's bare kernel, in
// one binary: K = 32 groups of 1400-byte blocks, as a multicast transfer uses
// them. Bytes counted are the group's data bytes, as isal_bench.sh counts them.
// "NewPattern" pays the matrix set-up in every group (a fresh loss pattern each
// time, none cached); "Kernel" is ec_encode_data with tables prepared once.
#include <benchmark/benchmark.h>
#include <isa-l/erasure_code.h>

#include <numeric>
#include <vector>

#include "cohort/core/rng.h"
#include "cohort/filecast/fec.h"

namespace {

using cohort::filecast::BlockId;
using cohort::filecast::RsCodec;

constexpr int kK = 32;
constexpr std::size_t kBlock = 1400;
constexpr int kGroups = 16;  // ~0.9 MiB of data: hot in cache, as right after a read

struct Groups {
  std::vector<std::vector<std::uint8_t>> bytes;  // per group: K data + repair blocks, each kBlock
  std::vector<std::vector<const std::uint8_t*>> data;
  int repair;

  Groups(RsCodec& codec, int repair_blocks) : repair(repair_blocks) {
    cohort::Rng rng(42);
    for (int g = 0; g < kGroups; ++g) {
      auto& buf = bytes.emplace_back(static_cast<std::size_t>(kK + repair) * kBlock);
      for (auto& b : buf) b = static_cast<std::uint8_t>(rng.next());
      auto& ptrs = data.emplace_back();
      for (int i = 0; i < kK; ++i) ptrs.push_back(block(g, i));
      std::vector<int> indices(static_cast<std::size_t>(repair));
      std::iota(indices.begin(), indices.end(), 0);
      std::vector<std::uint8_t*> out;
      for (int r = 0; r < repair; ++r) out.push_back(block(g, kK + r));
      if (!codec.encode(ptrs, kBlock, indices, out)) std::abort();
    }
  }
  std::uint8_t* block(int g, int id) {
    return bytes[static_cast<std::size_t>(g)].data() + static_cast<std::size_t>(id) * kBlock;
  }
};

void count_bytes(benchmark::State& state) {
  state.SetBytesProcessed(state.iterations() * kGroups * kK * static_cast<std::int64_t>(kBlock));
}

void BM_Encode(benchmark::State& state) {
  auto codec = RsCodec::create(kK);
  const int repair = static_cast<int>(state.range(0));
  Groups groups(*codec, repair);
  std::vector<int> indices(static_cast<std::size_t>(repair));
  std::iota(indices.begin(), indices.end(), 0);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(repair) * kBlock);
  std::vector<std::uint8_t*> out_ptrs;
  for (int r = 0; r < repair; ++r) out_ptrs.push_back(out.data() + static_cast<std::size_t>(r) * kBlock);
  for (auto _ : state) {
    for (int g = 0; g < kGroups; ++g) {
      benchmark::DoNotOptimize(codec->encode(groups.data[static_cast<std::size_t>(g)], kBlock, indices, out_ptrs));
    }
  }
  count_bytes(state);
}
BENCHMARK(BM_Encode)->Arg(8);

// `lost` data blocks lost in every group, at random places, rebuilt from the
// first `lost` repair blocks; every group a new pattern unless `cached`.
void decode(benchmark::State& state, bool cached) {
  const int lost = static_cast<int>(state.range(0));
  auto codec = RsCodec::create(kK, cached ? 256 : 1);
  Groups groups(*codec, lost);
  cohort::Rng rng(7);
  std::vector<std::vector<BlockId>> patterns;
  for (int p = 0; p < 64; ++p) {
    std::vector<BlockId> ids(kK);
    std::iota(ids.begin(), ids.end(), BlockId{0});
    for (std::size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[rng.below(i)]);
    ids.resize(static_cast<std::size_t>(kK - lost));
    for (int r = 0; r < lost; ++r) ids.push_back(static_cast<BlockId>(kK + r));
    patterns.push_back(ids);
  }
  std::vector<std::uint8_t> out(static_cast<std::size_t>(lost) * kBlock);
  std::vector<std::uint8_t*> out_ptrs;
  for (int r = 0; r < lost; ++r) out_ptrs.push_back(out.data() + static_cast<std::size_t>(r) * kBlock);
  std::vector<const std::uint8_t*> have_bytes(kK);
  std::size_t next = 0;
  for (auto _ : state) {
    for (int g = 0; g < kGroups; ++g) {
      const auto& have = patterns[cached ? 0 : next++ % patterns.size()];
      for (std::size_t i = 0; i < have.size(); ++i) have_bytes[i] = groups.block(g, have[i]);
      benchmark::DoNotOptimize(codec->decode(have, have_bytes, kBlock, out_ptrs));
    }
  }
  count_bytes(state);
}
void BM_DecodeNewPattern(benchmark::State& state) { decode(state, false); }
void BM_DecodeCachedPattern(benchmark::State& state) { decode(state, true); }
BENCHMARK(BM_DecodeNewPattern)->Arg(1)->Arg(2)->Arg(8);
BENCHMARK(BM_DecodeCachedPattern)->Arg(8);

// ISA-L alone, tables ready: the kernel the anchor script calls "decode".
void BM_DecodeKernel(benchmark::State& state) {
  const int lost = static_cast<int>(state.range(0));
  auto codec = RsCodec::create(kK);
  Groups groups(*codec, lost);
  std::vector<std::uint8_t> coefficients(static_cast<std::size_t>(lost * kK), 1);
  std::vector<std::uint8_t> tables(coefficients.size() * 32);
  ec_init_tables(kK, lost, coefficients.data(), tables.data());
  std::vector<std::uint8_t> out(static_cast<std::size_t>(lost) * kBlock);
  std::vector<std::uint8_t*> out_ptrs;
  for (int r = 0; r < lost; ++r) out_ptrs.push_back(out.data() + static_cast<std::size_t>(r) * kBlock);
  std::vector<std::uint8_t*> sources(kK);
  for (auto _ : state) {
    for (int g = 0; g < kGroups; ++g) {
      for (int i = 0; i < kK; ++i) sources[static_cast<std::size_t>(i)] = groups.block(g, i + lost);
      ec_encode_data(static_cast<int>(kBlock), kK, lost, tables.data(), sources.data(), out_ptrs.data());
    }
  }
  count_bytes(state);
}
BENCHMARK(BM_DecodeKernel)->Arg(1)->Arg(2)->Arg(8);

}  // namespace

BENCHMARK_MAIN();
