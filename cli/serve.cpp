#include "cli/app.hpp"

#include "cli/exit_codes.hpp"
#include "server/listener.hpp"

namespace rcommerce::cli {
namespace {

// SEAM (store): the store branch has not landed its interface yet. When it
// does, this opens store::Database, refuses to start while migrations are
// pending (naming them) unless --migrate, adds "database" and "migrations"
// readiness checks, and mounts server::api with the open database.
server::ServeHooks store_hooks(const config::Config &, bool)
{
    return {};
}

int run_serve(Context &context, bool migrate)
{
    const auto &config = context.config();
    auto hooks = store_hooks(config, migrate);
    auto served = server::serve(config, hooks);
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
