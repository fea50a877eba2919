// Shared state of one command-line invocation: global options, the lazily
// loaded configuration, and the action the chosen subcommand will run.
#pragma once

#include "core/config/config.hpp"
#include "core/util/result.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

namespace rcommerce::cli {

class Context {
public:
    std::optional<std::string> config_path;
    std::string log_level;  // empty: from config
    std::string log_format; // empty: from config

    // The validated configuration. On any problem, prints every one of them
    // and throws UsageExit, so callers never see a half-valid config.
    const config::Config &config();

    // The configuration as read, problems and all, or why no file could be
    // located. Read once: the file may be a pipe (`--config <(...)`).
    const Result<config::Loaded> &loaded();

    // Where the configuration came from, for messages ("defaults" if none).
    [[nodiscard]] std::string config_source();

    // Set by the chosen subcommand's parse callback; main() runs it.
    std::function<int()> action;

private:
    std::optional<Result<config::Loaded>> m_loaded;
};

// Thrown to leave with an exit code after the message is already printed.
struct ExitRequest {
    int code;
};

// The one printer for errors: "rcommerce: error: <what>: <why>", then a hint.
void print_error(const Error &error);
void print_error(std::string_view what, std::string_view why, std::string_view hint = {});

// Exit code for an Error reaching the command line.
[[nodiscard]] int exit_code_for(const Error &error);

// True when stdout is a terminal and NO_COLOR is unset.
[[nodiscard]] bool use_color();

// Builds the whole command tree. Each add_* lives in the subcommand's file.
void build_app(CLI::App &app, Context &context);

void add_serve(CLI::App &app, Context &context);
void add_cert(CLI::App &app, Context &context);
void add_check_headers(CLI::App &app, Context &context);
void add_db(CLI::App &app, Context &context);
void add_apikey(CLI::App &app, Context &context);
void add_inventory(CLI::App &app, Context &context);
void add_config(CLI::App &app, Context &context);
void add_completions(CLI::App &app, Context &context);

// Runs the command line; returns the process exit code. main() is only this.
int run(int argc, char **argv);

// For subcommands whose issue has not landed: a clear message and exit 1.
int not_built_yet(std::string_view command, std::string_view issue);

} // namespace rcommerce::cli
