#include "cli/app.hpp"

namespace rcommerce::cli {

void add_serve(CLI::App &app, Context &context)
{
    auto *serve = app.add_subcommand("serve", "Serve the commerce API over HTTPS");
    auto migrate = std::make_shared<bool>(false);
    serve->add_flag("--migrate", *migrate, "Apply pending database migrations before serving");
    serve->callback(
        [&context, migrate] { context.action = [] { return not_built_yet("serve", "#6"); }; });
}

} // namespace rcommerce::cli
