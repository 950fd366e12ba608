#include "bench_message.h"

#include "cohort/core/bytes.h"

namespace cohort::bench {

Buffer encode_bench(const BenchMessage& m, std::size_t size) {
  ByteWriter w(size > kBenchHeaderBytes ? size : kBenchHeaderBytes);
  w.u8(static_cast<std::uint8_t>(m.type));
  w.u64(m.seq);
  w.u64(m.ts_ns);
  w.u64(m.extra);
  for (std::size_t i = kBenchHeaderBytes; i < size; ++i) w.u8(0);
  return w.finish();
}

Result<BenchMessage> decode_bench(ByteView bytes) {
  ByteReader r(bytes);
  BenchMessage m;
  std::uint8_t type = r.u8();
  m.seq = r.u64();
  m.ts_ns = r.u64();
  m.extra = r.u64();
  if (Status s = r.finish(/*exact=*/false); !s) return s.error();
  if (type < static_cast<std::uint8_t>(BenchType::start) || type > static_cast<std::uint8_t>(BenchType::done)) {
    return Error(Errc::invalid_argument, "unknown bench message type " + std::to_string(type));
  }
  m.type = static_cast<BenchType>(type);
  return m;
}

}  // namespace cohort::bench
