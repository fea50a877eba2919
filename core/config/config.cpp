#include "core/config/config.hpp"

#include "core/acme/names.hpp"
#include "core/util/strings.hpp"

#include <arpa/inet.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <tuple>

extern char **environ;

namespace rcommerce::config {
namespace {

enum class Kind { boolean, integer, string, string_list };

// One configuration key: its place, type, limits and documentation. The whole
// table below is the single description of the configuration file.
struct Key {
    std::string_view section;
    std::string_view name;
    Kind kind;
    void *(*field)(Config &);
    std::string_view doc;
    int64_t min = std::numeric_limits<int64_t>::min();
    int64_t max = std::numeric_limits<int64_t>::max();
    std::vector<std::string_view> choices = {}; // allowed string values; empty: any
    bool secret = false;
};

#define RC_FIELD(member) [](Config &c) -> void * { return &c.member; }

const std::vector<Key> &keys()
{
    static const std::vector<Key> table = {
        {"server", "host", Kind::string, RC_FIELD(server.host),
         "Address the HTTPS listener binds."},
        {"server", "port", Kind::integer, RC_FIELD(server.port), "HTTPS port.", 1, 65535},
        {"server", "http_port", Kind::integer, RC_FIELD(server.http_port),
         "Plain-HTTP port for ACME challenges and redirects to HTTPS; 0 disables it.", 0, 65535},
        {"server", "domains", Kind::string_list, RC_FIELD(server.domains),
         "Host names this server answers for; redirects go only to these. Empty: localhost."},
        {"server", "data_dir", Kind::string, RC_FIELD(server.data_dir),
         "Directory for the development certificate and other state."},
        {"server", "production", Kind::boolean, RC_FIELD(server.production),
         "When true, never fall back to a self-signed development certificate."},
        {"server", "worker_threads", Kind::integer, RC_FIELD(server.worker_threads),
         "Threads that answer requests; 0: two per CPU core. More start while handlers block "
         "(a payment gateway answering slowly), up to max_connections.",
         0, 1024},
        {"server", "max_connections", Kind::integer, RC_FIELD(server.max_connections),
         "Connections open at once on each listener; a connection beyond it is closed as it is "
         "accepted. An idle or slow client holds a connection, not a thread.",
         1, 65536},
        {"server", "max_connections_per_ip", Kind::integer, RC_FIELD(server.max_connections_per_ip),
         "HTTPS connections one client address may hold at once, so one host cannot take "
         "every connection; more are refused during the handshake. 0: no cap.",
         0, 65536},
        {"server", "keep_alive_max_count", Kind::integer, RC_FIELD(server.keep_alive_max_count),
         "Requests served on one keep-alive connection before it is closed.", 1, 1000000},
        {"server", "keep_alive_timeout_seconds", Kind::integer,
         RC_FIELD(server.keep_alive_timeout_seconds),
         "Idle time after which a keep-alive connection is closed.", 1, 3600},
        {"server", "read_timeout_seconds", Kind::integer, RC_FIELD(server.read_timeout_seconds),
         "Longest time for a TLS handshake, and for a whole request (headers and body) to "
         "arrive once its first byte has.",
         1, 3600},
        {"server", "write_timeout_seconds", Kind::integer, RC_FIELD(server.write_timeout_seconds),
         "Longest wait to send response bytes.", 1, 3600},
        {"server", "max_body_bytes", Kind::integer, RC_FIELD(server.max_body_bytes),
         "Largest request body; larger ones get 413.", 1, 1LL << 32},
        {"server", "max_header_bytes", Kind::integer, RC_FIELD(server.max_header_bytes),
         "Largest request header block; larger ones get 431.", 1024, 1 << 20},
        {"server", "shutdown_timeout_seconds", Kind::integer,
         RC_FIELD(server.shutdown_timeout_seconds),
         "How long in-flight requests may run after SIGTERM.", 0, 3600},
        {"server", "api_key_cache_seconds", Kind::integer, RC_FIELD(server.api_key_cache_seconds),
         "How long a verified API key is trusted without asking the store again; a key revoked "
         "while serve runs is refused within this time. 0: check on every request.",
         0, 300},
        {"server", "response_cache_seconds", Kind::integer, RC_FIELD(server.response_cache_seconds),
         "How long a product read by id is answered from memory. A write through this server "
         "refreshes it at once; a change by another process (another server on the same "
         "database) shows within this time. 0: read the database on every request.",
         0, 60},
        {"server", "admin_host", Kind::string, RC_FIELD(server.admin_host),
         "Address of the admin listener (metrics, health)."},
        {"server", "admin_port", Kind::integer, RC_FIELD(server.admin_port),
         "Admin listener port; 0 serves /metrics and health on the main listener.", 0, 65535},

        {"database", "url", Kind::string, RC_FIELD(database.url),
         "sqlite:///absolute/path.db or sqlite://relative/path.db."},
        {"database",
         "synchronous",
         Kind::string,
         RC_FIELD(database.synchronous),
         "\"normal\": a power loss may lose the last commits but never corrupts; "
         "\"full\": every commit is on disk before it is acknowledged.",
         0,
         0,
         {"normal", "full"}},
        {"database", "busy_timeout_ms", Kind::integer, RC_FIELD(database.busy_timeout_ms),
         "How long a writer waits for the lock.", 0, 600000},
        {"database", "pool_size", Kind::integer, RC_FIELD(database.pool_size),
         "Connections kept open.", 1, 256},

        {"tls", "enabled", Kind::boolean, RC_FIELD(tls.enabled), "Serve HTTPS."},
        {"tls", "cert_file", Kind::string, RC_FIELD(tls.cert_file),
         "PEM certificate chain; empty: the ACME store or a development certificate."},
        {"tls", "key_file", Kind::string, RC_FIELD(tls.key_file), "PEM private key."},
        {"tls",
         "min_tls_version",
         Kind::string,
         RC_FIELD(tls.min_tls_version),
         "Oldest protocol accepted.",
         0,
         0,
         {"1.2", "1.3"}},
        {"tls",
         "max_tls_version",
         Kind::string,
         RC_FIELD(tls.max_tls_version),
         "Newest protocol accepted.",
         0,
         0,
         {"1.2", "1.3"}},
        {"tls", "ciphersuites", Kind::string_list, RC_FIELD(tls.ciphersuites),
         "TLS 1.3 cipher suites, in order of preference."},
        {"tls", "groups", Kind::string_list, RC_FIELD(tls.groups),
         "Key-exchange groups, in order of preference."},
        {"tls", "ocsp_stapling", Kind::boolean, RC_FIELD(tls.ocsp_stapling),
         "Staple OCSP responses when the certificate names a responder."},

        {"tls.hsts", "enabled", Kind::boolean, RC_FIELD(tls.hsts.enabled),
         "Send Strict-Transport-Security on HTTPS responses."},
        {"tls.hsts", "max_age", Kind::integer, RC_FIELD(tls.hsts.max_age), "Seconds.", 0,
         1000000000},
        {"tls.hsts", "include_subdomains", Kind::boolean, RC_FIELD(tls.hsts.include_subdomains),
         "Apply HSTS to every subdomain."},
        {"tls.hsts", "preload", Kind::boolean, RC_FIELD(tls.hsts.preload),
         "Ask for the browsers' preload list; binds the whole domain to HTTPS for months."},

        {"tls.lets_encrypt", "enabled", Kind::boolean, RC_FIELD(tls.lets_encrypt.enabled),
         "Obtain and renew certificates with ACME."},
        {"tls.lets_encrypt", "email", Kind::string, RC_FIELD(tls.lets_encrypt.email),
         "Account contact e-mail."},
        {"tls.lets_encrypt", "domains", Kind::string_list, RC_FIELD(tls.lets_encrypt.domains),
         "Names on the certificate."},
        {"tls.lets_encrypt", "use_staging", Kind::boolean, RC_FIELD(tls.lets_encrypt.use_staging),
         "Use Let's Encrypt staging (untrusted certificates, generous rate limits)."},
        {"tls.lets_encrypt", "auto_renew", Kind::boolean, RC_FIELD(tls.lets_encrypt.auto_renew),
         "Let `serve` renew certificates itself."},
        {"tls.lets_encrypt", "cache_dir", Kind::string, RC_FIELD(tls.lets_encrypt.cache_dir),
         "Certificate and account store."},
        {"tls.lets_encrypt", "directory_url", Kind::string,
         RC_FIELD(tls.lets_encrypt.directory_url),
         "ACME directory; empty: Let's Encrypt production or staging."},
        {"tls.lets_encrypt", "ca_file", Kind::string, RC_FIELD(tls.lets_encrypt.ca_file),
         "Extra CA bundle trusted for the directory's HTTPS."},
        {"tls.lets_encrypt",
         "challenge",
         Kind::string,
         RC_FIELD(tls.lets_encrypt.challenge),
         "Challenge type.",
         0,
         0,
         {"http-01", "dns-01"}},
        {"tls.lets_encrypt",
         "key_type",
         Kind::string,
         RC_FIELD(tls.lets_encrypt.key_type),
         "Certificate key type.",
         0,
         0,
         {"ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-4096"}},
        {"tls.lets_encrypt", "renew_before_days", Kind::integer,
         RC_FIELD(tls.lets_encrypt.renew_before_days),
         "Renew when fewer days than this are left (or a third of the lifetime).", 1, 365},
        {"tls.lets_encrypt", "eab_kid", Kind::string, RC_FIELD(tls.lets_encrypt.eab_kid),
         "External Account Binding key id, when the CA requires one."},
        {"tls.lets_encrypt",
         "eab_hmac_key",
         Kind::string,
         RC_FIELD(tls.lets_encrypt.eab_hmac_key),
         "External Account Binding HMAC key (base64url); prefer the environment variable.",
         0,
         0,
         {},
         true},
        {"tls.lets_encrypt", "dns_hook", Kind::string, RC_FIELD(tls.lets_encrypt.dns_hook),
         "dns-01 hook `serve` calls as CMD add|remove _acme-challenge.NAME VALUE."},
        {"tls.lets_encrypt", "deploy_hook", Kind::string, RC_FIELD(tls.lets_encrypt.deploy_hook),
         "Command `serve` runs after it obtained or renewed a certificate "
         "(RCOMMERCE_RENEWED_DOMAINS, RCOMMERCE_RENEWED_PATH in its environment)."},
        {"tls.lets_encrypt", "check_interval_seconds", Kind::integer,
         RC_FIELD(tls.lets_encrypt.check_interval_seconds),
         "How often `serve` checks its certificates for renewal (less up to a tenth of jitter); "
         "a certificate due sooner is checked when due. Lower only for tests.",
         1, 2592000},
        {"tls.lets_encrypt", "retry_min_seconds", Kind::integer,
         RC_FIELD(tls.lets_encrypt.retry_min_seconds),
         "First retry after a failed obtain or renewal in `serve`; doubles per failure.", 1, 86400},
        {"tls.lets_encrypt", "retry_max_seconds", Kind::integer,
         RC_FIELD(tls.lets_encrypt.retry_max_seconds),
         "Longest wait between retries of a failing obtain or renewal in `serve`.", 1, 604800},
        {"tls.lets_encrypt", "hook_timeout_seconds", Kind::integer,
         RC_FIELD(tls.lets_encrypt.hook_timeout_seconds),
         "How long a DNS or deploy hook may run before it is stopped and the order fails.", 1,
         86400},

        {"security_headers", "enabled", Kind::boolean, RC_FIELD(security_headers.enabled),
         "Send the security headers below; an empty value switches one off."},
        {"security_headers", "content_security_policy", Kind::string,
         RC_FIELD(security_headers.content_security_policy), "Content-Security-Policy."},
        {"security_headers",
         "x_frame_options",
         Kind::string,
         RC_FIELD(security_headers.x_frame_options),
         "X-Frame-Options.",
         0,
         0,
         {"DENY", "SAMEORIGIN", ""}},
        {"security_headers",
         "x_content_type_options",
         Kind::string,
         RC_FIELD(security_headers.x_content_type_options),
         "X-Content-Type-Options.",
         0,
         0,
         {"nosniff", ""}},
        {"security_headers",
         "referrer_policy",
         Kind::string,
         RC_FIELD(security_headers.referrer_policy),
         "Referrer-Policy.",
         0,
         0,
         {"no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
          "same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url", ""}},
        {"security_headers", "permissions_policy", Kind::string,
         RC_FIELD(security_headers.permissions_policy), "Permissions-Policy."},
        {"security_headers",
         "x_xss_protection",
         Kind::string,
         RC_FIELD(security_headers.x_xss_protection),
         "X-XSS-Protection; \"0\" is current advice, browsers removed the filter.",
         0,
         0,
         {"0", "1", "1; mode=block", ""}},
        {"security_headers",
         "cross_origin_opener_policy",
         Kind::string,
         RC_FIELD(security_headers.cross_origin_opener_policy),
         "Cross-Origin-Opener-Policy.",
         0,
         0,
         {"same-origin", "same-origin-allow-popups", "unsafe-none", ""}},
        {"security_headers",
         "cross_origin_resource_policy",
         Kind::string,
         RC_FIELD(security_headers.cross_origin_resource_policy),
         "Cross-Origin-Resource-Policy.",
         0,
         0,
         {"same-origin", "same-site", "cross-origin", ""}},
        {"security_headers", "cache_control", Kind::string,
         RC_FIELD(security_headers.cache_control), "Cache-Control on API responses."},
        {"security_headers", "cors_allowed_origins", Kind::string_list,
         RC_FIELD(security_headers.cors_allowed_origins),
         "Origins allowed by CORS, e.g. \"https://shop.example\"; empty: no CORS."},
        {"security_headers", "cors_allow_credentials", Kind::boolean,
         RC_FIELD(security_headers.cors_allow_credentials),
         "Send Access-Control-Allow-Credentials to allowed origins."},

        {"inventory", "low_stock_threshold", Kind::integer, RC_FIELD(inventory.low_stock_threshold),
         "Default low-stock threshold; critical is at or below half of it.", 0, 1000000000},
        {"inventory", "reservation_ttl_minutes", Kind::integer,
         RC_FIELD(inventory.reservation_ttl_minutes), "How long an unpaid order holds its stock.",
         1, 525600},
        {"inventory", "expiry_interval_seconds", Kind::integer,
         RC_FIELD(inventory.expiry_interval_seconds),
         "How often expired reservations are released.", 1, 86400},

        {"payment",
         "default_gateway",
         Kind::string,
         RC_FIELD(payment.default_gateway),
         "Gateway used when a request names none.",
         0,
         0,
         {"manual", "stripe"}},
        {"payment.stripe", "enabled", Kind::boolean, RC_FIELD(payment.stripe.enabled),
         "Accept payments through Stripe."},
        {"payment.stripe",
         "api_key",
         Kind::string,
         RC_FIELD(payment.stripe.api_key),
         "Secret API key; prefer RCOMMERCE_PAYMENT_STRIPE_API_KEY.",
         0,
         0,
         {},
         true},
        {"payment.stripe",
         "webhook_secret",
         Kind::string,
         RC_FIELD(payment.stripe.webhook_secret),
         "Webhook endpoint signing secret (whsec_...).",
         0,
         0,
         {},
         true},
        {"payment.stripe", "base_url", Kind::string, RC_FIELD(payment.stripe.base_url),
         "Stripe API base URL."},
        {"payment.stripe", "webhook_tolerance_seconds", Kind::integer,
         RC_FIELD(payment.stripe.webhook_tolerance_seconds), "Oldest webhook timestamp accepted.",
         1, 86400},
        {"payment.stripe",
         "capture_method",
         Kind::string,
         RC_FIELD(payment.stripe.capture_method),
         "automatic, or manual to authorize first and capture later.",
         0,
         0,
         {"automatic", "manual"}},
        {"payment.stripe", "timeout_seconds", Kind::integer,
         RC_FIELD(payment.stripe.timeout_seconds), "Per-request timeout towards Stripe.", 1, 600},
        {"payment.stripe", "max_retries", Kind::integer, RC_FIELD(payment.stripe.max_retries),
         "Retries on network errors and 5xx, with the same Idempotency-Key.", 0, 10},
        {"payment.stripe", "ca_file", Kind::string, RC_FIELD(payment.stripe.ca_file),
         "Extra CA bundle trusted for base_url."},

        {"log",
         "level",
         Kind::string,
         RC_FIELD(log.level),
         "Least severe level logged.",
         0,
         0,
         {"trace", "debug", "info", "warn", "error"}},
        {"log",
         "format",
         Kind::string,
         RC_FIELD(log.format),
         "text or json (one object a line).",
         0,
         0,
         {"text", "json"}},
        {"log", "access_log", Kind::boolean, RC_FIELD(log.access_log), "Log every request."},

        {"metrics", "enabled", Kind::boolean, RC_FIELD(metrics.enabled),
         "Expose Prometheus metrics."},
        {"metrics", "path", Kind::string, RC_FIELD(metrics.path), "Path of the metrics endpoint."},
    };
    return table;
}

#undef RC_FIELD

std::vector<std::string_view> sections()
{
    std::vector<std::string_view> out;
    for (const auto &key : keys()) {
        if (std::find(out.begin(), out.end(), key.section) == out.end()) {
            out.push_back(key.section);
        }
    }
    return out;
}

std::string dotted(const Key &key)
{
    return std::string(key.section) + "." + std::string(key.name);
}

const Key *find_key(std::string_view section, std::string_view name)
{
    for (const auto &key : keys()) {
        if (key.section == section && key.name == name) {
            return &key;
        }
    }
    return nullptr;
}

bool is_section(std::string_view name)
{
    for (const auto &key : keys()) {
        if (key.section == name) {
            return true;
        }
    }
    return false;
}

// Where each key's value came from, for messages about cross-field checks.
struct Origin {
    std::string source;
    int64_t line = 0;
};
using Origins = std::map<std::string, Origin>;

class Loader {
public:
    Loader(Config &config, std::vector<Problem> &problems, Origins &origins)
        : m_config(config), m_problems(problems), m_origins(origins)
    {
    }

    void read_table(const toml::table &table, const std::string &prefix, std::string_view source)
    {
        for (const auto &[raw_name, node] : table) {
            std::string name(raw_name.str());
            std::string full = prefix.empty() ? name : prefix + "." + name;
            int64_t line = static_cast<int64_t>(node.source().begin.line);
            if (is_section(full) && node.is_table()) {
                read_table(*node.as_table(), full, source);
                continue;
            }
            const Key *key = find_key(prefix, name);
            if (key == nullptr) {
                unknown(prefix, name, source, line, node.is_table());
                continue;
            }
            m_origins[dotted(*key)] = {std::string(source), line};
            set_from_node(*key, node, source, line);
        }
    }

    void read_environment(const Environment &env)
    {
        for (const auto &[var, value] : env) {
            const Key *key = key_for_env(var);
            if (key == nullptr) {
                unknown_env(var);
                continue;
            }
            m_origins[dotted(*key)] = {"environment " + var, 0};
            set_from_string(*key, value, "environment", var);
        }
    }

private:
    void problem(std::string source, int64_t line, std::string key, std::string message,
                 std::string hint = {})
    {
        m_problems.push_back(
            {std::move(source), line, std::move(key), std::move(message), std::move(hint)});
    }

    void unknown(const std::string &prefix, const std::string &name, std::string_view source,
                 int64_t line, bool is_table)
    {
        std::vector<std::string> candidates;
        std::string full = prefix.empty() ? name : prefix + "." + name;
        for (const auto &key : keys()) {
            if (key.section == prefix) {
                candidates.emplace_back(key.name);
            }
        }
        for (auto section : sections()) {
            candidates.emplace_back(section);
        }
        if (!is_table && is_section(full)) {
            // `hsts = true` under [tls]: the name is right, the shape is not.
            problem(std::string(source), line, full, "\"" + full + "\" is a section, not a value",
                    "write [" + full +
                        "] with its keys below it, as `rcommerce config init` shows");
            return;
        }
        std::string what = is_table || prefix.empty() ? "unknown section" : "unknown key";
        if (!is_table && prefix.empty()) {
            what = "key outside any section";
        }
        std::string hint;
        if (!is_table) {
            // A right key in the wrong section (`url` under [server]) is
            // better answered with where it belongs than with a near name.
            std::string homes;
            for (const auto &key : keys()) {
                if (key.name == name) {
                    homes += (homes.empty() ? "[" : ", [") + std::string(key.section) + "]";
                }
            }
            if (!homes.empty()) {
                hint = "\"" + name + "\" belongs in " + homes;
            }
        }
        if (hint.empty()) {
            auto best = util::closest(name, candidates);
            if (!best && !prefix.empty()) {
                best = util::closest(full, candidates);
            }
            if (best) {
                hint = "did you mean \"" + *best + "\"?";
            }
        }
        problem(std::string(source), line, full, what + " \"" + full + "\"", hint);
    }

    static const Key *key_for_env(std::string_view var)
    {
        for (const auto &key : keys()) {
            if (env_name(dotted(key)) == var) {
                return &key;
            }
        }
        return nullptr;
    }

    void unknown_env(const std::string &var)
    {
        // Only variables that look like overrides of a known section are
        // mistakes; RCOMMERCE_CONFIG and friends are not configuration keys.
        bool looks_like_key = false;
        for (auto section : sections()) {
            std::string prefix = env_name(std::string(section) + ".");
            if (var.rfind(prefix, 0) == 0) {
                looks_like_key = true;
            }
        }
        std::vector<std::string> candidates;
        for (const auto &key : keys()) {
            candidates.push_back(env_name(dotted(key)));
        }
        if (!looks_like_key) {
            // A misspelt section (RCOMMERCE_DATABSE_URL) would otherwise be
            // ignored and the default silently used; a variable a slip or two
            // away from a real key is taken for one.
            constexpr size_t k_max_slips = 2;
            bool near = std::any_of(candidates.begin(), candidates.end(), [&](const auto &name) {
                return util::edit_distance(var, name) <= k_max_slips;
            });
            if (!near) {
                return;
            }
        }
        auto best = util::closest(var, candidates);
        problem("environment", 0, var, "unknown configuration variable " + var,
                best ? "did you mean " + *best + "?" : "");
    }

    static std::string describe(const toml::node &node)
    {
        switch (node.type()) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::table:
            return "a table";
        default:
            return "a date or time";
        }
    }

    static std::string_view expected(Kind kind)
    {
        switch (kind) {
        case Kind::boolean:
            return "a boolean (true or false)";
        case Kind::integer:
            return "an integer";
        case Kind::string:
            return "a string";
        case Kind::string_list:
            return "an array of strings";
        }
        return "";
    }

    void set_from_node(const Key &key, const toml::node &node, std::string_view source,
                       int64_t line)
    {
        void *field = key.field(m_config);
        auto mismatch = [&] {
            problem(std::string(source), line, dotted(key),
                    dotted(key) + " must be " + std::string(expected(key.kind)) + ", got " +
                        describe(node));
        };
        switch (key.kind) {
        case Kind::boolean:
            if (auto v = node.value_exact<bool>()) {
                *static_cast<bool *>(field) = *v;
            } else {
                mismatch();
            }
            return;
        case Kind::integer:
            if (auto v = node.value_exact<int64_t>()) {
                check_and_set_integer(key, *v, std::string(source), line);
            } else {
                mismatch();
            }
            return;
        case Kind::string:
            if (auto v = node.value_exact<std::string>()) {
                check_and_set_string(key, *v, std::string(source), line);
            } else {
                mismatch();
            }
            return;
        case Kind::string_list: {
            const toml::array *array = node.as_array();
            if (array == nullptr) {
                mismatch();
                return;
            }
            std::vector<std::string> values;
            for (const auto &element : *array) {
                auto v = element.value_exact<std::string>();
                if (!v) {
                    problem(std::string(source), line, dotted(key),
                            dotted(key) + " must be an array of strings, found " +
                                describe(element) + " in it");
                    return;
                }
                values.push_back(*v);
            }
            *static_cast<std::vector<std::string> *>(field) = std::move(values);
            return;
        }
        }
    }

    void set_from_string(const Key &key, const std::string &text, std::string source,
                         const std::string &var)
    {
        void *field = key.field(m_config);
        switch (key.kind) {
        case Kind::boolean: {
            auto v = util::parse_bool(text);
            if (!v) {
                problem(source, 0, var, var + " must be true or false, got \"" + text + "\"");
                return;
            }
            *static_cast<bool *>(field) = *v;
            return;
        }
        case Kind::integer: {
            auto v = util::parse_int64(text);
            if (!v) {
                problem(source, 0, var, var + " must be an integer, got \"" + text + "\"");
                return;
            }
            check_and_set_integer(key, *v, source, 0, var);
            return;
        }
        case Kind::string:
            check_and_set_string(key, text, source, 0, var);
            return;
        case Kind::string_list:
            *static_cast<std::vector<std::string> *>(field) = util::split_list(text);
            return;
        }
    }

    void check_and_set_integer(const Key &key, int64_t value, std::string source, int64_t line,
                               const std::string &name = {})
    {
        std::string label = name.empty() ? dotted(key) : name;
        if (value < key.min || value > key.max) {
            problem(std::move(source), line, label,
                    label + " must be between " + std::to_string(key.min) + " and " +
                        std::to_string(key.max) + ", got " + std::to_string(value));
            return;
        }
        *static_cast<int64_t *>(key.field(m_config)) = value;
    }

    void check_and_set_string(const Key &key, const std::string &value, std::string source,
                              int64_t line, const std::string &name = {})
    {
        std::string label = name.empty() ? dotted(key) : name;
        if (!key.choices.empty() &&
            std::find(key.choices.begin(), key.choices.end(), value) == key.choices.end()) {
            std::string allowed;
            for (auto choice : key.choices) {
                allowed += (allowed.empty() ? "\"" : ", \"") + std::string(choice) + "\"";
            }
            problem(std::move(source), line, label,
                    label + " must be one of " + allowed + ", got \"" + value + "\"");
            return;
        }
        if (util::has_control_characters(value)) {
            problem(std::move(source), line, label,
                    label + " must not contain control characters or line breaks");
            return;
        }
        *static_cast<std::string *>(key.field(m_config)) = value;
    }

    Config &m_config;
    std::vector<Problem> &m_problems;
    Origins &m_origins;
};

int tls_rank(std::string_view version)
{
    return version == "1.2" ? 2 : 3;
}

const std::vector<std::string_view> &known_ciphersuites()
{
    static const std::vector<std::string_view> names = {
        "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
        "TLS_AES_128_CCM_SHA256"};
    return names;
}

const std::vector<std::string_view> &known_groups()
{
    static const std::vector<std::string_view> names = {"X25519", "P-256", "P-384", "P-521",
                                                        "X448"};
    return names;
}

bool valid_listen_host(const std::string &host)
{
    unsigned char buffer[sizeof(in6_addr)];
    if (inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
        inet_pton(AF_INET6, host.c_str(), buffer) == 1) {
        return true;
    }
    return !host.empty() && acme::to_a_label(host, acme::Dots::optional).ok() &&
           !acme::is_wildcard(host);
}

// A name clients may send in Host: a host name (one label, such as
// "localhost", is fine), a "*." wildcard, an IPv4 address or a bracketed IPv6
// address, as Host writes them.
bool valid_served_name(const std::string &name)
{
    unsigned char buffer[sizeof(in6_addr)];
    if (inet_pton(AF_INET, name.c_str(), buffer) == 1) {
        return true;
    }
    if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
        return inet_pton(AF_INET6, name.substr(1, name.size() - 2).c_str(), buffer) == 1;
    }
    return acme::to_a_label(name, acme::Dots::optional).ok();
}

std::vector<Problem> validate_with(const Config &c, const Origins &origins)
{
    std::vector<Problem> out;
    auto add = [&](const std::string &key, std::string message, std::string hint = {}) {
        Origin origin;
        if (auto it = origins.find(key); it != origins.end()) {
            origin = it->second;
        } else {
            origin.source = "defaults";
        }
        out.push_back({origin.source, origin.line, key, std::move(message), std::move(hint)});
    };
    // A contradiction between two keys is reported at whichever of them the
    // operator set, so it carries a file and line (the first when both or
    // neither were set).
    auto set_one = [&](const std::string &first, const std::string &second) {
        return origins.count(first) == 0 && origins.count(second) != 0 ? second : first;
    };

    if (tls_rank(c.tls.min_tls_version) > tls_rank(c.tls.max_tls_version)) {
        add(set_one("tls.min_tls_version", "tls.max_tls_version"),
            "tls.min_tls_version (\"" + c.tls.min_tls_version +
                "\") is newer than tls.max_tls_version (\"" + c.tls.max_tls_version + "\")",
            "raise max_tls_version or lower min_tls_version");
    }
    for (const auto &suite : c.tls.ciphersuites) {
        if (std::find(known_ciphersuites().begin(), known_ciphersuites().end(), suite) ==
            known_ciphersuites().end()) {
            add("tls.ciphersuites", "unknown TLS 1.3 cipher suite \"" + suite + "\"",
                "use TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256 or "
                "TLS_AES_128_GCM_SHA256");
        }
    }
    if (c.tls.ciphersuites.empty()) {
        add("tls.ciphersuites", "tls.ciphersuites must name at least one suite");
    }
    for (const auto &group : c.tls.groups) {
        if (std::find(known_groups().begin(), known_groups().end(), group) ==
            known_groups().end()) {
            add("tls.groups", "unknown key-exchange group \"" + group + "\"",
                "use X25519, P-256 or P-384");
        }
    }
    if (c.tls.groups.empty()) {
        add("tls.groups", "tls.groups must name at least one group");
    }
    if (c.tls.cert_file.empty() != c.tls.key_file.empty()) {
        add(c.tls.cert_file.empty() ? "tls.key_file" : "tls.cert_file",
            "tls.cert_file and tls.key_file must be set together");
    }
    if (c.tls.hsts.preload && c.tls.hsts.max_age < 31536000) {
        add(set_one("tls.hsts.preload", "tls.hsts.max_age"),
            "tls.hsts.preload needs max_age of at least 31536000 (one year), got " +
                std::to_string(c.tls.hsts.max_age),
            "raise max_age or set preload = false");
    }
    if (c.tls.hsts.preload && !c.tls.hsts.include_subdomains) {
        add(set_one("tls.hsts.preload", "tls.hsts.include_subdomains"),
            "tls.hsts.preload needs include_subdomains = true",
            "set include_subdomains = true or preload = false");
    }
    const auto &le = c.tls.lets_encrypt;
    if (le.enabled && le.email.empty()) {
        add("tls.lets_encrypt.enabled", "tls.lets_encrypt is enabled but has no email",
            "set tls.lets_encrypt.email to an address that receives expiry notices");
    }
    if (le.enabled && le.domains.empty()) {
        add("tls.lets_encrypt.enabled", "tls.lets_encrypt is enabled but names no domains",
            "set tls.lets_encrypt.domains = [\"shop.example.com\"]");
    }
    if (!le.eab_kid.empty() && le.eab_hmac_key.empty()) {
        add("tls.lets_encrypt.eab_kid", "tls.lets_encrypt.eab_kid is set without eab_hmac_key");
    }
    // Names are checked the way ACME and SNI will see them, so a scheme, a
    // port or a path pasted into the list is caught here, not at the first
    // redirect or order.
    for (const auto &name : c.server.domains) {
        if (!valid_served_name(name)) {
            unsigned char buffer[sizeof(in6_addr)];
            bool bare_ipv6 = inet_pton(AF_INET6, name.c_str(), buffer) == 1;
            add("server.domains",
                "server.domains entry \"" + name + "\" is not a host name or IP address",
                bare_ipv6 ? "write an IPv6 address in brackets, as clients send it in Host: \"[" +
                                name + "]\""
                          : "list bare names such as \"shop.example.com\" or \"localhost\", "
                            "without scheme, port or path");
        }
    }
    for (const auto &name : le.domains) {
        if (auto a_label = acme::to_a_label(name); !a_label) {
            add("tls.lets_encrypt.domains",
                "tls.lets_encrypt.domains entry \"" + name +
                    "\" is not a domain name a CA can sign: " + a_label.error().why,
                "list public DNS names such as \"shop.example.com\", without scheme, port or "
                "path");
        }
    }
    if (!valid_listen_host(c.server.host)) {
        add("server.host",
            "server.host \"" + c.server.host + "\" is not an IP address or host name",
            "use 0.0.0.0 (all IPv4), :: (all IPv6), 127.0.0.1 or a local host name");
    }
    if (!valid_listen_host(c.server.admin_host)) {
        add("server.admin_host",
            "server.admin_host \"" + c.server.admin_host + "\" is not an IP address or host name",
            "use 127.0.0.1 to keep metrics off the network");
    }
    if (le.enabled && le.challenge == "http-01" && c.server.http_port == 0) {
        add("server.http_port",
            "tls.lets_encrypt uses http-01, which `serve` answers on server.http_port, but "
            "server.http_port is 0",
            "set server.http_port = 80 (the CA always connects to port 80) or use dns-01");
    }
    if (le.enabled && le.challenge == "dns-01" && le.dns_hook.empty()) {
        add("tls.lets_encrypt.challenge", "tls.lets_encrypt uses dns-01 but has no dns_hook",
            "set tls.lets_encrypt.dns_hook to a command that publishes the TXT record");
    }
    for (const auto &domain : le.domains) {
        if (le.enabled && le.challenge == "http-01" && domain.rfind("*.", 0) == 0) {
            add("tls.lets_encrypt.domains",
                "wildcard name \"" + domain + "\" needs dns-01, but challenge is http-01",
                "set tls.lets_encrypt.challenge = \"dns-01\" and a dns_hook");
        }
    }
    if (le.enabled && !c.tls.cert_file.empty()) {
        add("tls.lets_encrypt.enabled",
            "tls.lets_encrypt is enabled but tls.cert_file is set, so `serve` would never serve "
            "the certificates it obtains",
            "empty tls.cert_file and tls.key_file, or set tls.lets_encrypt.enabled = false");
    }
    if (le.retry_min_seconds > le.retry_max_seconds) {
        add(set_one("tls.lets_encrypt.retry_min_seconds", "tls.lets_encrypt.retry_max_seconds"),
            "tls.lets_encrypt.retry_min_seconds (" + std::to_string(le.retry_min_seconds) +
                ") is above retry_max_seconds (" + std::to_string(le.retry_max_seconds) + ")");
    }
    if (c.server.http_port != 0 && c.server.http_port == c.server.port) {
        add("server.http_port",
            "server.http_port and server.port are both " + std::to_string(c.server.port));
    }
    if (c.server.admin_port != 0 &&
        (c.server.admin_port == c.server.port || c.server.admin_port == c.server.http_port)) {
        add("server.admin_port", "server.admin_port must differ from port and http_port");
    }
    if (auto path = sqlite_path(c.database.url); !path) {
        add("database.url", path.error().why, path.error().hint);
    }
    const auto &sh = c.security_headers;
    for (const auto &origin : sh.cors_allowed_origins) {
        if (origin == "*" && sh.cors_allow_credentials) {
            add("security_headers.cors_allowed_origins",
                "\"*\" cannot be combined with cors_allow_credentials = true",
                "list the origins that need credentials");
        } else if (origin != "*" && origin.rfind("https://", 0) != 0 &&
                   origin.rfind("http://", 0) != 0) {
            add("security_headers.cors_allowed_origins",
                "CORS origin \"" + origin + "\" must be scheme://host[:port]");
        }
    }
    if (c.payment.stripe.enabled && c.payment.stripe.api_key.empty()) {
        add("payment.stripe.api_key", "payment.stripe is enabled without an api_key",
            "set RCOMMERCE_PAYMENT_STRIPE_API_KEY");
    }
    if (c.payment.stripe.enabled && c.payment.stripe.webhook_secret.empty()) {
        add("payment.stripe.webhook_secret", "payment.stripe is enabled without a webhook_secret",
            "set RCOMMERCE_PAYMENT_STRIPE_WEBHOOK_SECRET");
    }
    if (c.payment.default_gateway == "stripe" && !c.payment.stripe.enabled) {
        add("payment.default_gateway", "payment.default_gateway is \"stripe\" but "
                                       "payment.stripe.enabled is false");
    }
    // A header value with CR or LF would split the response (RFC 9110
    // section 5.5); refuse it here rather than send a broken header.
    for (const auto &[key, value] :
         {std::pair{"security_headers.content_security_policy", sh.content_security_policy},
          {"security_headers.permissions_policy", sh.permissions_policy},
          {"security_headers.cache_control", sh.cache_control}}) {
        if (util::has_control_characters(value)) {
            add(key, std::string(key) + " contains a control character");
        }
    }
    if (c.server.max_connections < c.server.worker_threads) {
        add(set_one("server.max_connections", "server.worker_threads"),
            "server.max_connections (" + std::to_string(c.server.max_connections) +
                ") is below server.worker_threads (" + std::to_string(c.server.worker_threads) +
                ")");
    }
    if (c.metrics.path.empty() || c.metrics.path[0] != '/') {
        add("metrics.path", "metrics.path must start with \"/\", got \"" + c.metrics.path + "\"");
    }
    return out;
}

// TOML text for one key's value.
std::string render_value(const Key &key, Config &config, bool mask_secrets)
{
    void *field = key.field(config);
    switch (key.kind) {
    case Kind::boolean:
        return *static_cast<bool *>(field) ? "true" : "false";
    case Kind::integer:
        return std::to_string(*static_cast<int64_t *>(field));
    case Kind::string: {
        const auto &value = *static_cast<std::string *>(field);
        if (key.secret && mask_secrets && !value.empty()) {
            return "\"********\"";
        }
        return util::toml_quote(value);
    }
    case Kind::string_list: {
        std::string out = "[";
        for (const auto &item : *static_cast<std::vector<std::string> *>(field)) {
            out += (out.size() > 1 ? ", " : "") + util::toml_quote(item);
        }
        return out + "]";
    }
    }
    return "";
}

std::string render(const Config &config, bool with_docs)
{
    Config copy = config;
    std::ostringstream out;
    std::string_view current;
    for (const auto &key : keys()) {
        if (key.section != current) {
            out << (current.empty() ? "" : "\n") << "[" << key.section << "]\n";
            current = key.section;
        }
        if (with_docs) {
            out << "# " << key.doc << "\n";
            if (key.secret) {
                out << "# Environment: " << env_name(dotted(key)) << "\n";
            }
        }
        out << key.name << " = " << render_value(key, copy, !with_docs) << "\n";
    }
    return out.str();
}

// A secret written in a file that every user can read is theirs too. Group
// read is left alone: 640 with a service group is a common, deliberate setup.
void warn_about_exposed_secrets(Loaded &loaded, const Environment &env)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    auto status = fs::status(*loaded.file, ec);
    if (ec || !fs::is_regular_file(status) ||
        (status.permissions() & fs::perms::others_read) == fs::perms::none) {
        return;
    }
    for (const auto &key : keys()) {
        if (!key.secret || static_cast<std::string *>(key.field(loaded.config))->empty()) {
            continue;
        }
        auto var = env_name(dotted(key));
        bool from_env = std::any_of(env.begin(), env.end(),
                                    [&](const auto &entry) { return entry.first == var; });
        if (from_env) {
            continue;
        }
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o",
                      static_cast<unsigned>(status.permissions()) & 0777U);
        loaded.warnings.push_back({loaded.file->string(), 0, dotted(key),
                                   "holds the secret " + dotted(key) +
                                       " but every user can read the file (mode " + mode + ")",
                                   "chmod 600 " + loaded.file->string() +
                                       ", or 640 to share it with a group; or move "
                                       "the secret to " +
                                       var});
    }
}

} // namespace

Environment process_environment()
{
    Environment env;
    for (char **entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        auto eq = text.find('=');
        if (eq == std::string_view::npos || text.rfind("RCOMMERCE_", 0) != 0) {
            continue;
        }
        env.emplace_back(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
    return env;
}

Result<std::optional<std::filesystem::path>> locate(const std::optional<std::string> &explicit_path,
                                                    const Environment &env)
{
    namespace fs = std::filesystem;
    auto must_exist = [](const std::string &path,
                         std::string origin) -> Result<std::optional<fs::path>> {
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
            return make_error(
                ErrorKind::validation, "config_not_found", "reading configuration " + path,
                "it is a directory, not a file (named by " + origin + ")",
                "name the TOML file itself, e.g. " + (fs::path(path) / "rcommerce.toml").string());
        }
        if (path.empty()) {
            return make_error(ErrorKind::validation, "config_not_found", "reading configuration",
                              origin + " names an empty path",
                              "give the file's path, or leave " + origin +
                                  " out to use ./rcommerce.toml, "
                                  "/etc/rcommerce/rcommerce.toml or the built-in defaults");
        }
        // Anything else that exists is read: a FIFO from `--config <(...)` or
        // /dev/null for "the defaults only" are as good as a file.
        if (!fs::exists(path, ec)) {
            auto folder = fs::path(path).parent_path();
            bool folder_missing = !folder.empty() && !fs::is_directory(folder, ec);
            return make_error(
                ErrorKind::validation, "config_not_found", "reading configuration " + path,
                (folder_missing
                     ? "no such file, and its folder " + folder.string() + " does not exist either"
                     : std::string("no such file")) +
                    " (named by " + origin + ")",
                (folder_missing ? "check the path, or create the folder and then "
                                : "check the path, or ") +
                    std::string("create the file with `rcommerce config init > ") + path + "`");
        }
        return std::optional<fs::path>(path);
    };
    if (explicit_path) {
        return must_exist(*explicit_path, "--config");
    }
    for (const auto &[name, value] : env) {
        if (name == "RCOMMERCE_CONFIG" && !value.empty()) {
            return must_exist(value, "RCOMMERCE_CONFIG");
        }
    }
    for (const char *candidate : {"rcommerce.toml", "/etc/rcommerce/rcommerce.toml"}) {
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec)) {
            return std::optional<fs::path>(candidate);
        }
    }
    return std::optional<fs::path>();
}

Loaded load_from_string(std::string_view toml_text, std::string_view source_name,
                        const Environment &env)
{
    Loaded loaded;
    Origins origins;
    Loader loader(loaded.config, loaded.problems, origins);
    try {
        toml::table table = toml::parse(toml_text, source_name);
        loader.read_table(table, "", source_name);
    } catch (const toml::parse_error &error) {
        loaded.problems.push_back({std::string(source_name),
                                   static_cast<int64_t>(error.source().begin.line), "",
                                   "not valid TOML: " + std::string(error.description()), ""});
        return loaded;
    }
    loader.read_environment(env);
    if (loaded.problems.empty()) {
        loaded.problems = validate_with(loaded.config, origins);
    } else {
        // Cross-field checks still run, so one pass reports everything; a key
        // that failed its own check keeps its default and cannot mislead them.
        auto more = validate_with(loaded.config, origins);
        loaded.problems.insert(loaded.problems.end(), more.begin(), more.end());
    }
    std::stable_sort(loaded.problems.begin(), loaded.problems.end(),
                     [](const Problem &a, const Problem &b) {
                         return std::tie(a.source, a.line) < std::tie(b.source, b.line);
                     });
    return loaded;
}

Loaded load(const std::optional<std::filesystem::path> &file, const Environment &env)
{
    if (!file) {
        return load_from_string("", "defaults", env);
    }
    std::ifstream in(*file, std::ios::binary);
    if (!in) {
        Loaded loaded;
        loaded.file = file;
        loaded.problems.push_back({file->string(), 0, "",
                                   std::string("cannot be read: ") + std::strerror(errno),
                                   "check the permissions of the file and its folders"});
        return loaded;
    }
    std::ostringstream text;
    text << in.rdbuf();
    Loaded loaded = load_from_string(text.str(), file->string(), env);
    loaded.file = file;
    warn_about_exposed_secrets(loaded, env);
    return loaded;
}

std::vector<Problem> validate(const Config &config)
{
    return validate_with(config, {});
}

std::string to_toml(const Config &config)
{
    return render(config, false);
}

std::string example_toml()
{
    return "# rcommerce configuration. Every key is shown at its default.\n"
           "# Any key can be overridden by RCOMMERCE_<SECTION>_<KEY>, e.g. "
           "RCOMMERCE_DATABASE_URL;\n"
           "# a list key takes comma-separated items "
           "(RCOMMERCE_SERVER_DOMAINS=a.example,b.example).\n"
           "# Keep secrets (API keys, webhook secrets) in the environment, not here.\n\n" +
           render(Config{}, true);
}

std::string format_problem(const Problem &problem)
{
    std::string out = problem.source;
    if (problem.line > 0) {
        out += ":" + std::to_string(problem.line);
    }
    out += ": " + problem.message;
    if (!problem.hint.empty()) {
        out += " (" + problem.hint + ")";
    }
    return out;
}

std::string env_name(std::string_view dotted_key)
{
    std::string out = "RCOMMERCE_";
    for (char ch : dotted_key) {
        out += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    return out;
}

namespace {

// The URL with the password of its user information (scheme://user:pw@host)
// replaced by "****": a refused URL is quoted back to the operator, and error
// output ends up in logs.
std::string without_password(std::string_view url)
{
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return std::string(url);
    }
    auto authority_start = scheme_end + 3;
    auto authority_end = url.find_first_of("/?#", authority_start);
    auto authority = url.substr(authority_start, authority_end == std::string_view::npos
                                                     ? std::string_view::npos
                                                     : authority_end - authority_start);
    auto at = authority.rfind('@');
    auto colon = authority.find(':');
    if (at == std::string_view::npos || colon == std::string_view::npos || colon > at) {
        return std::string(url);
    }
    std::string out(url);
    out.replace(authority_start + colon + 1, at - colon - 1, "****");
    return out;
}

} // namespace

Result<std::filesystem::path> sqlite_path(std::string_view url)
{
    constexpr std::string_view prefix = "sqlite://";
    if (url.rfind(prefix, 0) != 0 || url.size() == prefix.size()) {
        bool postgres = url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
        return make_error(ErrorKind::validation, "invalid_database_url", "database.url",
                          "\"" + without_password(url) + "\" is not a sqlite:// URL" +
                              (postgres ? "; this rcommerce stores data in SQLite only, "
                                          "PostgreSQL is not supported yet"
                                        : ""),
                          "use sqlite:///var/lib/rcommerce/rcommerce.db (absolute) or "
                          "sqlite://rcommerce.db (relative to the working directory)");
    }
    return std::filesystem::path(url.substr(prefix.size()));
}

} // namespace rcommerce::config
