// Unit benchmarks of the core data path: encoding, decoding and framing.
#include <benchmark/benchmark.h>

#include "cohort/core/bytes.h"
#include "cohort/wire/frame.h"

namespace {

void BM_EncodeDecodeHeader(benchmark::State& state) {
  for (auto _ : state) {
    cohort::ByteWriter w(32);
    w.u32(7);
    w.u64(123456789);
    w.u16(3);
    cohort::Buffer b = w.finish();
    cohort::ByteReader r(b);
    benchmark::DoNotOptimize(r.u32() + r.u64() + r.u16());
  }
}
BENCHMARK(BM_EncodeDecodeHeader);

void BM_FrameDecode(benchmark::State& state) {
  std::vector<std::uint8_t> payload(static_cast<std::size_t>(state.range(0)), 0x5a);
  std::vector<std::uint8_t> stream;
  for (int i = 0; i < 64; ++i) cohort::wire::encode_frame(payload, stream);
  for (auto _ : state) {
    cohort::wire::FrameDecoder d;
    benchmark::DoNotOptimize(d.feed(stream).ok());
    while (auto f = d.next()) benchmark::DoNotOptimize(f->size());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_FrameDecode)->Arg(64)->Arg(1024)->Arg(65536);

}  // namespace

BENCHMARK_MAIN();
