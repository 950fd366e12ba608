// The messages cohort-group-bench members cast to each other (the same
// protocol as the Corosync anchor's cpgperf client): START opens a run, DATA
// is counted, END closes one sender's part and carries how many DATA it
// cast, PING is the latency probe, DONE says a member has finished and may
// be left. Every message starts with this header; DATA and PING are padded
// to the size under test.
#pragma once

#include <cstdint>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"

namespace cohort::bench {

enum class BenchType : std::uint8_t { start = 1, data = 2, end = 3, ping = 4, done = 5 };

struct BenchMessage {
  BenchType type = BenchType::data;
  std::uint64_t seq = 0;    // DATA, PING: the sender's counter
  std::uint64_t ts_ns = 0;  // the sender's monotonic clock when it cast
  std::uint64_t extra = 0;  // END: DATA messages cast by that sender
};

inline constexpr std::size_t kBenchHeaderBytes = 1 + 8 + 8 + 8;

// Encodes `m`, padded with zeros to `size` bytes if that is larger.
Buffer encode_bench(const BenchMessage& m, std::size_t size = 0);
// Errors: a message shorter than the header, or of an unknown type.
Result<BenchMessage> decode_bench(ByteView bytes);

}  // namespace cohort::bench
