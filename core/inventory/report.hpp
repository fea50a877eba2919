// Stock reports read straight from the store: what is in stock, what runs
// low, what it is worth, what moved, what is reserved, what does not sell.
//
// Each report is one SQL query (plus one for its totals) run inside a single
// read transaction, so rows and totals come from the same snapshot even while
// `serve` writes (WAL readers neither block nor are blocked). Rows are handed
// to a format::Writer as SQLite produces them: memory does not grow with the
// catalogue. Order is deterministic — by SKU, then location code — unless
// `sort` says otherwise, and every other order still ends with SKU and
// location, so two runs over the same data print the same bytes.
//
// Levels are inventory::stock_level() on each row (see level.hpp); the SQL
// form in level_sql.hpp is used only to filter and sort, and a row where the
// two disagree stops the report with an internal error.
#pragma once

#include "core/format/writer.hpp"
#include "core/inventory/level.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcommerce::store {
class Database;
}

namespace rcommerce::inventory {

enum class ReportKind {
    stock,
    low_stock,
    out_of_stock,
    valuation,
    movements,
    reservations,
    dead_stock
};

// "stock", "low-stock", "out-of-stock", "valuation", "movements",
// "reservations", "dead-stock".
[[nodiscard]] std::string_view to_string(ReportKind kind);
[[nodiscard]] std::optional<ReportKind> parse_report_kind(std::string_view text);

// The first key of the order; SKU and location always follow as tie-breakers.
enum class ReportSort {
    sku,       // the default
    location,  // location code
    product,   // product title, then product id
    available, // least available first (level reports)
    level,     // most urgent first: out, critical, low, ok, then furthest below
               // the threshold (the default of low-stock)
    time,      // movements: when; reservations: expiry
};

[[nodiscard]] std::optional<ReportSort> parse_report_sort(std::string_view text);

// Reservation statuses as stored: active, converted, released, expired.
inline constexpr std::string_view k_reservation_statuses[] = {"active", "converted", "released",
                                                              "expired"};

// Reservations shown without --status: every active one and those changed in
// this many days.
inline constexpr int64_t k_recent_reservation_days = 7;

struct ReportOptions {
    ReportKind kind = ReportKind::stock;
    std::vector<std::string> locations; // location codes; empty: all
    std::string sku_prefix;             // empty: all
    std::optional<int64_t> product_id;
    std::vector<StockLevel> levels;    // empty: all (stock, low-stock, out-of-stock only)
    std::optional<std::string> since;  // movements: RFC 3339 or a date, inclusive
    std::optional<std::string> until;  // movements: exclusive; default now
    std::vector<std::string> statuses; // reservations
    int64_t days = 90;                 // dead-stock: no sale in this many days
    std::optional<ReportSort> sort;    // none: the kind's default
    int64_t configured_threshold = 20; // [inventory] low_stock_threshold
    int64_t now = 0;                   // Unix seconds the report is "as of"
};

struct ReportSummary {
    int64_t rows = 0;
    int64_t totals = 0;
    // A row with level low, critical or out was printed (level reports only).
    bool any_low = false;
};

// True for the reports whose rows carry a stock level (stock, low-stock,
// out-of-stock): the ones --level and --fail-if-low apply to.
[[nodiscard]] bool has_levels(ReportKind kind);

// Checks the options fit together (e.g. movements needs `since`, --level only
// on level reports, a known status). Errors are ErrorKind::validation with
// code "invalid_report_option", naming the option.
[[nodiscard]] Status validate(const ReportOptions &options);

// Checks the filters that name rows against the database: an unknown
// --location is a validation error, so a typo in a cron job does not print
// an empty report that reads as "nothing is low".
[[nodiscard]] Status check_filters(store::Database &database, const ReportOptions &options);

// Runs the report on `database` (open it read-only) and streams it to
// `writer`. Call store::check_current first: this assumes the schema.
// Database failures propagate as store::DatabaseError; a money overflow in a
// valuation total fails with "amount_overflow".
[[nodiscard]] Result<ReportSummary>
run_report(store::Database &database, const ReportOptions &options, format::Writer &writer);

// The SQL statements run_report would run (rows, then totals if any), with
// the parameters written in as literals: for `sqlite3`, EXPLAIN QUERY PLAN
// and the benchmark's comparison.
[[nodiscard]] Result<std::vector<std::string>> report_sql(const ReportOptions &options);

} // namespace rcommerce::inventory
