// Choosing a stack by the properties wanted instead of by layer names: each
// property brings the layers that provide it and the properties it needs, and
// the layers go in one fixed order that makes every layer's requirements
// below it hold. A stack string that starts with "props:" is a property spec
// ("props:vsync:total:frag"); "no-X" in a spec forbids X, so a spec whose
// wants contradict it is refused. Table: docs/group.md.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/core/error.h"

namespace cohort::group {

enum class Property : std::uint8_t {
  reliable,  // casts delivered once, FIFO per origin, repaired; stability and garbage collection
  fifo,      // the same guarantee named by its order
  pt2pt,     // reliable FIFO point-to-point sends
  suspect,   // failure detection
  vsync,     // membership with virtually synchronous view changes
  total,     // agreed total order of casts
  safe,      // a cast is delivered once every member of the view has it
  frag,      // messages up to 64 MiB
  batch,     // small messages share datagrams
  flow,      // credit flow control of casts
  check,     // checker layers for the ordering properties provided
};

struct PropertySpec {
  std::set<Property> wanted;
  std::set<Property> excluded;
};

inline constexpr std::string_view kPropertiesPrefix = "props:";

std::string_view property_name(Property property);
std::vector<std::string> known_properties();
// "vsync:total:no-batch" (without the prefix). Errors name the unknown
// property and list the known ones.
Result<PropertySpec> parse_properties(std::string_view spec);
// The layer string, top to bottom without "bottom", that gives every wanted
// property and everything it needs. Errors: nothing wanted, or a wanted
// property that needs an excluded one.
Result<std::string> stack_for_properties(const PropertySpec& spec);
// "props:NAME:NAME..." for a GroupConfig stack.
std::string property_stack(const std::vector<Property>& properties);
// A stack string as GroupConfig takes it: "props:..." becomes its layers,
// anything else is already layer names and comes back unchanged.
Result<std::string> resolve_stack(std::string_view stack);

}  // namespace cohort::group
