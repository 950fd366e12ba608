// Unit benchmarks of the UDP data path on loopback: one datagram per system
// call against sendmmsg/recvmmsg batches.
#include <benchmark/benchmark.h>

#include "cohort/transport/udp.h"

namespace {

struct Pair {
  cohort::UdpSocket sender;
  cohort::UdpSocket receiver;
  cohort::Address to;
};

Pair make_pair() {
  cohort::UdpOptions options;
  options.receive_buffer_bytes = 8 << 20;
  auto receiver = cohort::UdpSocket::bind(cohort::Address::ipv4_loopback(0), options);
  auto sender = cohort::UdpSocket::bind(cohort::Address::ipv4_loopback(0));
  auto to = receiver->local_address();
  return Pair{std::move(sender).value(), std::move(receiver).value(), *to};
}

void BM_UdpOneByOne(benchmark::State& state) {
  Pair p = make_pair();
  std::vector<std::uint8_t> payload(static_cast<std::size_t>(state.range(0)), 1);
  for (auto _ : state) {
    for (int i = 0; i < 32; ++i) benchmark::DoNotOptimize(p.sender.send_to(p.to, payload).ok());
    for (int i = 0; i < 32; ++i) benchmark::DoNotOptimize(p.receiver.receive(2048).ok());
  }
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_UdpOneByOne)->Arg(64)->Arg(1024);

void BM_UdpBatched(benchmark::State& state) {
  Pair p = make_pair();
  std::vector<cohort::Datagram> batch(
      32, cohort::Datagram{p.to, cohort::Buffer(std::vector<std::uint8_t>(static_cast<std::size_t>(state.range(0)), 1))});
  for (auto _ : state) {
    benchmark::DoNotOptimize(p.sender.send_batch(batch).ok());
    benchmark::DoNotOptimize(p.receiver.receive_batch(32, 2048).ok());
  }
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_UdpBatched)->Arg(64)->Arg(1024);

}  // namespace

BENCHMARK_MAIN();
