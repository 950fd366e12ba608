// filecast's file layer: digest_groups (the sender's read pass before a cast
// starts), hash_files (its SHA-256 pass while the cast runs) and FileSink
// storing a file group by group (the receiver's write and sidecar record), on a 256 MiB file
// in COHORT_BENCH_DIR (default /dev/shm, so the disk is not what is timed),
// beside one plain SHA-256 pass over the same bytes in memory.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cohort/core/rng.h"
#include "cohort/filecast/files.h"

namespace {

namespace fs = std::filesystem;
using namespace cohort::filecast;

constexpr std::size_t kFileBytes = 256u << 20;

fs::path bench_dir() {
  const char* dir = std::getenv("COHORT_BENCH_DIR");
  return fs::path(dir ? dir : "/dev/shm") / ("cohort-files-bench-" + std::to_string(::getpid()));
}

// A random file, and the session a sender would make of it.
struct Fixture {
  fs::path dir = bench_dir();
  LocalContent content;
  SessionInfo info;

  Fixture() {
    fs::create_directories(dir / "src");
    cohort::Rng rng(1);
    std::vector<std::uint64_t> words(kFileBytes / 8);
    for (auto& w : words) w = rng.next();
    std::ofstream(dir / "src" / "file", std::ios::binary)
        .write(reinterpret_cast<const char*>(words.data()), static_cast<std::streamsize>(kFileBytes));
    content = collect_entries({(dir / "src" / "file").string()}).value();
    info.digest_key = DigestKey{1, 2, 3};
    info.group_digests = digest_groups(content, info.params, info.digest_key).value();
    info.entries = content.entries;
  }
  ~Fixture() { fs::remove_all(dir); }
};

// What a cast waits for before its first datagram.
void BM_DigestGroups(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) {
    auto digests = digest_groups(f.content, f.info.params, f.info.digest_key);
    if (!digests) state.SkipWithError(digests.error().message().c_str());
    benchmark::DoNotOptimize(digests);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kFileBytes));
}
BENCHMARK(BM_DigestGroups)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

// The files' SHA-256s for the report, computed while the cast runs.
void BM_HashFiles(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) {
    auto hashes = hash_files(f.content);
    if (!hashes) state.SkipWithError(hashes.error().message().c_str());
    benchmark::DoNotOptimize(hashes);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kFileBytes));
}
BENCHMARK(BM_HashFiles)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

// The yardstick: one SHA-256 pass over the same bytes already in memory.
void BM_PlainSha256InMemory(benchmark::State& state) {
  std::vector<std::uint8_t> bytes(kFileBytes);
  cohort::Rng rng(1);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng.next());
  for (auto _ : state) {
    std::array<unsigned char, 32> digest{};
    if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), nullptr, EVP_sha256(), nullptr) != 1) {
      state.SkipWithError("EVP_Digest failed");
    }
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kFileBytes));
}
BENCHMARK(BM_PlainSha256InMemory)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FileSinkInOrder(benchmark::State& state) {
  Fixture f;
  Layout layout = Layout::create(f.info.entries, f.info.params).value();
  FileSource source(f.content, layout);
  std::vector<std::vector<std::uint8_t>> groups(layout.group_count());
  for (std::uint64_t g = 0; g < groups.size(); ++g) {
    groups[g].resize(layout.group(g).bytes);
    if (!source.read_group(g, groups[g])) state.SkipWithError("reading the source");
  }
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(f.dir / "dest");
    state.ResumeTiming();
    auto sink = FileSink::open((f.dir / "dest").string(), f.info, layout);
    if (!sink) state.SkipWithError(sink.error().message().c_str());
    for (std::uint64_t g = 0; sink && g < groups.size(); ++g) {
      if (!(*sink)->write_group(g, groups[g])) state.SkipWithError("write_group failed");
    }
    if (sink && !(*sink)->finish()) state.SkipWithError("finish failed");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kFileBytes));
}
BENCHMARK(BM_FileSinkInOrder)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
