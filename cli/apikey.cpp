#include "cli/app.hpp"

namespace rcommerce::cli {

void add_apikey(CLI::App &app, Context &context)
{
    auto *apikey = app.add_subcommand("apikey", "Create, list and revoke API keys");
    apikey->require_subcommand(1);
    for (auto [name, help] : {std::pair{"create", "Create a key and print it once"},
                              std::pair{"list", "List keys (never the secret part)"},
                              std::pair{"revoke", "Revoke a key"}}) {
        auto *sub = apikey->add_subcommand(name, help);
        std::string command = std::string("apikey ") + name;
        sub->callback([&context, command] {
            context.action = [command] { return not_built_yet(command, "#4"); };
        });
    }
}

} // namespace rcommerce::cli
