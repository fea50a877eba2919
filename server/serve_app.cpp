#include "server/serve_app.hpp"

#include "core/acme/renewer.hpp"
#include "core/log/log.hpp"
#include "core/store/database.hpp"
#include "core/store/migrations.hpp"
#include "core/tls/certificate.hpp"
#include "server/api/api.hpp"
#include "server/api/jobs.hpp"
#include "server/listener.hpp"

#include <signal.h>

#include <atomic>
#include <thread>

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

// With server.production there is no development certificate to start
// on, so a missing Let's Encrypt certificate is obtained before `serve`
// starts its listeners: an HTTPS listener with nothing to serve would look
// up while failing every handshake. http-01 is answered by the ACME
// client's own listener on server.http_port (the port `serve` takes over
// right after). A failure stops the start with the CA's reason; SIGTERM or
// SIGINT cancels the order and ends the start cleanly.
Status obtain_before_start(const config::Config &config, bool &stopped)
{
    const auto &le = config.tls.lets_encrypt;
    acme::IssueRequest request = acme::configured_issue_request(le);
    if (!le.enabled || !config.server.production || !config.tls.cert_file.empty() ||
        !tls::acme_store_certificates(le.cache_dir).empty() ||
        !acme::certificate_missing(request)) {
        return ok_status();
    }
    log::info("no certificate yet and server.production allows no development certificate: "
              "obtaining one before the listeners start",
              {{"names", le.domains}, {"directory", request.directory_url}});
    request.challenge.http_mode = acme::HttpMode::standalone;
    request.challenge.http_port = static_cast<int>(config.server.http_port);
    request.challenge.http_bind = config.server.host;
    util::Cancellation cancel;
    request.cancel = &cancel;

    // The stop signals are blocked here (and stay blocked for serve()), so
    // this thread waits for them while the order runs on another.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::atomic<bool> done = false;
    Result<acme::Issued> issued = Error{};
    std::thread order([&] {
        issued = acme::issue_certificate(request);
        done = true;
    });
    const timespec tick = {0, 100 * 1000 * 1000};
    while (!done) {
        if (sigtimedwait(&signals, nullptr, &tick) > 0) {
            log::info("stop signal while obtaining the certificate; cancelling the order");
            cancel.cancel();
            stopped = true;
        }
    }
    order.join();
    if (stopped) {
        return ok_status();
    }
    if (!issued) {
        return issued.error();
    }
    if (auto hooked = acme::run_deploy_hook(le.deploy_hook, *issued,
                                            std::chrono::seconds(le.hook_timeout_seconds));
        !hooked) {
        log::error("deploy hook failed", {{"why", hooked.error().why}});
    }
    return ok_status();
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
    bool stopped = false;
    if (auto obtained = obtain_before_start(config, stopped); !obtained || stopped) {
        return obtained;
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
    // Let's Encrypt: obtaining and renewal start once the plain-HTTP
    // listener answers challenges, and stop first at shutdown.
    std::unique_ptr<acme::Renewer> renewer;
    const auto &le = config.tls.lets_encrypt;
    if (le.enabled) {
        hooks.on_listening = [&](std::function<void()> certificates_changed) {
            renewer = std::make_unique<acme::Renewer>(le, std::move(certificates_changed));
        };
        hooks.on_stopping = [&] {
            if (renewer) {
                renewer->stop();
            }
        };
    }
    hooks.on_stopped = [&] {
        renewer.reset();
        jobs.reset();
        database.reset();
        log::info("closed the database");
    };
    return serve(config, hooks);
}

} // namespace rcommerce::server
