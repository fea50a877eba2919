#include "cli/app.hpp"

namespace rcommerce::cli {

void add_check_headers(CLI::App &app, Context &context)
{
    auto *check = app.add_subcommand("check-headers",
                                     "Audit the TLS setup and security headers of live URLs");
    auto urls = std::make_shared<std::vector<std::string>>();
    check->add_option("URL", *urls, "URLs to audit");
    check->callback(
        [&context] { context.action = [] { return not_built_yet("check-headers", "#8"); }; });
}

} // namespace rcommerce::cli
