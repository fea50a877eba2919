#include "cli/app.hpp"

namespace rcommerce::cli {

void add_cert(CLI::App &app, Context &context)
{
    auto *cert = app.add_subcommand("cert", "Obtain, renew, list and revoke ACME certificates");
    cert->require_subcommand(1);
    for (auto [name, help] : {std::pair{"issue", "Obtain a certificate from an ACME CA"},
                              std::pair{"renew", "Renew the certificates that are due"},
                              std::pair{"list", "List stored certificates"},
                              std::pair{"revoke", "Revoke a certificate"}}) {
        auto *sub = cert->add_subcommand(name, help);
        std::string command = std::string("cert ") + name;
        sub->callback([&context, command] {
            context.action = [command] { return not_built_yet(command, "#7"); };
        });
    }
}

} // namespace rcommerce::cli
