#include "cohort/group/peers.h"

#include <charconv>
#include <chrono>
#include <fstream>
#include <sstream>

namespace cohort::group {

namespace {

constexpr std::string_view kPeerForm = "write peers as ID=HOST:PORT, e.g. 1=127.0.0.1:7001,2=127.0.0.1:7002";

std::string strip_comments(std::string_view text) {
  std::string out;
  bool comment = false;
  for (char c : text) {
    if (c == '#') comment = true;
    if (c == '\n') comment = false;
    out += comment ? ' ' : c;
  }
  return out;
}

Result<Peer> parse_entry(std::string_view entry) {
  auto eq = entry.find('=');
  if (eq == std::string_view::npos) {
    return Error(Errc::invalid_argument, "peer '" + std::string(entry) + "' has no '=': " + std::string(kPeerForm));
  }
  std::string_view id_text = entry.substr(0, eq);
  Peer peer;
  auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), peer.id);
  if (id_text.empty() || ec != std::errc() || end != id_text.data() + id_text.size()) {
    return Error(Errc::invalid_argument, "peer '" + std::string(entry) + "': '" + std::string(id_text) +
                                             "' is not a node id (0 to 4294967295): " + std::string(kPeerForm));
  }
  auto address = Address::parse(entry.substr(eq + 1));
  if (!address) {
    return Error(Errc::invalid_argument, "peer '" + std::string(entry) + "': " + address.error().message() +
                                             "; " + std::string(kPeerForm) + " (HOST a numeric IP address)");
  }
  peer.address = *address;
  return peer;
}

Status check_unique(const std::vector<Peer>& peers, const Peer& peer) {
  for (const Peer& p : peers) {
    if (p.id == peer.id) return Error(Errc::invalid_argument, "node id " + std::to_string(peer.id) + " is listed twice");
    if (p.address == peer.address) {
      return Error(Errc::invalid_argument, "address " + peer.address.to_string() + " is listed for nodes " +
                                               std::to_string(p.id) + " and " + std::to_string(peer.id));
    }
  }
  return ok_status();
}

}  // namespace

Result<std::vector<Peer>> parse_peers(std::string_view text) {
  std::istringstream in(strip_comments(text));
  std::vector<Peer> peers;
  std::string word;
  while (in >> word) {
    std::istringstream parts(word);
    std::string entry;
    while (std::getline(parts, entry, ',')) {
      if (entry.empty()) continue;
      auto peer = parse_entry(entry);
      if (!peer) return peer.error();
      if (Status s = check_unique(peers, *peer); !s) return s.error();
      peers.push_back(*peer);
    }
  }
  if (peers.empty()) return Error(Errc::invalid_argument, "the peer list is empty: " + std::string(kPeerForm));
  return peers;
}

Result<std::vector<Peer>> load_peers(const std::string& spec) {
  if (spec.find('=') != std::string::npos) return parse_peers(spec);
  std::ifstream file(spec);
  if (!file) {
    return Error(Errc::not_found, "peer file '" + spec + "' cannot be read (or, for a list, " +
                                      std::string(kPeerForm) + ")");
  }
  std::stringstream text;
  text << file.rdbuf();
  auto peers = parse_peers(text.str());
  if (!peers) return Error(peers.error().code(), spec + ": " + peers.error().message());
  return peers;
}

const Peer* find_peer(const std::vector<Peer>& peers, NodeId id) {
  for (const Peer& p : peers) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::uint32_t incarnation_from_clock() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  auto value = static_cast<std::uint32_t>(ms.count());
  return value == 0 ? 1 : value;
}

std::uint32_t start_incarnation(bool restarted) { return restarted ? incarnation_from_clock() : 0; }

}  // namespace cohort::group
