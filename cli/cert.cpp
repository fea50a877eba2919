// `rcommerce cert issue|renew|list|revoke`: parse, call core/acme, print.
//
// Exit codes: 0 success (renew: everything due renewed, or nothing due);
// 1 an issuance, renewal or revocation failed; 2 usage or configuration.
#include "cli/app.hpp"
#include "cli/exit_codes.hpp"
#include "core/acme/issue.hpp"
#include "core/util/time.hpp"

#include <iomanip>
#include <iostream>

namespace rcommerce::cli {

namespace {

struct ChallengeOptions {
    std::string challenge;
    int http_port = 80;
    std::string webroot;
    bool via_serve = false;
    std::string dns_hook;
};

struct IssueOptions {
    std::vector<std::string> domains;
    std::string email;
    bool staging = false;
    std::string directory;
    std::string ca_file;
    ChallengeOptions challenge;
    std::string key_type;
    std::string preferred_chain;
    std::string eab_kid;
    bool replace = false;
};

struct RenewOptions {
    bool force = false;
    int64_t days = 0;
    std::string deploy_hook;
    std::string ca_file;
    ChallengeOptions challenge;
};

// Options that contradict each other are refused, not silently ranked: an
// operator who passed both meant something this command would not do.
void add_challenge_options(CLI::App *sub, ChallengeOptions &opts)
{
    sub->add_option("--challenge", opts.challenge, "http-01 or dns-01")
        ->check(CLI::IsMember({"http-01", "dns-01"}));
    auto *port = sub->add_option("--http-port", opts.http_port,
                                 "Port of the standalone http-01 listener (default 80)")
                     ->check(CLI::Range(1, 65535));
    auto *webroot = sub->add_option("--webroot", opts.webroot,
                                    "Write http-01 answers below DIR/.well-known/acme-challenge/");
    auto *via_serve = sub->add_flag("--http-via-serve", opts.via_serve,
                                    "Let a running `rcommerce serve` answer http-01");
    sub->add_option("--dns-hook", opts.dns_hook,
                    "dns-01 hook, called as CMD add|remove _acme-challenge.NAME VALUE");
    webroot->excludes(port)->excludes(via_serve);
    via_serve->excludes(port);
}

// `--challenge` against the options of the other challenge type; empty when
// they agree. (`renew` may take both kinds: each applies to the certificates
// validated that way.)
std::string challenge_conflict(const ChallengeOptions &opts, bool http_port_given)
{
    bool http_options = http_port_given || !opts.webroot.empty() || opts.via_serve;
    if (opts.challenge == "dns-01" && http_options) {
        return "--challenge dns-01 with --http-port, --webroot or --http-via-serve";
    }
    if (opts.challenge == "http-01" && !opts.dns_hook.empty()) {
        return "--challenge http-01 with --dns-hook";
    }
    return {};
}

acme::ChallengeSettings challenge_settings(const ChallengeOptions &opts,
                                           const config::LetsEncryptConfig &le)
{
    acme::ChallengeSettings out;
    std::string type = !opts.challenge.empty()  ? opts.challenge
                       : !opts.dns_hook.empty() ? std::string("dns-01")
                                                : le.challenge;
    out.type = type == "dns-01" ? acme::ChallengeType::dns_01 : acme::ChallengeType::http_01;
    out.http_port = opts.http_port;
    out.webroot = opts.webroot;
    out.http_mode = !opts.webroot.empty() ? acme::HttpMode::webroot
                    : opts.via_serve      ? acme::HttpMode::serve
                                          : acme::HttpMode::standalone;
    out.dns_hook = opts.dns_hook;
    return out;
}

std::string directory_url(const IssueOptions &opts, const config::LetsEncryptConfig &le)
{
    if (!opts.directory.empty()) {
        return opts.directory;
    }
    return opts.staging ? std::string(acme::k_letsencrypt_staging)
                        : acme::configured_directory_url(le);
}

int run_issue(Context &context, const IssueOptions &opts, bool http_port_given)
{
    const auto &le = context.config().tls.lets_encrypt;
    std::string conflict = challenge_conflict(opts.challenge, http_port_given);
    if (conflict.empty() && !opts.challenge.dns_hook.empty() &&
        (http_port_given || !opts.challenge.webroot.empty() || opts.challenge.via_serve)) {
        conflict = "--dns-hook with --http-port, --webroot or --http-via-serve";
    }
    if (!conflict.empty()) {
        print_error("cert issue", conflict + " contradict each other",
                    "one certificate is validated one way: keep the options of one challenge");
        return k_exit_usage;
    }
    acme::IssueRequest request;
    request.domains = opts.domains.empty() ? le.domains : opts.domains;
    request.email = opts.email.empty() ? le.email : opts.email;
    request.directory_url = directory_url(opts, le);
    request.ca_file = opts.ca_file.empty() ? le.ca_file : opts.ca_file;
    request.cache_dir = le.cache_dir;
    request.challenge = challenge_settings(opts.challenge, le);
    request.challenge.hook_timeout = std::chrono::seconds(le.hook_timeout_seconds);
    std::string key_type = opts.key_type.empty() ? le.key_type : opts.key_type;
    request.key_type = acme::parse_key_type(key_type).value_or(acme::KeyType::ecdsa_p256);
    request.preferred_chain = opts.preferred_chain;
    request.eab_kid = opts.eab_kid.empty() ? le.eab_kid : opts.eab_kid;
    request.eab_hmac_key = le.eab_hmac_key;
    request.replace = opts.replace;

    auto issued = acme::issue_certificate(request);
    if (!issued) {
        print_error(issued.error());
        return issued.error().kind == ErrorKind::validation ? k_exit_usage : k_exit_failure;
    }
    std::cout << "certificate: " << (issued->folder / "fullchain.pem").string() << "\n"
              << "key:         " << (issued->folder / "privkey.pem").string() << "\n"
              << "valid until: " << util::format_rfc3339(issued->meta.not_after) << "\n";
    return k_exit_ok;
}

int run_renew(Context &context, const RenewOptions &opts, bool http_port_given)
{
    const auto &le = context.config().tls.lets_encrypt;
    if (auto conflict = challenge_conflict(opts.challenge, http_port_given); !conflict.empty()) {
        print_error("cert renew", conflict + " contradict each other",
                    "drop --challenge to keep each certificate's own challenge type");
        return k_exit_usage;
    }
    acme::RenewRequest request;
    request.cache_dir = le.cache_dir;
    request.force = opts.force;
    request.renew_before_days = opts.days > 0 ? opts.days : le.renew_before_days;
    request.deploy_hook = opts.deploy_hook;
    request.hook_timeout = std::chrono::seconds(le.hook_timeout_seconds);
    request.ca_file = opts.ca_file.empty() ? le.ca_file : opts.ca_file;
    const ChallengeOptions &c = opts.challenge;
    if (!c.challenge.empty()) {
        request.challenge_type =
            c.challenge == "dns-01" ? acme::ChallengeType::dns_01 : acme::ChallengeType::http_01;
    }
    if (!c.webroot.empty()) {
        request.http_mode = acme::HttpMode::webroot;
        request.webroot = c.webroot;
    } else if (c.via_serve) {
        request.http_mode = acme::HttpMode::serve;
    } else if (http_port_given) {
        request.http_mode = acme::HttpMode::standalone;
    }
    if (http_port_given) {
        request.http_port = c.http_port;
    }
    request.dns_hook = c.dns_hook;
    request.eab_kid = le.eab_kid;
    request.eab_hmac_key = le.eab_hmac_key;

    int failed = 0;
    auto reports = acme::renew_certificates(request);
    if (reports.empty()) {
        // Exit 0 (nothing was due), but a timer's log should show why nothing happened.
        std::cerr << "rcommerce: no certificates in " << le.cache_dir
                  << " to renew; `rcommerce cert issue` obtains one\n";
    }
    for (const auto &report : reports) {
        std::string name =
            report.names.empty() ? report.folder.filename().string() : report.names.front();
        switch (report.outcome) {
        case acme::RenewOutcome::renewed:
            std::cout << "renewed  " << name << "  " << report.detail << "\n";
            break;
        case acme::RenewOutcome::not_due:
            std::cout << "not due  " << name << "  " << report.detail << "\n";
            break;
        case acme::RenewOutcome::busy:
            std::cout << "skipped  " << name << "  " << report.detail << "\n";
            break;
        case acme::RenewOutcome::failed:
            ++failed;
            std::cout << "FAILED   " << name << "\n";
            print_error("renewing " + name, report.detail);
            break;
        }
    }
    return failed == 0 ? k_exit_ok : k_exit_failure;
}

int run_list(Context &context, const std::string &format)
{
    const auto &le = context.config().tls.lets_encrypt;
    acme::CertStore store(le.cache_dir);
    int64_t now = util::unix_now();
    nlohmann::json rows = nlohmann::json::array();
    for (const auto &cert : store.list()) {
        if (!cert) {
            print_error(cert.error());
            continue;
        }
        const auto &m = cert->meta;
        auto decision = acme::decide_renewal(m.not_before, m.not_after, now, le.renew_before_days);
        rows.push_back({{"names", m.names},
                        {"issuer", m.issuer},
                        {"serial", m.serial_hex},
                        {"not_after", util::format_rfc3339(m.not_after)},
                        {"days_left", (m.not_after - now) / 86400},
                        // A key that does not fit (or a cert.pem that is
                        // no certificate) cannot be served: renew replaces it.
                        {"due", decision.due || m.revoked || !cert->key_matches},
                        {"revoked", m.revoked},
                        {"key_matches", cert->key_matches},
                        {"path", cert->folder.string()}});
    }
    if (format == "json") {
        std::cout << rows.dump(2) << "\n";
        return k_exit_ok;
    }
    std::cout << std::left << std::setw(32) << "NAMES" << std::setw(22) << "NOT AFTER"
              << std::setw(6) << "DAYS" << std::setw(9) << "DUE"
              << "PATH\n";
    for (const auto &row : rows) {
        std::string names;
        for (const auto &n : row["names"]) {
            names += (names.empty() ? "" : ",") + n.get<std::string>();
        }
        std::string due = row["revoked"].get<bool>()        ? "revoked"
                          : !row["key_matches"].get<bool>() ? "broken"
                          : row["due"].get<bool>()          ? "yes"
                                                            : "no";
        std::cout << std::setw(32) << names << std::setw(22) << row["not_after"].get<std::string>()
                  << std::setw(6) << row["days_left"].get<int64_t>() << std::setw(9) << due
                  << row["path"].get<std::string>() << "\n";
    }
    return k_exit_ok;
}

int run_revoke(Context &context, const std::string &domain, const std::string &reason,
               const std::string &ca_file)
{
    const auto &le = context.config().tls.lets_encrypt;
    auto code = acme::parse_revocation_reason(reason);
    if (!code) {
        print_error("--reason \"" + reason + "\"", "unknown revocation reason",
                    "use unspecified, keyCompromise, affiliationChanged, superseded or "
                    "cessationOfOperation");
        return k_exit_usage;
    }
    auto revoked = acme::revoke_certificate(le.cache_dir, domain, *code,
                                            ca_file.empty() ? le.ca_file : ca_file);
    if (!revoked) {
        print_error(revoked.error());
        return k_exit_failure;
    }
    std::cout << "revoked " << domain << "\n";
    return k_exit_ok;
}

} // namespace

void add_cert(CLI::App &app, Context &context)
{
    auto *cert = app.add_subcommand("cert", "Obtain, renew, list and revoke ACME certificates");
    cert->require_subcommand(1);

    auto issue_opts = std::make_shared<IssueOptions>();
    auto *issue = cert->add_subcommand("issue", "Obtain a certificate from an ACME CA");
    issue->add_option("--domain", issue_opts->domains, "Name on the certificate (repeatable)");
    issue->add_option("--email", issue_opts->email, "Account contact e-mail");
    auto *staging = issue->add_flag("--staging", issue_opts->staging, "Use Let's Encrypt staging");
    issue->add_option("--directory", issue_opts->directory, "ACME directory URL of another CA")
        ->excludes(staging);
    issue->add_option("--ca-file", issue_opts->ca_file, "CA bundle for the directory's HTTPS");
    add_challenge_options(issue, issue_opts->challenge);
    issue->add_option("--key-type", issue_opts->key_type, "Certificate key type")
        ->check(CLI::IsMember({"ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-4096"}));
    issue->add_option("--preferred-chain", issue_opts->preferred_chain,
                      "Pick the chain whose root has this common name");
    issue->add_option("--eab-kid", issue_opts->eab_kid, "External Account Binding key id");
    issue->add_flag("--replace", issue_opts->replace,
                    "Replace a stored certificate from another CA or with names this one lacks");
    issue->callback([&context, issue_opts, issue] {
        bool given = issue->count("--http-port") > 0;
        context.action = [&context, issue_opts, given] {
            return run_issue(context, *issue_opts, given);
        };
    });

    auto renew_opts = std::make_shared<RenewOptions>();
    auto *renew = cert->add_subcommand("renew", "Renew the certificates that are due");
    renew->add_flag("--force", renew_opts->force, "Renew every certificate, due or not");
    renew->add_option("--days", renew_opts->days, "Renew with fewer than N days left")
        ->check(CLI::Range(1, 365));
    renew->add_option("--deploy-hook", renew_opts->deploy_hook,
                      "Run after each renewal (RCOMMERCE_RENEWED_DOMAINS in its environment)");
    renew->add_option("--ca-file", renew_opts->ca_file, "CA bundle for the directory's HTTPS");
    add_challenge_options(renew, renew_opts->challenge);
    renew->callback([&context, renew_opts, renew] {
        bool given = renew->count("--http-port") > 0;
        context.action = [&context, renew_opts, given] {
            return run_renew(context, *renew_opts, given);
        };
    });

    auto format = std::make_shared<std::string>("table");
    auto *list = cert->add_subcommand("list", "List stored certificates");
    list->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
    list->callback([&context, format] {
        context.action = [&context, format] { return run_list(context, *format); };
    });

    auto revoke_domain = std::make_shared<std::string>();
    auto revoke_reason = std::make_shared<std::string>("unspecified");
    auto revoke_ca = std::make_shared<std::string>();
    auto *revoke = cert->add_subcommand("revoke", "Revoke a certificate");
    revoke->add_option("--domain", *revoke_domain, "First name of the certificate")->required();
    revoke->add_option("--reason", *revoke_reason,
                       "unspecified, keyCompromise, affiliationChanged, superseded or "
                       "cessationOfOperation");
    revoke->add_option("--ca-file", *revoke_ca, "CA bundle for the directory's HTTPS");
    revoke->callback([&context, revoke_domain, revoke_reason, revoke_ca] {
        context.action = [&context, revoke_domain, revoke_reason, revoke_ca] {
            return run_revoke(context, *revoke_domain, *revoke_reason, *revoke_ca);
        };
    });
}

} // namespace rcommerce::cli
