// Fuzzes the filecast datagram decoders: no crash on any input; whatever
// decodes unsealed re-encodes to the same bytes (the format is canonical);
// and a codec with a key never accepts what it did not seal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "cohort/filecast/packet.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cohort::filecast;
  cohort::Buffer input = cohort::Buffer::copy_of(cohort::ByteView(data, size));
  auto packet = decode_packet(input);
  if (packet.ok() && !(encode_packet(*packet) == input)) std::abort();
  cohort::Rng rng(1);
  SessionKey key{};
  PacketCodec sealed(packet.ok() ? packet->session_id : 0, key, rng);
  if (sealed.decode(input).ok()) std::abort();  // forging needs the key
  PacketCodec plain(packet.ok() ? packet->session_id : 0, std::nullopt, rng);
  if (plain.decode(input).ok() != packet.ok()) std::abort();
  return 0;
}
