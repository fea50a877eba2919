#include "cli/app.hpp"
#include "cli/exit_codes.hpp"

#include <algorithm>
#include <iostream>

namespace rcommerce::cli {
namespace {

int run_check(Context &context)
{
    auto env = config::process_environment();
    const auto &read = context.loaded();
    if (!read) {
        print_error(read.error());
        return k_exit_usage;
    }
    const auto &loaded = *read;
    std::string source = loaded.file ? loaded.file->string() : "built-in defaults";
    bool overridden = std::any_of(env.begin(), env.end(), [](const auto &entry) {
        return entry.first != "RCOMMERCE_CONFIG";
    });
    if (overridden) {
        source += " with RCOMMERCE_* environment overrides";
    }
    for (const auto &warning : loaded.warnings) {
        std::cerr << "warning: " << config::format_problem(warning) << "\n";
    }
    if (loaded.problems.empty()) {
        std::cout << source << ": configuration is valid\n";
        return k_exit_ok;
    }
    for (const auto &problem : loaded.problems) {
        std::cerr << config::format_problem(problem) << "\n";
    }
    print_error("configuration " + source,
                std::to_string(loaded.problems.size()) +
                    (loaded.problems.size() == 1 ? " problem" : " problems"),
                "fix the lines above; `rcommerce config init` prints every key with its default");
    return k_exit_usage;
}

} // namespace

void add_config(CLI::App &app, Context &context)
{
    auto *cfg = app.add_subcommand("config", "Check, create and show the configuration");
    cfg->require_subcommand(1);
    cfg->add_subcommand("check", "Validate the configuration; exit 0 if valid, 2 if not")
        ->callback([&context] { context.action = [&context] { return run_check(context); }; });
    cfg->add_subcommand("init", "Print a fully commented example configuration")
        ->callback([&context] {
            context.action = [] {
                std::cout << config::example_toml();
                return k_exit_ok;
            };
        });
    cfg->add_subcommand("show", "Print the effective configuration, secrets masked")
        ->callback([&context] {
            context.action = [&context] {
                const auto &effective = context.config();
                std::cout << "# effective configuration from " << context.config_source()
                          << " and the environment\n"
                          << config::to_toml(effective);
                return k_exit_ok;
            };
        });
}

} // namespace rcommerce::cli
