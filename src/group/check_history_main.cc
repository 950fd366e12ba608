// cohort-check-history: checks group histories (JSON lines, one file per
// member or one for all) offline against virtual synchrony. Exit status: 0 if
// every property holds, 1 if one is violated, 2 if the input is unusable.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cohort/group/history_checker.h"

namespace {

using cohort::group::CheckOptions;
using cohort::group::HistoryCheck;
using cohort::group::HistoryEvent;
using cohort::group::PropertyResult;

void print_property(const PropertyResult& p) {
  if (!p.checked) return fmt::print("  {:<20} not checked\n", p.name);
  if (p.ok()) return fmt::print("  {:<20} OK\n", p.name);
  fmt::print("  {:<20} {} violation{}\n", p.name, p.violation_count, p.violation_count == 1 ? "" : "s");
  for (const std::string& v : p.violations) fmt::print("    - {}\n", v);
  if (p.violation_count > p.violations.size()) {
    fmt::print("    ... and {} more\n", p.violation_count - p.violations.size());
  }
}

void print_summary(const HistoryCheck& check) {
  fmt::print("{} members, {} views, {} casts, {} deliveries\n", check.members, check.views, check.casts,
             check.deliveries);
  for (const PropertyResult& p : check.properties) print_property(p);
  fmt::print("{}\n", check.ok() ? "all properties hold" : "VIOLATED");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort-check-history: check group histories (JSON lines) for virtual synchrony"};
  std::vector<std::string> files;
  CheckOptions options;
  app.add_flag("--total-order", options.total_order, "Check that members deliver in one total order");
  app.add_flag(
      "--expect-final-view", options.expect_final_view,
      "The run ended quiet: check that members without an exit event end in one view and delivered its "
      "casts");
  app.add_option("--max-violations", options.max_violations, "Violations printed per property")
      ->check(CLI::PositiveNumber);
  app.add_option("FILE", files, "History files; the events of one member must all be in one file")
      ->required()
      ->check(CLI::ExistingFile);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  std::vector<HistoryEvent> events;
  for (const std::string& file : files) {
    auto read = cohort::group::read_history_file(file);
    if (!read) {
      fmt::print(stderr, "cohort-check-history: {}\n", read.error().message());
      return 2;
    }
    events.insert(events.end(), std::make_move_iterator(read->begin()), std::make_move_iterator(read->end()));
  }
  HistoryCheck check = cohort::group::check_history(events, options);
  print_summary(check);
  return check.ok() ? 0 : 1;
}
