#include "cli/app.hpp"

namespace rcommerce::cli {

void add_db(CLI::App &app, Context &context)
{
    auto *db = app.add_subcommand("db", "Migrate, inspect and seed the database");
    db->require_subcommand(1);
    for (auto [name, help] : {std::pair{"migrate", "Apply pending migrations"},
                              std::pair{"status", "Show applied, pending and modified migrations"},
                              std::pair{"rollback", "Undo the latest migrations"},
                              std::pair{"seed", "Fill the database with demo data"}}) {
        auto *sub = db->add_subcommand(name, help);
        std::string command = std::string("db ") + name;
        sub->callback([&context, command] {
            context.action = [command] { return not_built_yet(command, "#3"); };
        });
    }
}

} // namespace rcommerce::cli
