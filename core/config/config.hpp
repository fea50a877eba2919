// The effective configuration: built-in defaults, then the TOML file, then
// RCOMMERCE_<SECTION>_<KEY> environment variables, in that order.
//
// Every key is described once, in the key table of config.cpp; loading,
// environment overrides, `config show` and `config init` all walk that table,
// so a key added there is known everywhere.
#pragma once

#include "core/util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rcommerce::config {

struct ServerConfig {
    std::string host = "0.0.0.0";
    int64_t port = 8443;
    int64_t http_port = 8080;         // 0 disables the plain-HTTP listener
    std::vector<std::string> domains; // names accepted in Host; empty: any
    std::string data_dir = "/var/lib/rcommerce";
    bool production = false;              // refuses the self-signed development certificate
    int64_t worker_threads = 0;           // 0: two per CPU core
    int64_t max_connections = 1024;       // connections open at once
    int64_t max_connections_per_ip = 256; // HTTPS connections one client address holds; 0: no cap
    int64_t keep_alive_max_count = 1000;
    int64_t keep_alive_timeout_seconds = 5;
    int64_t read_timeout_seconds = 10;
    int64_t write_timeout_seconds = 10;
    int64_t max_body_bytes = 1024 * 1024;
    int64_t max_header_bytes = 8192;
    int64_t shutdown_timeout_seconds = 30;
    int64_t api_key_cache_seconds = 5;  // 0: check the store on every request
    int64_t response_cache_seconds = 1; // GET answers kept (server/api/response_cache); 0: none
    std::string admin_host = "127.0.0.1";
    int64_t admin_port = 0; // 0: /metrics and health on the main listener
};

struct DatabaseConfig {
    std::string url = "sqlite:///var/lib/rcommerce/rcommerce.db";
    std::string synchronous = "normal"; // "normal" or "full"
    int64_t busy_timeout_ms = 5000;
    int64_t pool_size = 4;
};

struct HstsConfig {
    bool enabled = true;
    int64_t max_age = 63072000;
    bool include_subdomains = true;
    bool preload = false;
};

struct LetsEncryptConfig {
    bool enabled = false;
    std::string email;
    std::vector<std::string> domains;
    bool use_staging = false;
    bool auto_renew = true;
    std::string cache_dir = "/var/lib/rcommerce/certs";
    std::string directory_url; // empty: Let's Encrypt production or staging
    std::string ca_file;       // trust for the directory's own HTTPS
    std::string challenge = "http-01";
    std::string key_type = "ecdsa-p256";
    int64_t renew_before_days = 30;
    std::string eab_kid;
    std::string eab_hmac_key; // secret
    std::string dns_hook;     // dns-01 hook for certificates `serve` obtains
    std::string deploy_hook;  // run after `serve` obtained or renewed one
    int64_t check_interval_seconds = 86400;
    int64_t retry_min_seconds = 300;
    int64_t retry_max_seconds = 21600;
    int64_t hook_timeout_seconds = 600; // DNS and deploy hooks
};

struct TlsConfig {
    bool enabled = true;
    std::string cert_file;
    std::string key_file;
    std::string min_tls_version = "1.3";
    std::string max_tls_version = "1.3";
    std::vector<std::string> ciphersuites = {
        "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"};
    std::vector<std::string> groups = {"X25519", "P-256", "P-384"};
    bool ocsp_stapling = true;
    HstsConfig hsts;
    LetsEncryptConfig lets_encrypt;
};

// An empty string switches the header off.
struct SecurityHeadersConfig {
    bool enabled = true;
    std::string content_security_policy = "default-src 'none'; frame-ancestors 'none'";
    std::string x_frame_options = "DENY";
    std::string x_content_type_options = "nosniff";
    std::string referrer_policy = "strict-origin-when-cross-origin";
    std::string permissions_policy =
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()";
    std::string x_xss_protection = "0";
    std::string cross_origin_opener_policy = "same-origin";
    std::string cross_origin_resource_policy = "same-origin";
    std::string cache_control = "no-store";
    std::vector<std::string> cors_allowed_origins;
    bool cors_allow_credentials = false;
};

struct InventoryConfig {
    int64_t low_stock_threshold = 20;
    int64_t reservation_ttl_minutes = 30;
    int64_t expiry_interval_seconds = 30;
};

struct StripeConfig {
    bool enabled = false;
    std::string api_key;        // secret
    std::string webhook_secret; // secret
    std::string base_url = "https://api.stripe.com";
    int64_t webhook_tolerance_seconds = 300;
    std::string capture_method = "automatic"; // or "manual"
    int64_t timeout_seconds = 30;
    int64_t max_retries = 3;
    std::string ca_file; // trust for base_url's HTTPS (tests, proxies)
};

struct PaymentConfig {
    std::string default_gateway = "manual";
    StripeConfig stripe;
};

struct LogConfig {
    std::string level = "info";
    std::string format = "text";
    bool access_log = true;
};

struct MetricsConfig {
    bool enabled = true;
    std::string path = "/metrics";
};

struct Config {
    ServerConfig server;
    DatabaseConfig database;
    TlsConfig tls;
    SecurityHeadersConfig security_headers;
    InventoryConfig inventory;
    PaymentConfig payment;
    LogConfig log;
    MetricsConfig metrics;
};

// One mistake in a configuration: where it is and what is wrong.
struct Problem {
    std::string source; // file name, or "environment"
    int64_t line = 0;   // 0 when not from a file line
    std::string key;    // "tls.min_tls_version"
    std::string message;
    std::string hint;
};

// Where the file came from, kept for messages and `config show`.
struct Loaded {
    Config config;
    std::optional<std::filesystem::path> file; // none: built-in defaults only
    std::vector<Problem> problems;             // empty when the config is valid
    // Not mistakes, but risks an operator should hear of (a secret in a file
    // other users can read); they do not make the configuration invalid.
    std::vector<Problem> warnings;
};

using Environment = std::vector<std::pair<std::string, std::string>>;

// The current process environment, only the RCOMMERCE_ variables.
[[nodiscard]] Environment process_environment();

// Which file to read: the explicit one, else $RCOMMERCE_CONFIG, else
// ./rcommerce.toml, else /etc/rcommerce/rcommerce.toml; none for defaults.
// `explicit_path` and $RCOMMERCE_CONFIG must exist; the fallbacks may not.
[[nodiscard]] Result<std::optional<std::filesystem::path>>
locate(const std::optional<std::string> &explicit_path, const Environment &env);

// Reads `file` (if any) over the defaults, applies `env`, then validates.
// Never throws for a bad file: every mistake becomes a Problem, all at once.
[[nodiscard]] Loaded load(const std::optional<std::filesystem::path> &file, const Environment &env);

// Same, from TOML text already in memory; `source_name` is used in messages.
[[nodiscard]] Loaded load_from_string(std::string_view toml_text, std::string_view source_name,
                                      const Environment &env);

// Cross-field and range checks on a config built in code (tests, defaults).
[[nodiscard]] std::vector<Problem> validate(const Config &config);

// The effective configuration as TOML, secrets replaced by "********".
[[nodiscard]] std::string to_toml(const Config &config);

// A complete, commented example configuration with every key at its default.
[[nodiscard]] std::string example_toml();

// "file:line: key: message (hint)" for one problem.
[[nodiscard]] std::string format_problem(const Problem &problem);

// The name of the environment variable that overrides a dotted key.
[[nodiscard]] std::string env_name(std::string_view dotted_key);

// Path of a sqlite:// URL (relative URLs resolve against the working
// directory), or an error naming the accepted forms.
[[nodiscard]] Result<std::filesystem::path> sqlite_path(std::string_view url);

} // namespace rcommerce::config
