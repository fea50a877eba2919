#include "cli/app.hpp"
#include "cli/exit_codes.hpp"
#include "core/log/log.hpp"
#include "core/store/database.hpp"
#include "core/store/demo_seed.hpp"
#include "core/store/migrations.hpp"
#include "core/util/time.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

namespace rcommerce::cli {
namespace {

std::string label(const store::Migration &m)
{
    char number[32];
    std::snprintf(number, sizeof number, "%04lld", static_cast<long long>(m.version));
    return std::string(number) + "_" + m.name;
}

std::unique_ptr<store::Database> open_database(Context &context, store::OpenMode mode)
{
    auto database = store::Database::open(context.config().database, mode);
    if (!database) {
        throw ErrorException(database.error());
    }
    return std::move(database).value();
}

int run_migrate(Context &context, std::optional<int64_t> to)
{
    auto database = open_database(context, store::OpenMode::create);
    auto applied = store::migrate(*database, to, [](const store::Migration &m) {
        std::cout << "applied " << label(m) << "\n" << std::flush;
    });
    if (!applied) {
        throw ErrorException(applied.error());
    }
    auto report = store::schema_report(*database);
    if (applied->empty()) {
        std::cout << "nothing to migrate: the database is at version "
                  << report.value().database_version << "\n";
    } else {
        std::cout << "the database is now at version " << report.value().database_version << "\n";
    }
    return k_exit_ok;
}

void print_status_table(const store::SchemaReport &report)
{
    std::printf("%-8s %-32s %-9s %s\n", "VERSION", "NAME", "STATE", "APPLIED AT");
    for (const auto &m : report.migrations) {
        std::printf("%-8lld %-32s %-9s %s\n", static_cast<long long>(m.version), m.name.c_str(),
                    std::string(store::to_string(m.state)).c_str(),
                    m.applied_at.empty() ? "-" : m.applied_at.c_str());
    }
    std::printf("database version %lld, this rcommerce knows up to %lld\n",
                static_cast<long long>(report.database_version),
                static_cast<long long>(report.binary_version));
}

void print_status_json(const store::SchemaReport &report)
{
    auto rows = nlohmann::json::array();
    for (const auto &m : report.migrations) {
        nlohmann::json row = {{"version", m.version},
                              {"name", m.name},
                              {"state", store::to_string(m.state)},
                              {"checksum", m.checksum},
                              {"applied_checksum", m.applied_checksum}};
        row["applied_at"] =
            m.applied_at.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.applied_at);
        rows.push_back(std::move(row));
    }
    nlohmann::json out = {{"database_version", report.database_version},
                          {"binary_version", report.binary_version},
                          {"migrations", rows}};
    std::cout << out.dump(2) << "\n";
}

int run_status(Context &context, const std::string &format)
{
    auto database = open_database(context, store::OpenMode::existing);
    auto report = store::schema_report(*database);
    if (!report) {
        throw ErrorException(report.error());
    }
    if (format == "json") {
        print_status_json(*report);
    } else {
        print_status_table(*report);
    }
    std::cout << std::flush;
    if (auto newer = store::check_not_newer(*database); !newer) {
        print_error(newer.error());
        return exit_code_for(newer.error());
    }
    if (report->any(store::MigrationState::modified)) {
        print_error("checking the database schema",
                    "some applied migrations differ from this binary's (state: modified)",
                    "a migration must not change once applied; add a new one instead");
        return k_exit_failure;
    }
    return k_exit_ok;
}

// Rows a rollback could drop with its tables: every table but the
// migration bookkeeping, as "name (N rows)" for the message.
std::vector<std::string> tables_with_rows(store::Database &database)
{
    auto lease = database.connection();
    std::vector<std::string> names;
    lease->query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                 "AND name != 'schema_migrations' ORDER BY name",
                 [&](const store::Row &row) { names.push_back(row.text(0)); });
    std::vector<std::string> out;
    for (const auto &name : names) {
        auto rows = lease->query_integer("SELECT count(*) FROM \"" + name + "\"").value_or(0);
        if (rows > 0) {
            out.push_back(name + " (" + std::to_string(rows) + " rows)");
        }
    }
    return out;
}

int run_rollback(Context &context, int64_t steps, bool force)
{
    if (steps < 1) {
        print_error("db rollback --steps", "must be at least 1, got " + std::to_string(steps));
        return k_exit_usage;
    }
    auto database = open_database(context, store::OpenMode::existing);
    // Down scripts drop tables; on a database holding data that is data loss,
    // so it takes an explicit --force after a backup.
    if (auto holding = tables_with_rows(*database); !holding.empty() && !force) {
        std::string listed;
        for (size_t i = 0; i < holding.size() && i < 3; ++i) {
            listed += (i == 0 ? "" : ", ") + holding[i];
        }
        print_error("db rollback",
                    "the database holds data that down scripts may drop: " + listed +
                        (holding.size() > 3 ? ", ..." : ""),
                    "back up the file first (sqlite3 DB \".backup copy.db\"), then run again "
                    "with --force");
        return k_exit_failure;
    }
    auto undone = store::rollback(*database, steps, [](const store::Migration &m) {
        std::cout << "rolled back " << label(m) << "\n" << std::flush;
    });
    if (!undone) {
        throw ErrorException(undone.error());
    }
    auto report = store::schema_report(*database);
    if (undone->empty()) {
        std::cout << "nothing to roll back: no migration is applied\n";
    } else {
        std::cout << "the database is now at version " << report.value().database_version << "\n";
    }
    return k_exit_ok;
}

struct SeedFlags {
    bool demo = false;
    int64_t products = 200;
    uint64_t seed = 1;
    std::string at;
};

int run_seed(Context &context, const SeedFlags &flags)
{
    if (!flags.demo) {
        print_error("db seed", "say what to seed", "only --demo exists: rcommerce db seed --demo");
        return k_exit_usage;
    }
    store::DemoSeedOptions options;
    options.products = flags.products;
    options.seed = flags.seed;
    options.default_threshold = context.config().inventory.low_stock_threshold;
    if (flags.at.empty()) {
        // Midnight UTC today: reruns on the same day give identical data.
        options.anchor_unix = util::unix_now() / 86400 * 86400;
    } else if (auto at = util::parse_rfc3339(flags.at)) {
        options.anchor_unix = *at;
    } else {
        print_error("db seed --at", "\"" + flags.at + "\" is not an RFC 3339 time or a date",
                    "for example 2026-12-01 or 2026-12-01T08:00:00Z");
        return k_exit_usage;
    }
    auto database = open_database(context, store::OpenMode::create);
    auto started = std::chrono::steady_clock::now();
    auto counts = store::seed_demo(*database, options, [&](int64_t done) {
        log::info("seeded products", {{"done", done}, {"of", options.products}});
    });
    if (!counts) {
        throw ErrorException(counts.error());
    }
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    std::printf("seeded %lld products, %lld variants, %lld locations, %lld inventory levels, "
                "%lld customers, %lld orders, %lld reservations, %lld stock movements "
                "in %.1f s\n",
                static_cast<long long>(counts->products), static_cast<long long>(counts->variants),
                static_cast<long long>(counts->locations), static_cast<long long>(counts->levels),
                static_cast<long long>(counts->customers), static_cast<long long>(counts->orders),
                static_cast<long long>(counts->reservations),
                static_cast<long long>(counts->movements), seconds.count());
    return k_exit_ok;
}

} // namespace

void add_db(CLI::App &app, Context &context)
{
    auto *db = app.add_subcommand("db", "Migrate, inspect and seed the database");
    db->require_subcommand(1);

    auto *migrate = db->add_subcommand("migrate", "Apply pending migrations");
    auto to = std::make_shared<std::optional<int64_t>>();
    migrate->add_option("--to", *to, "Stop after this version (default: the latest)")
        ->option_text("N");
    migrate->callback(
        [&context, to] { context.action = [&context, to] { return run_migrate(context, *to); }; });

    auto *status = db->add_subcommand("status", "Show applied, pending and modified migrations");
    auto format = std::make_shared<std::string>("table");
    status->add_option("--format", *format, "Output format")
        ->check(CLI::IsMember({"table", "json"}));
    status->callback([&context, format] {
        context.action = [&context, format] { return run_status(context, *format); };
    });

    auto *rollback = db->add_subcommand("rollback", "Undo the latest migrations");
    auto steps = std::make_shared<int64_t>(1);
    rollback->add_option("--steps", *steps, "How many migrations to undo")->option_text("N");
    auto force = std::make_shared<bool>(false);
    rollback->add_flag("--force", *force,
                       "Roll back even when tables hold rows (their data is lost; back up first)");
    rollback->callback([&context, steps, force] {
        context.action = [&context, steps, force] { return run_rollback(context, *steps, *force); };
    });

    auto *seed = db->add_subcommand("seed", "Fill the database with demo data");
    auto flags = std::make_shared<SeedFlags>();
    seed->add_flag("--demo", flags->demo, "A realistic demo catalogue with stock and orders");
    seed->add_option("--products", flags->products, "How many products")
        ->option_text("N")
        ->check(CLI::Range(int64_t{1}, store::k_max_demo_products));
    seed->add_option("--seed", flags->seed, "Random seed; the same seed gives the same data")
        ->option_text("S")
        ->check(CLI::Validator(
            [](std::string &text) {
                return text.rfind('-', 0) == 0 ? "must be 0 or more, got " + text : std::string();
            },
            "", "non-negative"));
    seed->add_option("--at", flags->at,
                     "The demo's \"now\" (RFC 3339 or a date; default: today 00:00 UTC)")
        ->option_text("TIME");
    seed->callback([&context, flags] {
        context.action = [&context, flags] { return run_seed(context, *flags); };
    });
}

} // namespace rcommerce::cli
