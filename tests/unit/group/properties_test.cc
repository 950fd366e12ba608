// Choosing stacks by property: the layers and their order for each property,
// needs pulled in, the "props:" form wherever a stack string goes, and clear
// errors for unknown, empty and contradictory specs.
#include <gtest/gtest.h>

#include "cohort/group/group_machine.h"
#include "cohort/group/properties.h"

namespace cohort::group {
namespace {

std::string layers_for(std::string_view spec) {
  auto stack = resolve_stack(std::string(kPropertiesPrefix) + std::string(spec));
  EXPECT_TRUE(stack.ok()) << spec << ": " << stack.error().to_string();
  return stack ? *stack : "";
}

std::string error_for(std::string_view stack) {
  auto r = resolve_stack(stack);
  EXPECT_FALSE(r.ok()) << stack << " gave " << (r ? *r : "");
  return r ? "" : r.error().message();
}

TEST(Properties, EachPropertyBringsItsLayersAndWhatItNeeds) {
  EXPECT_EQ(layers_for("reliable"), "stable:mnak");
  EXPECT_EQ(layers_for("fifo"), "stable:mnak");
  EXPECT_EQ(layers_for("pt2pt"), "pt2pt");
  EXPECT_EQ(layers_for("suspect"), "suspect");
  EXPECT_EQ(layers_for("batch"), "batch");
  EXPECT_EQ(layers_for("frag"), "frag:stable:mnak");
  EXPECT_EQ(layers_for("flow"), "flow:stable:mnak");
  EXPECT_EQ(layers_for("vsync"), "gmp:stable:mnak:suspect");
  EXPECT_EQ(layers_for("total"), "total:gmp:stable:mnak:suspect");
  EXPECT_EQ(layers_for("safe"), "total:safe:gmp:stable:mnak:suspect");
}

TEST(Properties, LayersGoInOneOrderWhateverTheSpecOrder) {
  const std::string all = "chk_fifo:chk_sync:chk_total:total:frag:safe:gmp:flow:stable:mnak:pt2pt:suspect:batch";
  EXPECT_EQ(layers_for("check:safe:frag:batch:flow:pt2pt"), all);
  EXPECT_EQ(layers_for("batch:pt2pt:flow:frag:safe:check"), all);
  EXPECT_EQ(layers_for("vsync:total:frag:batch"), "total:frag:gmp:stable:mnak:suspect:batch");
  EXPECT_EQ(layers_for("total:total::vsync"), "total:gmp:stable:mnak:suspect");
}

TEST(Properties, CheckAddsTheCheckersForWhatTheStackProvides) {
  EXPECT_EQ(layers_for("check"), "chk_fifo:stable:mnak");
  EXPECT_EQ(layers_for("check:vsync"), "chk_fifo:chk_sync:gmp:stable:mnak:suspect");
  EXPECT_EQ(layers_for("check:total"), "chk_fifo:chk_sync:chk_total:total:gmp:stable:mnak:suspect");
}

TEST(Properties, LayerStringsPassUnchanged) {
  auto r = resolve_stack("total:gmp:suspect");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "total:gmp:suspect");
}

TEST(Properties, UnknownPropertyIsNamedWithTheKnownOnes) {
  std::string e = error_for("props:vsync:ordered");
  EXPECT_NE(e.find("unknown property 'ordered'"), std::string::npos) << e;
  EXPECT_NE(e.find("vsync"), std::string::npos) << e;
  EXPECT_NE(e.find("no-NAME"), std::string::npos) << e;
  // A layer name that is not a property is refused too.
  EXPECT_NE(error_for("props:gmp").find("unknown property 'gmp'"), std::string::npos);
}

TEST(Properties, EmptySpecIsRefused) {
  EXPECT_NE(error_for("props:").find("no properties wanted"), std::string::npos);
  EXPECT_NE(error_for("props:no-batch").find("no properties wanted"), std::string::npos);
}

TEST(Properties, ContradictionsSayWhichPropertyNeedsWhat) {
  std::string e = error_for("props:total:no-suspect");
  EXPECT_NE(e.find("'vsync' needs 'suspect'"), std::string::npos) << e;
  EXPECT_NE(e.find("props:total:no-suspect"), std::string::npos) << e;
  e = error_for("props:safe:no-total");
  EXPECT_NE(e.find("'safe' needs 'total'"), std::string::npos) << e;
  e = error_for("props:frag:no-frag");
  EXPECT_NE(e.find("'frag' is both wanted and excluded"), std::string::npos) << e;
  // Excluding what nothing needs is fine.
  EXPECT_EQ(layers_for("total:no-batch"), "total:gmp:stable:mnak:suspect");
}

TEST(Properties, MakeLayersTakesPropertySpecs) {
  auto layers = make_layers("props:safe");
  ASSERT_TRUE(layers.ok()) << layers.error().to_string();
  std::string names;
  for (const auto& l : *layers) names += (names.empty() ? "" : ":") + std::string(l->name());
  EXPECT_EQ(names, "total:safe:gmp:stable:mnak:suspect:bottom");
}

TEST(Properties, APropertyWrittenAsALayerPointsToTheProps) {
  auto layers = make_layers("vsync:total");
  ASSERT_FALSE(layers.ok());
  const std::string& e = layers.error().message();
  EXPECT_NE(e.find("unknown layer 'vsync'"), std::string::npos) << e;
  EXPECT_NE(e.find("'props:vsync:total'"), std::string::npos) << e;
}

class NullApp final : public GroupApp {
 public:
  void on_view(const View&, Actions&) override {}
  void on_deliver(const Endpoint&, const Msg&, Actions&) override {}
};

class NullLayer final : public Layer {
 public:
  std::string_view name() const override { return "mine"; }
};

std::string stack_names(const GroupMachine& m) {
  std::string names;
  for (const auto& l : m.stack().layers()) names += (names.empty() ? "" : ":") + std::string(l->name());
  return names;
}

TEST(Properties, GroupConfigTakesAPropertyListAsAStack) {
  GroupConfig config;
  config.stack = property_stack({Property::batch, Property::total});
  EXPECT_EQ(config.stack, "props:batch:total");
  auto m = GroupMachine::create(Endpoint{1, 0}, config, Rng(1), std::make_unique<NullApp>());
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(stack_names(**m), "total:gmp:stable:mnak:suspect:batch:bottom");
}

TEST(Properties, ExtraLayersAreFoundByName) {
  GroupConfig config;
  config.stack = "mine:mnak";
  ExtraLayers extra;
  extra["mine"] = [](const LayerEnv&) { return std::make_unique<NullLayer>(); };
  auto m = GroupMachine::create(Endpoint{1, 0}, config, Rng(1), std::make_unique<NullApp>(), extra);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(stack_names(**m), "mine:mnak:bottom");
}

}  // namespace
}  // namespace cohort::group
