// `rcommerce inventory report`: parses the options, opens the store
// read-only, checks its schema, and streams the report to stdout.
#include "cli/app.hpp"
#include "cli/exit_codes.hpp"
#include "core/format/writer.hpp"
#include "core/inventory/report.hpp"
#include "core/store/database.hpp"
#include "core/store/migrations.hpp"
#include "core/util/time.hpp"

#include <iostream>
#include <memory>
#include <unistd.h>

namespace rcommerce::cli {

namespace {

struct ReportArgs {
    std::string kind = "stock";
    std::string format = "table";
    std::vector<std::string> locations;
    std::string sku_prefix;
    std::optional<int64_t> product_id;
    std::vector<std::string> levels;
    std::optional<std::string> since;
    std::optional<std::string> until;
    std::vector<std::string> statuses;
    std::optional<int64_t> days; // dead-stock only; the report's default when absent
    std::optional<std::string> sort;
    bool fail_if_low = false;
    bool show_sql = false;
};

constexpr const char *k_report_footer = R"(Reports (--kind):
  stock         every SKU at every location, then totals per SKU across locations
  low-stock     levels low, critical or out, most urgent first, with a suggested
                reorder quantity = reorder point + threshold - available (what
                brings available back to the reorder point plus the threshold)
  out-of-stock  available <= 0
  valuation     on_hand x unit cost, with totals per currency (never summed
                across currencies)
  movements     the stock ledger from --since (inclusive) to --until (exclusive,
                default now), then the net change per SKU
  reservations  active reservations and those changed in the last 7 days, or
                those of --status, with their orders and expiry
  dead-stock    on_hand > 0 and no sale at that location in --days days

Levels: available = on_hand - reserved; with the threshold of the location, else
the SKU, else [inventory] low_stock_threshold: out when available <= 0, critical
when available <= threshold/2, low when available <= threshold, else ok.

Rows are ordered by SKU, then location code, unless --sort says otherwise.

Exit codes: 0 done; 1 the report failed, or the database stayed locked (retry);
2 bad options, or the database is missing, not migrated or newer than this
rcommerce; 4 --fail-if-low and a printed row is low, critical or out.)";

// Store problems before the first row are the operator's to fix (a wrong
// database.url, `db migrate` not run): exit 2, never an empty report. A
// database locked by another process is not a mistake but a moment: exit 1,
// so a cron job can tell "retry" from "fix the setup".
Error as_usage(Error error)
{
    if (error.kind != ErrorKind::unavailable) {
        error.kind = ErrorKind::validation;
    }
    return error;
}

Result<inventory::ReportOptions> to_options(const ReportArgs &args, const config::Config &config)
{
    inventory::ReportOptions options;
    options.kind = *inventory::parse_report_kind(args.kind);
    options.locations = args.locations;
    options.sku_prefix = args.sku_prefix;
    options.product_id = args.product_id;
    for (const auto &text : args.levels) {
        options.levels.push_back(*inventory::parse_stock_level(text));
    }
    options.since = args.since;
    options.until = args.until;
    options.statuses = args.statuses;
    if (args.days) {
        options.days = *args.days;
    }
    if (args.sort) {
        options.sort = inventory::parse_report_sort(*args.sort);
    }
    options.configured_threshold = config.inventory.low_stock_threshold;
    options.now = util::unix_now();
    if (args.days && options.kind != inventory::ReportKind::dead_stock) {
        return make_error(ErrorKind::validation, "invalid_report_option", "inventory report --days",
                          "applies to --kind dead-stock only");
    }
    if (args.fail_if_low && !inventory::has_levels(options.kind)) {
        return make_error(ErrorKind::validation, "invalid_report_option",
                          "inventory report --fail-if-low",
                          "applies to stock, low-stock and out-of-stock only");
    }
    if (auto status = inventory::validate(options); !status) {
        return status.error();
    }
    return options;
}

int print_sql(const inventory::ReportOptions &options)
{
    auto statements = inventory::report_sql(options);
    if (!statements) {
        print_error(statements.error());
        return exit_code_for(statements.error());
    }
    for (const auto &sql : *statements) {
        std::cout << sql << ";\n";
    }
    return k_exit_ok;
}

int run_report(const ReportArgs &args, Context &context)
{
    const auto &config = context.config();
    auto options = to_options(args, config);
    if (!options) {
        print_error(options.error());
        return k_exit_usage;
    }
    if (args.show_sql) {
        return print_sql(*options);
    }

    auto database = store::Database::open(config.database, store::OpenMode::read_only);
    if (!database) {
        auto error = as_usage(database.error());
        print_error(error);
        return exit_code_for(error);
    }
    if (auto schema = store::check_current(**database); !schema) {
        auto error = as_usage(schema.error());
        print_error(error);
        return exit_code_for(error);
    }
    if (auto filters = inventory::check_filters(**database, *options); !filters) {
        print_error(filters.error());
        return k_exit_usage;
    }

    format::Output out(STDOUT_FILENO);
    auto writer = format::make_writer(*format::parse_format(args.format), out);
    auto summary = inventory::run_report(**database, *options, *writer);
    if (!summary) {
        print_error(summary.error());
        return exit_code_for(summary.error());
    }
    return args.fail_if_low && summary->any_low ? k_exit_low_stock : k_exit_ok;
}

void add_report(CLI::App &inventory, Context &context)
{
    auto args = std::make_shared<ReportArgs>();
    auto *report = inventory.add_subcommand("report", "Print a stock report");
    report->footer(k_report_footer);
    report->add_option("--kind", args->kind, "Which report")
        ->check(CLI::IsMember({"stock", "low-stock", "out-of-stock", "valuation", "movements",
                               "reservations", "dead-stock"}));
    report->add_option("--format", args->format, "table (aligned), csv (RFC 4180), json, ndjson")
        ->check(CLI::IsMember({"table", "csv", "json", "ndjson"}));
    report->add_option("--location", args->locations, "Only this location code (repeatable)")
        ->option_text("CODE")
        ->allow_extra_args(false);
    report->add_option("--sku-prefix", args->sku_prefix, "Only SKUs starting with this")
        ->option_text("PREFIX");
    report->add_option("--product", args->product_id, "Only this product id")->option_text("ID");
    report->add_option("--level", args->levels, "Only rows at this level (repeatable)")
        ->check(CLI::IsMember({"low", "critical", "out", "ok"}))
        ->allow_extra_args(false);
    report->add_option("--since", args->since, "movements: from (RFC 3339 or date, UTC)")
        ->option_text("TIME");
    report->add_option("--until", args->until, "movements: until, exclusive (default now)")
        ->option_text("TIME");
    report->add_option("--status", args->statuses, "reservations: only this status (repeatable)")
        ->check(CLI::IsMember({"active", "converted", "released", "expired"}))
        ->allow_extra_args(false);
    report->add_option("--days", args->days, "dead-stock: no sale in this many days")
        ->check(CLI::Range(0, 36500));
    report
        ->add_option("--sort", args->sort,
                     "First sort key: sku, location, product, available, level, time")
        ->check(CLI::IsMember({"sku", "location", "product", "available", "level", "time"}));
    report->add_flag("--fail-if-low", args->fail_if_low,
                     "Exit 4 when a printed row is low, critical or out");
    report->add_flag("--show-sql", args->show_sql,
                     "Print the SQL the report runs (parameters written in) and exit");
    report->callback([&context, args] {
        context.action = [&context, args] { return run_report(*args, context); };
    });
}

} // namespace

void add_inventory(CLI::App &app, Context &context)
{
    auto *inventory = app.add_subcommand("inventory", "Stock reports");
    inventory->require_subcommand(1);
    add_report(*inventory, context);
}

} // namespace rcommerce::cli
