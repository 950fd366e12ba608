#include "cohort/group/properties.h"

#include <algorithm>
#include <array>
#include <optional>

namespace cohort::group {

namespace {

struct Info {
  Property property;
  std::string_view name;
  std::vector<Property> needs;
  std::vector<std::string_view> layers;
};

// Properties, what each needs and the layers that give it.
const std::vector<Info>& table() {
  using P = Property;
  static const std::vector<Info> infos = {
      {P::reliable, "reliable", {}, {"stable", "mnak"}},
      {P::fifo, "fifo", {P::reliable}, {}},
      {P::pt2pt, "pt2pt", {}, {"pt2pt"}},
      {P::suspect, "suspect", {}, {"suspect"}},
      {P::vsync, "vsync", {P::reliable, P::suspect}, {"gmp"}},
      {P::total, "total", {P::vsync}, {"total"}},
      {P::safe, "safe", {P::total, P::reliable}, {"safe"}},
      {P::frag, "frag", {P::reliable}, {"frag"}},
      {P::batch, "batch", {}, {"batch"}},
      {P::flow, "flow", {P::reliable}, {"flow"}},
      {P::check, "check", {P::reliable}, {"chk_fifo"}},
  };
  return infos;
}

const Info& info(Property p) { return table()[static_cast<std::size_t>(p)]; }

// Every layer a property spec may use, top to bottom. Why this order: the
// checkers look at what the application gets; total orders whole casts and
// frag sits below it so that big ORDERs are cut too; frag, safe and every
// layer above the membership layer see views only going up; safe counts the
// same casts the stability layer counts, so nothing that splits or adds
// casts goes between them but gmp; flow numbers casts per view, so it goes
// below gmp, which holds casts during a flush; the reliable layers below,
// the failure detector low so heartbeats are not retained, batch just above
// the bottom so that repairs are batched too.
constexpr std::array<std::string_view, 13> kLayerOrder = {
    "chk_fifo", "chk_sync", "chk_total", "total", "frag", "safe", "gmp",
    "flow", "stable", "mnak", "pt2pt", "suspect", "batch",
};

std::string join(const std::vector<std::string>& names, std::string_view separator) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : std::string(separator)) + n;
  return out;
}

std::optional<Property> find(std::string_view name) {
  for (const Info& i : table()) {
    if (i.name == name) return i.property;
  }
  return std::nullopt;
}

// Adds `p` and what it needs to `closure`; `by` is the property that needs it.
Status add(Property p, std::optional<Property> by, const PropertySpec& spec, std::set<Property>& closure) {
  if (spec.excluded.count(p) != 0) {
    std::string name(property_name(p));
    if (!by) return Error(Errc::invalid_argument, "property '" + name + "' is both wanted and excluded (no-" + name + ")");
    return Error(Errc::invalid_argument, "property '" + std::string(property_name(*by)) + "' needs '" + name +
                                             "', which the spec excludes (no-" + name + ")");
  }
  if (!closure.insert(p).second) return ok_status();
  for (Property q : info(p).needs) {
    if (Status s = add(q, p, spec, closure); !s) return s;
  }
  return ok_status();
}

}  // namespace

std::string_view property_name(Property property) { return info(property).name; }

std::vector<std::string> known_properties() {
  std::vector<std::string> out;
  for (const Info& i : table()) out.emplace_back(i.name);
  return out;
}

Result<PropertySpec> parse_properties(std::string_view spec) {
  PropertySpec out;
  std::size_t start = 0;
  while (start <= spec.size()) {
    std::size_t end = std::min(spec.find(':', start), spec.size());
    std::string_view item = spec.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    const bool negated = item.rfind("no-", 0) == 0;
    auto p = find(negated ? item.substr(3) : item);
    if (!p) {
      return Error(Errc::invalid_argument, "unknown property '" + std::string(item) + "' in '" + std::string(spec) +
                                               "' (known: " + join(known_properties(), ", ") +
                                               "; 'no-NAME' excludes one)");
    }
    (negated ? out.excluded : out.wanted).insert(*p);
  }
  return out;
}

Result<std::string> stack_for_properties(const PropertySpec& spec) {
  if (spec.wanted.empty()) return Error(Errc::invalid_argument, "no properties wanted: name at least one (e.g. 'props:vsync')");
  std::set<Property> closure;
  for (Property p : spec.wanted) {
    if (Status s = add(p, std::nullopt, spec, closure); !s) return s.error();
  }
  std::set<std::string_view> layers;
  for (Property p : closure) layers.insert(info(p).layers.begin(), info(p).layers.end());
  if (closure.count(Property::check) != 0) {
    if (closure.count(Property::vsync) != 0) layers.insert("chk_sync");
    if (closure.count(Property::total) != 0) layers.insert("chk_total");
  }
  std::vector<std::string> ordered;
  for (std::string_view layer : kLayerOrder) {
    if (layers.count(layer) != 0) ordered.emplace_back(layer);
  }
  return join(ordered, ":");
}

std::string property_stack(const std::vector<Property>& properties) {
  std::vector<std::string> names;
  for (Property p : properties) names.emplace_back(property_name(p));
  return std::string(kPropertiesPrefix) + join(names, ":");
}

Result<std::string> resolve_stack(std::string_view stack) {
  if (stack.rfind(kPropertiesPrefix, 0) != 0) return std::string(stack);
  auto spec = parse_properties(stack.substr(kPropertiesPrefix.size()));
  if (!spec) return spec.error();
  auto layers = stack_for_properties(*spec);
  if (!layers) return Error(Errc::invalid_argument, "stack '" + std::string(stack) + "': " + layers.error().message());
  return layers;
}

}  // namespace cohort::group
