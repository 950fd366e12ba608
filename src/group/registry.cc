// The table of layers a stack string may name.
#include <functional>
#include <map>
#include <sstream>

#include "cohort/group/group_machine.h"
#include "cohort/group/layers/batch.h"
#include "cohort/group/layers/bottom.h"
#include "cohort/group/layers/delay.h"
#include "cohort/group/layers/drop.h"
#include "cohort/group/layers/flow.h"
#include "cohort/group/layers/frag.h"
#include "cohort/group/layers/gmp.h"
#include "cohort/group/layers/mnak.h"
#include "cohort/group/layers/pt2pt.h"
#include "cohort/group/layers/stable.h"
#include "cohort/group/layers/suspect.h"
#include "cohort/group/layers/total.h"

namespace cohort::group {

namespace {

using Factory = std::function<std::unique_ptr<Layer>(const LayerEnv&)>;

const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> table = {
      {"batch", [](const LayerEnv& env) { return std::make_unique<Batch>(env.layers.batch); }},
      {"bottom", [](const LayerEnv&) { return std::make_unique<Bottom>(); }},
      {"delay", [](const LayerEnv&) { return std::make_unique<Delay>(); }},
      {"drop", [](const LayerEnv&) { return std::make_unique<Drop>(); }},
      {"flow", [](const LayerEnv& env) { return std::make_unique<Flow>(env.layers.flow); }},
      {"frag", [](const LayerEnv&) { return std::make_unique<Frag>(); }},
      {"gmp", [](const LayerEnv& env) { return std::make_unique<Gmp>(Gmp::Options{.seeds = env.seeds, .restarted = env.restarted}, env.state); }},
      {"mnak", [](const LayerEnv& env) { return std::make_unique<Mnak>(env.layers.mnak); }},
      {"pt2pt", [](const LayerEnv&) { return std::make_unique<Pt2pt>(); }},
      {"stable", [](const LayerEnv&) { return std::make_unique<Stable>(); }},
      {"suspect", [](const LayerEnv& env) { return std::make_unique<Suspect>(env.layers.suspect); }},
      {"total", [](const LayerEnv& env) { return std::make_unique<Total>(env.layers.total); }},
  };
  return table;
}

std::vector<std::string> split(const std::string& spec) {
  std::vector<std::string> out;
  std::stringstream in(spec);
  std::string item;
  while (std::getline(in, item, ':')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

std::vector<std::string> known_layers() {
  std::vector<std::string> out;
  for (const auto& [name, factory] : registry()) out.push_back(name);
  return out;
}

Result<std::vector<std::unique_ptr<Layer>>> make_layers(const std::string& spec, const LayerEnv& env) {
  std::vector<std::string> names = split(spec);
  if (names.empty() || names.back() != "bottom") names.emplace_back("bottom");
  std::vector<std::unique_ptr<Layer>> layers;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto it = registry().find(names[i]);
    if (it == registry().end()) {
      std::string known;
      for (const auto& k : known_layers()) known += (known.empty() ? "" : ", ") + k;
      return Error(Errc::invalid_argument,
                   "unknown layer '" + names[i] + "' in stack '" + spec + "' (known: " + known + ")");
    }
    if (names[i] == "bottom" && i + 1 != names.size()) {
      return Error(Errc::invalid_argument, "'bottom' must be the last layer of stack '" + spec + "'");
    }
    layers.push_back(it->second(env));
  }
  return layers;
}

}  // namespace cohort::group
