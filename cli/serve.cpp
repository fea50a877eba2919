#include "cli/app.hpp"

#include "cli/exit_codes.hpp"
#include "server/serve_app.hpp"

namespace rcommerce::cli {

void add_serve(CLI::App &app, Context &context)
{
    auto *serve = app.add_subcommand("serve", "Serve the commerce API over HTTPS");
    auto migrate = std::make_shared<bool>(false);
    serve->add_flag("--migrate", *migrate, "Apply pending database migrations before serving");
    serve->callback([&context, migrate] {
        context.action = [&context, migrate] {
            auto served =
                server::run_serve(context.config(), *migrate ? server::Migrations::apply_pending
                                                             : server::Migrations::refuse_pending);
            if (!served) {
                print_error(served.error());
                return exit_code_for(served.error());
            }
            return k_exit_ok;
        };
    });
}

} // namespace rcommerce::cli
