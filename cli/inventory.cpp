#include "cli/app.hpp"

namespace rcommerce::cli {

void add_inventory(CLI::App &app, Context &context)
{
    auto *inventory = app.add_subcommand("inventory", "Stock reports");
    inventory->require_subcommand(1);
    auto *report = inventory->add_subcommand("report", "Print a stock report");
    report->callback(
        [&context] { context.action = [] { return not_built_yet("inventory report", "#9"); }; });
}

} // namespace rcommerce::cli
