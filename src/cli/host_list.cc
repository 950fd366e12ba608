#include "host_list.h"

#include <fstream>
#include <sstream>

namespace cohort::cli {

Result<std::vector<std::string>> read_hostfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error(Errc::not_found, "cannot read the host file " + path);
  std::vector<std::string> hosts;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line.substr(0, line.find('#')));
    std::string host;
    if (words >> host) hosts.push_back(host);
  }
  return hosts;
}

std::vector<std::string> split_commas(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::stringstream parts(item);
    for (std::string part; std::getline(parts, part, ',');) {
      if (!part.empty()) out.push_back(part);
    }
  }
  return out;
}

}  // namespace cohort::cli
