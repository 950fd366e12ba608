// The table of layers a stack string may name.
#include <algorithm>
#include <functional>
#include <map>
#include <sstream>

#include "cohort/group/group_machine.h"
#include "cohort/group/layers/batch.h"
#include "cohort/group/layers/bottom.h"
#include "cohort/group/layers/chk_fifo.h"
#include "cohort/group/layers/chk_sync.h"
#include "cohort/group/layers/chk_total.h"
#include "cohort/group/layers/delay.h"
#include "cohort/group/layers/drop.h"
#include "cohort/group/layers/flow.h"
#include "cohort/group/layers/frag.h"
#include "cohort/group/layers/gmp.h"
#include "cohort/group/layers/mnak.h"
#include "cohort/group/layers/pt2pt.h"
#include "cohort/group/layers/safe.h"
#include "cohort/group/layers/stable.h"
#include "cohort/group/layers/suspect.h"
#include "cohort/group/layers/total.h"

namespace cohort::group {

namespace {

const std::map<std::string, LayerFactory>& registry() {
  static const std::map<std::string, LayerFactory> table = {
      {"batch", [](const LayerEnv& env) { return std::make_unique<Batch>(env.layers.batch); }},
      {"bottom", [](const LayerEnv& env) { return std::make_unique<Bottom>(env.bottom); }},
      {"chk_fifo", [](const LayerEnv&) { return std::make_unique<ChkFifo>(); }},
      {"chk_sync", [](const LayerEnv&) { return std::make_unique<ChkSync>(); }},
      {"chk_total", [](const LayerEnv&) { return std::make_unique<ChkTotal>(); }},
      {"delay", [](const LayerEnv&) { return std::make_unique<Delay>(); }},
      {"drop", [](const LayerEnv&) { return std::make_unique<Drop>(); }},
      {"flow", [](const LayerEnv& env) { return std::make_unique<Flow>(env.layers.flow); }},
      {"frag", [](const LayerEnv&) { return std::make_unique<Frag>(); }},
      {"gmp", [](const LayerEnv& env) { return std::make_unique<Gmp>(Gmp::Options{.seeds = env.seeds, .restarted = env.restarted}, env.state); }},
      {"mnak", [](const LayerEnv& env) { return std::make_unique<Mnak>(env.layers.mnak); }},
      {"pt2pt", [](const LayerEnv&) { return std::make_unique<Pt2pt>(); }},
      {"safe", [](const LayerEnv&) { return std::make_unique<Safe>(); }},
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

const LayerFactory* find_factory(const std::string& name, const LayerEnv& env) {
  if (auto it = registry().find(name); it != registry().end()) return &it->second;
  if (env.extra_layers == nullptr) return nullptr;
  auto it = env.extra_layers->find(name);
  return it == env.extra_layers->end() ? nullptr : &it->second;
}

Error unknown_layer(const std::string& name, const std::string& spec) {
  std::string known;
  for (const auto& k : known_layers()) known += (known.empty() ? "" : ", ") + k;
  std::string hint;
  auto props = known_properties();
  if (std::find(props.begin(), props.end(), name) != props.end()) {
    hint = "; '" + name + "' is a property: choose layers by property with '" + std::string(kPropertiesPrefix) + spec + "'";
  }
  return Error(Errc::invalid_argument, "unknown layer '" + name + "' in stack '" + spec + "' (known: " + known + ")" + hint);
}

}  // namespace

std::vector<std::string> known_layers() {
  std::vector<std::string> out;
  for (const auto& [name, factory] : registry()) out.push_back(name);
  return out;
}

Result<std::vector<std::unique_ptr<Layer>>> make_layers(const std::string& spec, const LayerEnv& env) {
  auto resolved = resolve_stack(spec);
  if (!resolved) return resolved.error();
  std::vector<std::string> names = split(*resolved);
  if (names.empty() || names.back() != "bottom") names.emplace_back("bottom");
  std::vector<std::unique_ptr<Layer>> layers;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const LayerFactory* factory = find_factory(names[i], env);
    if (factory == nullptr) return unknown_layer(names[i], spec);
    if (names[i] == "bottom" && i + 1 != names.size()) {
      return Error(Errc::invalid_argument, "'bottom' must be the last layer of stack '" + spec + "'");
    }
    layers.push_back((*factory)(env));
  }
  return layers;
}

}  // namespace cohort::group
