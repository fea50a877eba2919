#include "server/serve_app.hpp"

#include "core/log/log.hpp"
#include "core/store/database.hpp"
#include "core/store/migrations.hpp"
#include "server/api/api.hpp"
#include "server/api/jobs.hpp"
#include "server/listener.hpp"

namespace rcommerce::server {
namespace {

// The database is writable when a write transaction can start and commit:
// BEGIN IMMEDIATE takes SQLite's write lock, which a read-only file, folder
// or mount refuses.
std::string write_problem(store::Database &database)
{
    if (database.read_only()) {
        return "opened read-only";
    }
    try {
        database.write([](store::Connection &) {});
        return {};
    } catch (const ErrorException &e) {
        return e.error().why;
    }
}

std::string migration_problem(store::Database &database)
{
    auto current = store::check_current(database);
    return current ? std::string() : current.error().why;
}

} // namespace

Status run_serve(const config::Config &config, Migrations migrations)
{
    // Without --migrate a missing file is refused before anything is
    // created, so a mistyped database.url leaves no empty file behind.
    auto opened = store::Database::open(config.database, migrations == Migrations::apply_pending
                                                             ? store::OpenMode::create
                                                             : store::OpenMode::existing);
    if (!opened) {
        return opened.error();
    }
    std::unique_ptr<store::Database> database = std::move(*opened);
    auto prepared = store::prepare_schema(*database, migrations == Migrations::apply_pending
                                                         ? store::PendingMigrations::apply
                                                         : store::PendingMigrations::refuse);
    if (!prepared) {
        return prepared.error();
    }
    for (const auto &migration : *prepared) {
        log::info("applied migration", {{"version", migration.version}, {"name", migration.name}});
    }

    // The API's background jobs (reservation expiry, idempotency purge) run
    // from mount until the listeners stopped, before the store closes.
    std::unique_ptr<api::BackgroundJobs> jobs;
    ServeHooks hooks;
    hooks.mount = [&](httplib::Server &server) {
        api::mount(server, config, *database);
        jobs = std::make_unique<api::BackgroundJobs>(config, *database);
    };
    hooks.readiness = [&]() -> std::vector<ServeHooks::Check> {
        return {{"database", write_problem(*database)},
                {"migrations", migration_problem(*database)}};
    };
    hooks.on_stopped = [&] {
        jobs.reset();
        database.reset();
        log::info("closed the database");
    };
    return serve(config, hooks);
}

} // namespace rcommerce::server
