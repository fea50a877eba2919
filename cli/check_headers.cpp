// `rcommerce check-headers`: parse options, run the audit in core/audit, print
// the chosen format to stdout, exit 0 / 1 (thresholds) / 2 (usage) / 3
// (a URL could not be fetched).
#include "cli/app.hpp"
#include "cli/exit_codes.hpp"
#include "core/audit/audit.hpp"
#include "core/audit/render.hpp"
#include "core/tls/certificate.hpp"
#include "core/util/strings.hpp"
#include "core/version.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace rcommerce::cli {

namespace {

struct CheckHeadersArgs {
    std::vector<std::string> urls;
    std::string urls_file;
    std::string format = "table";
    std::string fail_on;
    std::string min_grade;
    std::string expect_file;
    double timeout_seconds = 10;
    bool insecure = false;
    std::string ca_file;
    std::vector<std::string> resolve;
    std::vector<std::string> headers;
};

Error usage(std::string what, std::string why, std::string hint = {})
{
    return make_error(ErrorKind::validation, "bad_option", std::move(what), std::move(why),
                      std::move(hint));
}

Result<std::vector<std::string>> read_urls_file(const std::string &path)
{
    std::ifstream in(path);
    if (!in) {
        return usage("reading --urls-file " + path, "cannot open the file");
    }
    std::vector<std::string> urls;
    std::string line;
    while (std::getline(in, line)) {
        std::string_view text = util::trim(line);
        if (!text.empty() && text.front() != '#') {
            urls.emplace_back(text);
        }
    }
    return urls;
}

// Everything the options say, checked before any network traffic.
Result<audit::AuditOptions> build_options(const CheckHeadersArgs &args)
{
    audit::AuditOptions options;
    if (!(args.timeout_seconds > 0 && args.timeout_seconds <= 600)) {
        std::ostringstream given;
        given << args.timeout_seconds; // 0 and 0.5 as typed, not 0.000000
        return usage("--timeout " + given.str(), "must be more than 0 and at most 600 seconds");
    }
    options.fetch.timeout =
        std::chrono::milliseconds(static_cast<int64_t>(args.timeout_seconds * 1000));
    options.fetch.insecure = args.insecure;
    if (!args.ca_file.empty()) {
        if (auto usable = tls::check_ca_file(args.ca_file, "--ca-file " + args.ca_file); !usable) {
            return usage(usable.error().what, usable.error().why, usable.error().hint);
        }
    }
    options.fetch.ca_file = args.ca_file;
    options.fetch.probe_origin = "https://check-headers-probe.invalid";
    options.fetch.user_agent = std::string("rcommerce-check-headers/") + k_version;
    for (const auto &text : args.resolve) {
        auto entry = audit::parse_resolve(text);
        if (!entry) {
            return entry.error();
        }
        options.fetch.resolve.push_back(entry.value());
    }
    for (const auto &text : args.headers) {
        auto header = audit::parse_header_option(text);
        if (!header) {
            return header.error();
        }
        options.fetch.extra_headers.push_back(header.value());
    }
    if (!args.expect_file.empty()) {
        auto policy = audit::load_expect_policy(args.expect_file);
        if (!policy) {
            return policy.error();
        }
        options.expect = std::move(policy.value());
    }
    return options;
}

int run_check_headers(const CheckHeadersArgs &args)
{
    auto format = audit::parse_format(args.format);
    if (!format) {
        throw ErrorException(
            usage("--format " + args.format, "unknown format", "use table, json, sarif or junit"));
    }
    std::optional<audit::Severity> fail_on;
    if (!args.fail_on.empty() && !(fail_on = audit::parse_severity(args.fail_on))) {
        throw ErrorException(usage("--fail-on " + args.fail_on, "unknown severity",
                                   "use info, low, medium or high"));
    }
    std::optional<int> min_grade;
    if (!args.min_grade.empty() && !(min_grade = audit::grade_rank(args.min_grade))) {
        throw ErrorException(usage("--min-grade " + args.min_grade, "unknown grade",
                                   "use one of A+ A A- B+ B B- C+ C C- D+ D D- F"));
    }
    std::vector<std::string> urls = args.urls;
    if (!args.urls_file.empty()) {
        auto more = read_urls_file(args.urls_file);
        urls.insert(urls.end(), more.value().begin(), more.value().end());
    }
    if (urls.empty()) {
        throw ErrorException(usage("check-headers", "no URL given",
                                   "pass URLs as arguments or with --urls-file FILE"));
    }
    for (const auto &url : urls) {
        (void)audit::parse_url(url).value(); // a malformed URL is a usage error
    }
    auto options = build_options(args).value();

    audit::AuditReport report = audit::audit_urls(urls, options);
    audit::RenderOptions render_options;
    render_options.color = *format == audit::Format::table && use_color();
    render_options.fail_on = fail_on.value_or(audit::Severity::low);
    std::cout << audit::render(report, *format, render_options) << std::flush;

    for (const auto &url : report.urls) {
        if (url.error && *format != audit::Format::table) {
            print_error(*url.error); // the table shows it; other formats keep stdout clean
        }
    }
    switch (audit::verdict(report, fail_on, min_grade)) {
    case audit::Verdict::unreachable:
        return k_exit_unreachable;
    case audit::Verdict::fail:
        return k_exit_failure;
    case audit::Verdict::pass:
        break;
    }
    return k_exit_ok;
}

} // namespace

void add_check_headers(CLI::App &app, Context &context)
{
    auto *check = app.add_subcommand("check-headers",
                                     "Audit the TLS setup and security headers of live URLs");
    auto args = std::make_shared<CheckHeadersArgs>();
    check->add_option("URL", args->urls, "URLs to audit (http:// URLs are followed to HTTPS)");
    check->add_option("--urls-file", args->urls_file, "read more URLs from FILE, one a line");
    check->add_option("--format", args->format, "table (default), json, sarif or junit");
    check->add_option("--fail-on", args->fail_on,
                      "exit 1 when a finding has this severity or worse (info|low|medium|high)");
    check->add_option("--min-grade", args->min_grade, "exit 1 when a grade is below this (A+..F)");
    check->add_option("--expect", args->expect_file,
                      "TOML policy of required and forbidden headers");
    check->add_option("--timeout", args->timeout_seconds,
                      "seconds for each connection and read (default 10)");
    check->add_flag("--insecure", args->insecure,
                    "go on when the certificate does not verify (reported in the output)");
    check->add_option("--ca-file", args->ca_file, "PEM file of CAs to verify against");
    check->add_option("--resolve", args->resolve, "HOST:PORT:ADDRESS, connect there for HOST")
        ->allow_extra_args(false);
    check->add_option("--header", args->headers, "'Name: value' sent with every request")
        ->allow_extra_args(false);
    check->callback(
        [&context, args] { context.action = [args] { return run_check_headers(*args); }; });
}

} // namespace rcommerce::cli
