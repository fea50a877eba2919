#include "core/config/config.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace rcommerce;
using namespace rcommerce::config;

namespace {

// The problem about `key`, or nullptr.
const Problem *problem_for(const Loaded &loaded, std::string_view key)
{
    for (const auto &problem : loaded.problems) {
        if (problem.key == key) {
            return &problem;
        }
    }
    return nullptr;
}

Loaded load_text(std::string_view text, const Environment &env = {})
{
    return load_from_string(text, "test.toml", env);
}

} // namespace

TEST_CASE("the defaults are valid and match the documented values")
{
    Config c;
    CHECK(validate(c).empty());
    CHECK(c.server.port == 8443);
    CHECK(c.server.http_port == 8080);
    CHECK(c.tls.min_tls_version == "1.3");
    CHECK(c.tls.max_tls_version == "1.3");
    CHECK(c.tls.hsts.max_age == 63072000);
    CHECK(c.tls.hsts.include_subdomains);
    CHECK_FALSE(c.tls.hsts.preload);
    CHECK(c.security_headers.x_xss_protection == "0");
    CHECK(c.inventory.low_stock_threshold == 20);
    CHECK(c.inventory.reservation_ttl_minutes == 30);
    CHECK(c.tls.lets_encrypt.cache_dir == "/var/lib/rcommerce/certs");
}

TEST_CASE("an empty file yields the defaults")
{
    auto loaded = load_text("");
    CHECK(loaded.problems.empty());
    CHECK(loaded.config.database.url == Config{}.database.url);
}

TEST_CASE("values from the file replace defaults")
{
    auto loaded = load_text("[server]\nport = 9443\ndomains = [\"a.example\", \"b.example\"]\n"
                            "[tls.lets_encrypt]\nemail = \"ops@example.com\"\n");
    REQUIRE(loaded.problems.empty());
    CHECK(loaded.config.server.port == 9443);
    CHECK(loaded.config.server.domains == std::vector<std::string>{"a.example", "b.example"});
    CHECK(loaded.config.tls.lets_encrypt.email == "ops@example.com");
}

TEST_CASE("a misspelt key is reported with its line and the closest valid key")
{
    auto loaded = load_text("[server]\n\nprot = 1\n");
    const Problem *p = problem_for(loaded, "server.prot");
    REQUIRE(p != nullptr);
    CHECK(p->line == 3);
    CHECK(p->hint == "did you mean \"port\"?");
}

TEST_CASE("a key in the wrong section is told where it belongs")
{
    auto loaded = load_text("port = 8443\n[server]\nurl = \"sqlite://x.db\"\n");
    std::vector<std::string> hints;
    for (const auto &problem : loaded.problems) {
        hints.push_back(std::to_string(problem.line) + " " + problem.hint);
    }
    CHECK(hints == std::vector<std::string>{"1 \"port\" belongs in [server]",
                                            "3 \"url\" belongs in [database]"});
}

TEST_CASE("a section written as a value is named as a section, not suggested as itself")
{
    auto loaded = load_text("server = 5\n[tls]\nhsts = true\n");
    std::vector<std::string> messages;
    for (const auto &problem : loaded.problems) {
        messages.push_back(problem.message);
    }
    CHECK(messages == std::vector<std::string>{"\"server\" is a section, not a value",
                                               "\"tls.hsts\" is a section, not a value"});
    CHECK(loaded.problems.back().hint.find("[tls.hsts]") != std::string::npos);
}

TEST_CASE("a misspelt section is reported")
{
    auto loaded = load_text("[sever]\nport = 1\n");
    const Problem *p = problem_for(loaded, "sever");
    REQUIRE(p != nullptr);
    CHECK(p->message.find("unknown section") != std::string::npos);
    CHECK(p->hint == "did you mean \"server\"?");
}

TEST_CASE("wrong types are errors naming the expected type")
{
    auto loaded = load_text("[server]\nport = \"8443\"\n[tls]\nenabled = 1\n"
                            "[server.x]\n");
    const Problem *port = problem_for(loaded, "server.port");
    REQUIRE(port != nullptr);
    CHECK(port->message == "server.port must be an integer, got a string");
    const Problem *enabled = problem_for(loaded, "tls.enabled");
    REQUIRE(enabled != nullptr);
    CHECK(enabled->line == 4);
    CHECK(enabled->message.find("boolean") != std::string::npos);
}

TEST_CASE("an array with a non-string element is rejected")
{
    auto loaded = load_text("[server]\ndomains = [\"a\", 3]\n");
    REQUIRE(problem_for(loaded, "server.domains") != nullptr);
}

TEST_CASE("out-of-range integers are errors")
{
    auto loaded = load_text("[server]\nport = 70000\nhttp_port = -1\n");
    REQUIRE(problem_for(loaded, "server.port") != nullptr);
    REQUIRE(problem_for(loaded, "server.http_port") != nullptr);
    CHECK(problem_for(loaded, "server.port")->message ==
          "server.port must be between 1 and 65535, got 70000");
}

TEST_CASE("TLS versions must be 1.2 or 1.3 and ordered")
{
    auto bad = load_text("[tls]\nmin_tls_version = \"1.1\"\n");
    REQUIRE(problem_for(bad, "tls.min_tls_version") != nullptr);
    CHECK(problem_for(bad, "tls.min_tls_version")->line == 2);

    auto inverted = load_text("[tls]\nmin_tls_version = \"1.3\"\nmax_tls_version = \"1.2\"\n");
    const Problem *p = problem_for(inverted, "tls.min_tls_version");
    REQUIRE(p != nullptr);
    CHECK(p->message.find("newer than") != std::string::npos);
    CHECK(p->line == 2);

    CHECK(load_text("[tls]\nmin_tls_version = \"1.2\"\n").problems.empty());
}

TEST_CASE("HSTS preload needs a year and includeSubDomains")
{
    auto short_age = load_text("[tls.hsts]\npreload = true\nmax_age = 86400\n");
    REQUIRE(problem_for(short_age, "tls.hsts.preload") != nullptr);

    auto no_subdomains = load_text("[tls.hsts]\npreload = true\ninclude_subdomains = false\n");
    REQUIRE(problem_for(no_subdomains, "tls.hsts.preload") != nullptr);

    CHECK(load_text("[tls.hsts]\npreload = true\nmax_age = 31536000\n").problems.empty());
}

TEST_CASE("Let's Encrypt enabled needs an email and domains")
{
    auto loaded = load_text("[tls.lets_encrypt]\nenabled = true\n");
    CHECK(loaded.problems.size() == 2);
    auto ok = load_text("[tls.lets_encrypt]\nenabled = true\nemail = \"a@b.example\"\n"
                        "domains = [\"shop.example\"]\n");
    CHECK(ok.problems.empty());
}

TEST_CASE("serve's Let's Encrypt settings must let it answer the challenge and retry sanely")
{
    const std::string base = "[tls.lets_encrypt]\nenabled = true\nemail = \"a@b.example\"\n";
    auto no_http = load_text("[server]\nhttp_port = 0\n" + base + "domains = [\"a.example\"]\n");
    CHECK(problem_for(no_http, "server.http_port") != nullptr);
    auto wildcard = load_text(base + "domains = [\"*.a.example\"]\n");
    CHECK(problem_for(wildcard, "tls.lets_encrypt.domains") != nullptr);
    auto no_hook = load_text(base + "domains = [\"*.a.example\"]\nchallenge = \"dns-01\"\n");
    CHECK(problem_for(no_hook, "tls.lets_encrypt.challenge") != nullptr);
    CHECK(load_text(base + "domains = [\"*.a.example\"]\nchallenge = \"dns-01\"\n"
                           "dns_hook = \"/bin/hook\"\n")
              .problems.empty());
    auto backwards = load_text(base + "domains = [\"a.example\"]\nretry_min_seconds = 600\n"
                                      "retry_max_seconds = 60\n");
    CHECK(problem_for(backwards, "tls.lets_encrypt.retry_min_seconds") != nullptr);
    auto both = load_text("[tls]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n" + base +
                          "domains = [\"a.example\"]\n");
    CHECK(problem_for(both, "tls.lets_encrypt.enabled") != nullptr);
    CHECK(problem_for(load_text("[tls.lets_encrypt]\ncheck_interval_seconds = 0\n"),
                      "tls.lets_encrypt.check_interval_seconds") != nullptr);
}

TEST_CASE("other contradictions are errors")
{
    CHECK(problem_for(load_text("[tls]\ncert_file = \"a.pem\"\n"), "tls.cert_file") != nullptr);
    CHECK(problem_for(load_text("[server]\nport = 8080\n"), "server.http_port") != nullptr);
    CHECK(problem_for(load_text("[database]\nurl = \"mysql://x\"\n"), "database.url") != nullptr);
    CHECK(problem_for(load_text("[tls]\nciphersuites = [\"RC4\"]\n"), "tls.ciphersuites") !=
          nullptr);
    CHECK(problem_for(load_text("[tls]\ngroups = [\"P-999\"]\n"), "tls.groups") != nullptr);
    CHECK(problem_for(load_text("[security_headers]\ncors_allowed_origins = [\"*\"]\n"
                                "cors_allow_credentials = true\n"),
                      "security_headers.cors_allowed_origins") != nullptr);
    CHECK(problem_for(load_text("[security_headers]\nx_frame_options = \"ALLOWALL\"\n"),
                      "security_headers.x_frame_options") != nullptr);
    CHECK(problem_for(load_text("[security_headers]\ncontent_security_policy = \"a\\nb\"\n"),
                      "security_headers.content_security_policy") != nullptr);
    CHECK(problem_for(load_text("[payment.stripe]\nenabled = true\n"), "payment.stripe.api_key") !=
          nullptr);
    CHECK(problem_for(load_text("[payment]\ndefault_gateway = \"stripe\"\n"),
                      "payment.default_gateway") != nullptr);
    CHECK(problem_for(load_text("[metrics]\npath = \"metrics\"\n"), "metrics.path") != nullptr);
    CHECK(problem_for(load_text("[log]\nlevel = \"loud\"\n"), "log.level") != nullptr);
}

TEST_CASE("the remaining rules each name their key")
{
    CHECK(problem_for(load_text("[tls.lets_encrypt]\neab_kid = \"kid-1\"\n"),
                      "tls.lets_encrypt.eab_kid") != nullptr);
    CHECK(problem_for(load_text("[server]\nadmin_host = \"not a host\"\n"), "server.admin_host") !=
          nullptr);
    CHECK(problem_for(load_text("[server]\nadmin_port = 8443\n"), "server.admin_port") != nullptr);
    CHECK(problem_for(load_text("[security_headers]\ncors_allowed_origins = [\"shop.example\"]\n"),
                      "security_headers.cors_allowed_origins") != nullptr);
    CHECK(problem_for(load_text("[payment.stripe]\nenabled = true\napi_key = \"sk_test_1\"\n"),
                      "payment.stripe.webhook_secret") != nullptr);
    CHECK(problem_for(load_text("[security_headers]\npermissions_policy = \"a\\rb\"\n"),
                      "security_headers.permissions_policy") != nullptr);
    CHECK(problem_for(load_text("[security_headers]\ncache_control = \"a\\nb\"\n"),
                      "security_headers.cache_control") != nullptr);
    CHECK(problem_for(load_text("[server]\nworker_threads = 64\nmax_connections = 10\n"),
                      "server.max_connections") != nullptr);
}

TEST_CASE("a contradiction is reported at the key the file set, with its line")
{
    auto max_only = load_text("[tls]\nmax_tls_version = \"1.2\"\n");
    const Problem *tls = problem_for(max_only, "tls.max_tls_version");
    REQUIRE(tls != nullptr);
    CHECK(tls->line == 2);
    CHECK(tls->message.find("newer than") != std::string::npos);

    auto retry = load_text("[tls.lets_encrypt]\nretry_max_seconds = 10\n");
    const Problem *backoff = problem_for(retry, "tls.lets_encrypt.retry_max_seconds");
    REQUIRE(backoff != nullptr);
    CHECK(backoff->line == 2);

    auto connections = load_text("[server]\nworker_threads = 16\nmax_connections = 8\n");
    const Problem *cap = problem_for(connections, "server.max_connections");
    REQUIRE(cap != nullptr);
    CHECK(cap->line == 3);
}

TEST_CASE("every mistake is reported at once, in line order")
{
    auto loaded = load_text("[server]\nprot = 1\nhttp_port = \"x\"\n[tls]\n"
                            "min_tls_version = \"1.1\"\n");
    REQUIRE(loaded.problems.size() == 3);
    CHECK(loaded.problems[0].line == 2);
    CHECK(loaded.problems[1].line == 3);
    CHECK(loaded.problems[2].line == 5);
}

TEST_CASE("invalid TOML is reported with its line")
{
    auto loaded = load_text("[server]\nport = = 3\n");
    REQUIRE(loaded.problems.size() == 1);
    CHECK(loaded.problems[0].line == 2);
    CHECK(loaded.problems[0].message.find("not valid TOML") != std::string::npos);
}

TEST_CASE("environment variables override the file, typed by the key")
{
    Environment env = {{"RCOMMERCE_SERVER_PORT", "9000"},
                       {"RCOMMERCE_DATABASE_URL", "sqlite://x.db"},
                       {"RCOMMERCE_TLS_LETS_ENCRYPT_EMAIL", "ops@example.com"},
                       {"RCOMMERCE_TLS_HSTS_PRELOAD", "false"},
                       {"RCOMMERCE_SERVER_DOMAINS", "a.example, b.example"},
                       {"RCOMMERCE_CONFIG", "ignored-here"}};
    auto loaded = load_text("[server]\nport = 1234\n", env);
    REQUIRE(loaded.problems.empty());
    CHECK(loaded.config.server.port == 9000);
    CHECK(loaded.config.database.url == "sqlite://x.db");
    CHECK(loaded.config.tls.lets_encrypt.email == "ops@example.com");
    CHECK(loaded.config.server.domains == std::vector<std::string>{"a.example", "b.example"});
}

TEST_CASE("bad environment values and unknown variables are named")
{
    auto loaded = load_text("", {{"RCOMMERCE_SERVER_PORT", "eighty"},
                                 {"RCOMMERCE_TLS_ENABLED", "maybe"},
                                 {"RCOMMERCE_LOG_LEVL", "debug"}});
    CHECK(problem_for(loaded, "RCOMMERCE_SERVER_PORT") != nullptr);
    CHECK(problem_for(loaded, "RCOMMERCE_TLS_ENABLED") != nullptr);
    const Problem *typo = problem_for(loaded, "RCOMMERCE_LOG_LEVL");
    REQUIRE(typo != nullptr);
    CHECK(typo->hint == "did you mean RCOMMERCE_LOG_LEVEL?");
}

TEST_CASE("a misspelt section in a variable is named, other RCOMMERCE_ variables are not")
{
    auto loaded = load_text("", {{"RCOMMERCE_DATABSE_URL", "sqlite:///srv/shop.db"},
                                 {"RCOMMERCE_SEVER_PORT", "9000"},
                                 {"RCOMMERCE_CONFIG", "x.toml"},
                                 {"RCOMMERCE_RENEWED_DOMAINS", "a.example"},
                                 {"RCOMMERCE_TEST_DATA", "/tmp"}});
    const Problem *database = problem_for(loaded, "RCOMMERCE_DATABSE_URL");
    REQUIRE(database != nullptr);
    CHECK(database->hint == "did you mean RCOMMERCE_DATABASE_URL?");
    const Problem *port = problem_for(loaded, "RCOMMERCE_SEVER_PORT");
    REQUIRE(port != nullptr);
    CHECK(port->hint == "did you mean RCOMMERCE_SERVER_PORT?");
    CHECK(loaded.problems.size() == 2);
}

TEST_CASE("a secret in a file every user can read is warned about, not refused")
{
    auto file = std::filesystem::temp_directory_path() / "rcommerce-secret-test.toml";
    {
        std::ofstream out(file);
        out << "[payment.stripe]\napi_key = \"sk_test_123\"\n";
    }
    namespace fs = std::filesystem;
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
    auto loaded = load(file, {});
    CHECK(loaded.problems.empty());
    REQUIRE(loaded.warnings.size() == 1);
    CHECK(loaded.warnings[0].key == "payment.stripe.api_key");
    CHECK(loaded.warnings[0].message.find("mode 0644") != std::string::npos);
    CHECK(loaded.warnings[0].hint.find("RCOMMERCE_PAYMENT_STRIPE_API_KEY") != std::string::npos);
    CHECK(loaded.warnings[0].message.find("sk_test_123") == std::string::npos);

    // The same secret from the environment, or a file only its group reads: no warning.
    CHECK(load(file, {{"RCOMMERCE_PAYMENT_STRIPE_API_KEY", "sk_test_456"}}).warnings.empty());
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    CHECK(load(file, {}).warnings.empty());
    fs::remove(file);
}

TEST_CASE("a configuration path that is empty or in a missing folder is explained")
{
    auto empty = locate(std::string(), {});
    REQUIRE_FALSE(empty);
    CHECK(empty.error().why == "--config names an empty path");
    auto nowhere = locate(std::string("/nonexistent-rcommerce/x.toml"), {});
    REQUIRE_FALSE(nowhere);
    CHECK(nowhere.error().why ==
          "no such file, and its folder /nonexistent-rcommerce does not exist either "
          "(named by --config)");
}

TEST_CASE("env_name maps dotted keys")
{
    CHECK(env_name("tls.lets_encrypt.email") == "RCOMMERCE_TLS_LETS_ENCRYPT_EMAIL");
    CHECK(env_name("database.url") == "RCOMMERCE_DATABASE_URL");
}

TEST_CASE("to_toml masks secrets and round-trips")
{
    Config c;
    c.payment.stripe.api_key = "sk_live_abc";
    c.payment.stripe.webhook_secret = "whsec_abc";
    c.server.domains = {"quote\"d.example"};
    std::string text = to_toml(c);
    CHECK(text.find("sk_live_abc") == std::string::npos);
    CHECK(text.find("whsec_abc") == std::string::npos);
    CHECK(text.find("\"********\"") != std::string::npos);

    Config plain;
    plain.security_headers.cors_allowed_origins = {"https://quote\"d.example"};
    auto again = load_text(to_toml(plain));
    REQUIRE(again.problems.empty());
    CHECK(again.config.security_headers.cors_allowed_origins ==
          plain.security_headers.cors_allowed_origins);
}

TEST_CASE("the example configuration is valid")
{
    auto loaded = load_text(example_toml());
    CHECK(loaded.problems.empty());
}

TEST_CASE("format_problem says file, line, message and hint")
{
    Problem p{"a.toml", 12, "tls.min_tls_version", "bad value", "use 1.3"};
    CHECK(format_problem(p) == "a.toml:12: bad value (use 1.3)");
    Problem env{"environment", 0, "RCOMMERCE_X", "bad", ""};
    CHECK(format_problem(env) == "environment: bad");
}

TEST_CASE("sqlite URLs resolve to paths")
{
    CHECK(sqlite_path("sqlite:///var/lib/x.db").value() == "/var/lib/x.db");
    CHECK(sqlite_path("sqlite://rel.db").value() == "rel.db");
    CHECK_FALSE(sqlite_path("postgres://x").ok());
    CHECK_FALSE(sqlite_path("sqlite://").ok());
}

TEST_CASE("a refused database URL is quoted without its password")
{
    auto loaded = load_text("", {{"RCOMMERCE_DATABASE_URL", "postgresql://shop:s3cret@db/shop"}});
    const Problem *url = problem_for(loaded, "database.url");
    REQUIRE(url != nullptr);
    CHECK(url->message.find("s3cret") == std::string::npos);
    CHECK(url->message.find("\"postgresql://shop:****@db/shop\"") != std::string::npos);
    CHECK(url->message.find("PostgreSQL is not supported yet") != std::string::npos);
    auto plain = sqlite_path("mysql://root@db:3306/x");
    REQUIRE_FALSE(plain);
    CHECK(plain.error().why.find("mysql://root@db:3306/x") != std::string::npos);
}
