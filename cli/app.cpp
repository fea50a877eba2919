#include "cli/app.hpp"

#include "cli/exit_codes.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "core/version.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rcommerce::cli {
namespace {

extern "C" void exit_on_interrupt(int)
{
    // Only async-signal-safe calls here; `serve` installs its own handler.
    constexpr char message[] = "\nrcommerce: interrupted\n";
    [[maybe_unused]] auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
    _exit(k_exit_interrupted);
}

void configure_logging(Context &context)
{
    std::string level_text = context.log_level;
    std::string format_text = context.log_format;
    // The config may be invalid or absent; logging must still work, so fall
    // back to defaults rather than fail here.
    if (level_text.empty() || format_text.empty()) {
        if (const auto &loaded = context.loaded()) {
            if (level_text.empty()) {
                level_text = loaded->config.log.level;
            }
            if (format_text.empty()) {
                format_text = loaded->config.log.format;
            }
        }
    }
    auto level = log::parse_level(level_text).value_or(log::Level::info);
    log::setup(level, format_text == "json" ? log::Format::json : log::Format::text);
}

// For a command line that names no known subcommand, the token that is not
// one and the nearest real name; empty when the mistake is something else.
struct UnknownCommand {
    std::string token;   // empty: every command word was known
    std::string nearest; // the closest known name, if any is close
    std::string parent;  // "rcommerce" or "rcommerce completions"
    std::vector<std::string> names;
};

UnknownCommand unknown_command(const CLI::App &app, int argc, char **argv)
{
    std::string parent = "rcommerce";
    const CLI::App *current = &app;
    for (int i = 1; i < argc; ++i) {
        std::string_view token = argv[i];
        if (token.rfind('-', 0) == 0) {
            bool takes_value =
                token == "--config" || token == "--log-level" || token == "--log-format";
            i += takes_value ? 1 : 0;
            continue;
        }
        auto subs = current->get_subcommands([](const CLI::App *) { return true; });
        if (subs.empty()) {
            return {};
        }
        std::vector<std::string> names;
        const CLI::App *next = nullptr;
        for (const CLI::App *sub : subs) {
            names.push_back(sub->get_name());
            if (sub->get_name() == token) {
                next = sub;
            }
        }
        if (next == nullptr) {
            auto nearest = util::closest(token, names).value_or("");
            return {std::string(token), nearest, parent, names};
        }
        current = next;
        parent += " " + next->get_name();
    }
    return {};
}

// True when stdout is a pipe or socket whose reader has gone (`| head`).
bool stdout_reader_gone()
{
    struct stat info {};
    if (::fstat(STDOUT_FILENO, &info) != 0 || !(S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode))) {
        return false;
    }
    pollfd out{STDOUT_FILENO, POLLOUT, 0};
    return ::poll(&out, 1, 0) == 1 && (out.revents & (POLLERR | POLLHUP)) != 0;
}

// What a command printed through std::cout or printf may still sit in
// stdio's buffer, and a full disk shows only when that is written: without
// this check `rcommerce config init > rcommerce.toml` on a full disk left a
// truncated file and exited 0.
int check_stdout(int code)
{
    std::cout.flush();
    errno = 0;
    bool flush_failed = std::fflush(stdout) != 0;
    int flush_errno = errno;
    if (!flush_failed && std::ferror(stdout) == 0 && !std::cout.fail()) {
        return code;
    }
    if (flush_errno == EPIPE || stdout_reader_gone()) {
        // The reader stopped reading; what it wanted it has.
        return code;
    }
    // An earlier failed write's errno may have been overwritten since, so
    // only the final flush's reason is named.
    print_error("writing the output",
                flush_failed && flush_errno != 0 ? std::strerror(flush_errno)
                                                 : "standard output could not be written in full",
                "check the free space and permissions where the output goes");
    return code == k_exit_ok ? k_exit_failure : code;
}

} // namespace

const Result<config::Loaded> &Context::loaded()
{
    if (!m_loaded) {
        auto env = config::process_environment();
        auto located = config::locate(config_path, env);
        m_loaded = located ? Result<config::Loaded>(config::load(*located, env))
                           : Result<config::Loaded>(located.error());
    }
    return *m_loaded;
}

const config::Config &Context::config()
{
    const auto &read = loaded();
    if (!read) {
        print_error(read.error());
        throw ExitRequest{k_exit_usage};
    }
    if (!read->problems.empty()) {
        for (const auto &problem : read->problems) {
            std::cerr << "rcommerce: error: " << config::format_problem(problem) << "\n";
        }
        std::cerr << "hint: run `rcommerce config check` for the full report, "
                     "`rcommerce config init` for an example\n";
        throw ExitRequest{k_exit_usage};
    }
    for (const auto &warning : read->warnings) {
        log::warn(config::format_problem(warning));
    }
    return read->config;
}

std::string Context::config_source()
{
    if (m_loaded && *m_loaded && (*m_loaded)->file) {
        return (*m_loaded)->file->string();
    }
    return "built-in defaults";
}

void print_error(const Error &error)
{
    print_error(error.what, error.why, error.hint);
    // A validation error's `why` usually lists its fields already; a field
    // is printed on its own line only when it would otherwise be lost.
    for (const auto &field : error.fields) {
        std::string line = field.field.empty() ? field.message : field.field + ": " + field.message;
        if (error.why.find(line) == std::string::npos) {
            std::cerr << "  " << line << "\n";
        }
    }
}

void print_error(std::string_view what, std::string_view why, std::string_view hint)
{
    std::cerr << "rcommerce: error: " << what;
    if (!why.empty()) {
        std::cerr << ": " << why;
    }
    std::cerr << "\n";
    if (!hint.empty()) {
        std::cerr << "hint: " << hint << "\n";
    }
}

int exit_code_for(const Error &error)
{
    return error.kind == ErrorKind::validation ? k_exit_usage : k_exit_failure;
}

bool use_color()
{
    const char *no_color = std::getenv("NO_COLOR");
    if (no_color != nullptr && *no_color != '\0') {
        return false;
    }
    return isatty(STDOUT_FILENO) != 0;
}

int not_built_yet(std::string_view command, std::string_view issue)
{
    print_error(std::string("rcommerce ") + std::string(command), "not built yet in this version",
                "this command is tracked by issue " + std::string(issue));
    return k_exit_failure;
}

void build_app(CLI::App &app, Context &context)
{
    // Usage lines say "rcommerce", not the path the binary was started by.
    app.name("rcommerce");
    app.description("rcommerce: a headless e-commerce API server and its operations toolkit");
    app.set_version_flag("--version", std::string("rcommerce ") + k_version);
    app.require_subcommand(1);
    app.fallthrough();
    app.option_defaults()->always_capture_default();
    app.add_option("--config", context.config_path,
                   "Configuration file (default: $RCOMMERCE_CONFIG, ./rcommerce.toml, "
                   "/etc/rcommerce/rcommerce.toml, built-in defaults)")
        ->option_text("FILE");
    app.add_option("--log-level", context.log_level, "Least severe log level shown")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
    app.add_option("--log-format", context.log_format, "Diagnostics on stderr as text or JSON")
        ->check(CLI::IsMember({"text", "json"}));

    add_serve(app, context);
    add_cert(app, context);
    add_check_headers(app, context);
    add_db(app, context);
    add_apikey(app, context);
    add_inventory(app, context);
    add_config(app, context);
    add_completions(app, context);
}

int run(int argc, char **argv)
{
    std::signal(SIGINT, exit_on_interrupt);
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App app;
    Context context;
    build_app(app, context);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &e) {
        return check_stdout(app.exit(e));
    } catch (const CLI::CallForAllHelp &e) {
        return check_stdout(app.exit(e));
    } catch (const CLI::CallForVersion &e) {
        return check_stdout(app.exit(e));
    } catch (const CLI::ParseError &e) {
        auto unknown = unknown_command(app, argc, argv);
        if (!unknown.token.empty()) {
            std::string known;
            for (const auto &name : unknown.names) {
                known += (known.empty() ? "" : ", ") + name;
            }
            print_error("invalid command line",
                        unknown.parent == "rcommerce"
                            ? "unknown command \"" + unknown.token + "\""
                            : "`" + unknown.parent + "` has no \"" + unknown.token + "\"",
                        unknown.nearest.empty() ? "`" + unknown.parent + "` takes one of: " + known
                                                : "did you mean \"" + unknown.nearest + "\"?");
            return k_exit_usage;
        }
        print_error("invalid command line", e.what(),
                    "run `rcommerce --help` or `rcommerce <command> --help`");
        return k_exit_usage;
    }

    try {
        configure_logging(context);
        if (!context.action) {
            print_error("invalid command line", "no subcommand chosen", "run `rcommerce --help`");
            return k_exit_usage;
        }
        return check_stdout(context.action());
    } catch (const ExitRequest &request) {
        return request.code;
    } catch (const ErrorException &e) {
        print_error(e.error());
        return exit_code_for(e.error());
    } catch (const std::exception &e) {
        print_error("unexpected failure", e.what(),
                    "this is a bug; please report it with the command you ran");
        return k_exit_failure;
    }
}

} // namespace rcommerce::cli
