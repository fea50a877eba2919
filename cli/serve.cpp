#include "cli/app.hpp"

#include "cli/exit_codes.hpp"
#include "core/store/database.hpp"
#include "core/store/migrations.hpp"
#include "server/api/api.hpp"
#include "server/api/jobs.hpp"
#include "server/listener.hpp"

#include <memory>

namespace rcommerce::cli {
namespace {

// Opens the store, refuses to start while migrations are pending (unless
// --migrate applies them), mounts the API and runs its background jobs
// (reservation expiry, idempotency purge) until the listeners stop.
Result<server::ServeHooks> store_hooks(const config::Config &config, bool migrate)
{
    auto opened = store::Database::open(config.database, store::OpenMode::create);
    if (!opened) {
        return opened.error();
    }
    std::shared_ptr<store::Database> database = std::move(opened).value();
    if (migrate) {
        auto applied = store::migrate(*database);
        if (!applied) {
            return applied.error();
        }
    }
    if (auto current = store::check_current(*database); !current) {
        return current.error();
    }

    auto jobs = std::make_shared<std::unique_ptr<server::api::BackgroundJobs>>();
    server::ServeHooks hooks;
    hooks.mount = [&config, database, jobs](httplib::Server &server) {
        server::api::mount(server, config, *database);
        *jobs = std::make_unique<server::api::BackgroundJobs>(config, *database);
    };
    hooks.readiness = [database] {
        std::vector<server::ServeHooks::Check> checks;
        auto current = store::check_current(*database);
        checks.push_back({"migrations", current ? "" : current.error().why});
        return checks;
    };
    hooks.on_stopped = [database, jobs] { jobs->reset(); };
    return hooks;
}

int run_serve(Context &context, bool migrate)
{
    const auto &config = context.config();
    auto hooks = store_hooks(config, migrate);
    if (!hooks) {
        print_error(hooks.error());
        return exit_code_for(hooks.error());
    }
    auto served = server::serve(config, *hooks);
    if (!served) {
        print_error(served.error());
        return exit_code_for(served.error());
    }
    return k_exit_ok;
}

} // namespace

void add_serve(CLI::App &app, Context &context)
{
    auto *serve = app.add_subcommand("serve", "Serve the commerce API over HTTPS");
    auto migrate = std::make_shared<bool>(false);
    serve->add_flag("--migrate", *migrate, "Apply pending database migrations before serving");
    serve->callback([&context, migrate] {
        context.action = [&context, migrate] { return run_serve(context, *migrate); };
    });
}

} // namespace rcommerce::cli
