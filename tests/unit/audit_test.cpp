// Header parsers, rules and scoring of check-headers, without a network.
#include "core/audit/audit.hpp"
#include "core/audit/expect.hpp"
#include "core/audit/headers.hpp"
#include "core/audit/render.hpp"
#include "core/audit/rules.hpp"
#include "core/audit/score.hpp"
#include "core/audit/url.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <set>

using namespace rcommerce;
using namespace rcommerce::audit;

namespace {

Judgement judge(HeaderList headers, bool https = true)
{
    HttpExchange exchange;
    exchange.https = https;
    exchange.headers = std::move(headers);
    exchange.probe_origin = "https://probe.invalid";
    return judge_headers(exchange);
}

bool has(const Judgement &j, std::string_view id)
{
    return has_finding(j.findings, id);
}

std::string score_result(const Judgement &j, std::string_view test)
{
    for (const auto &item : j.score) {
        if (item.test == test) {
            return item.result;
        }
    }
    return "";
}

const Finding *find(const Judgement &j, std::string_view id)
{
    for (const auto &f : j.findings) {
        if (f.id == id) {
            return &f;
        }
    }
    return nullptr;
}

} // namespace

// ---- the shared cases (tests/data/audit/headers.jsonl) ----

TEST_CASE("every shared header case behaves as its expectation says")
{
    using Check = std::function<void(const Judgement &)>;
    std::map<std::string, Check> checks = {
        {"csp-two-policies",
         [](const Judgement &j) {
             CHECK_FALSE(has(j, "csp-malformed"));
             CHECK_FALSE(has(j, "csp-unsafe-inline"));
             CHECK_FALSE(has(j, "csp-missing-frame-ancestors"));
             CHECK_FALSE(has(j, "xfo-missing")); // framing denied by the second policy
             CHECK(score_result(j, "content-security-policy") ==
                   "csp-implemented-with-no-unsafe-default-src-none");
         }},
        {"csp-second-header-adds-directive",
         [](const Judgement &j) {
             CHECK_FALSE(has(j, "csp-malformed"));
             CHECK_FALSE(has(j, "csp-unsafe-inline"));
             CHECK_FALSE(has(j, "csp-missing-object-src"));
         }},
        {"csp-header-name-in-value",
         [](const Judgement &j) {
             REQUIRE(has(j, "csp-malformed"));
             CHECK(find(j, "csp-malformed")->detail.find("content-security-policy:") !=
                   std::string::npos);
             CHECK(has(j, "csp-unsafe-inline")); // default-src is not set
             CHECK(score_result(j, "content-security-policy") == "csp-header-invalid");
         }},
        {"cookie-samesite-none-secure",
         [](const Judgement &j) {
             CHECK_FALSE(has(j, "cookie-samesite-invalid"));
             CHECK_FALSE(has(j, "cookie-samesite-none-insecure"));
             CHECK_FALSE(has(j, "cookie-samesite-missing"));
             CHECK_FALSE(has(j, "cookie-no-secure"));
         }},
        {"hsts-double-equals",
         [](const Judgement &j) {
             CHECK(has(j, "hsts-invalid"));
             CHECK(score_result(j, "strict-transport-security") == "hsts-header-invalid");
         }},
        {"hsts-space-before-semicolon",
         [](const Judgement &j) {
             CHECK_FALSE(has(j, "hsts-invalid"));
             CHECK_FALSE(has(j, "hsts-max-age-too-short"));
             CHECK_FALSE(has(j, "hsts-no-include-subdomains"));
         }},
        {"referrer-policy-fallback-list",
         [](const Judgement &j) {
             CHECK_FALSE(has(j, "referrer-policy-weak"));
             CHECK_FALSE(has(j, "referrer-policy-invalid"));
             CHECK(score_result(j, "referrer-policy") == "referrer-policy-private");
         }},
        {"csp-nonce-with-unsafe-inline",
         [](const Judgement &j) { CHECK_FALSE(has(j, "csp-unsafe-inline")); }},
        {"hsts-zero", [](const Judgement &j) { CHECK(has(j, "hsts-max-age-zero")); }},
        {"xxss-legacy",
         [](const Judgement &j) {
             const Finding *f = find(j, "xxss-enabled");
             REQUIRE(f != nullptr);
             CHECK(f->severity == Severity::low);
             CHECK(f->value == "1; mode=block");
             CHECK_FALSE(f->fix.empty());
         }},
    };

    std::ifstream in(std::string(RCOMMERCE_TEST_DATA) + "/audit/headers.jsonl");
    REQUIRE(in);
    std::string line;
    int cases = 0;
    while (std::getline(in, line)) {
        if (line.empty()) {
            continue;
        }
        auto doc = nlohmann::json::parse(line);
        std::string id = doc["id"];
        CAPTURE(id);
        HeaderList headers;
        for (const auto &pair : doc["headers"]) {
            headers.emplace_back(pair[0], pair[1]);
        }
        auto check = checks.find(id);
        REQUIRE_MESSAGE(check != checks.end(), "no check written for case " << id);
        check->second(judge(headers));
        ++cases;
    }
    CHECK(cases == 10);
}

// ---- Strict-Transport-Security ----

TEST_CASE("HSTS: valid forms")
{
    auto h = parse_hsts("max-age=31536000; includeSubDomains; preload");
    CHECK(h.valid);
    CHECK(h.max_age == 31536000);
    CHECK(h.include_subdomains);
    CHECK(h.preload);

    CHECK(parse_hsts("max-age=\"31536000\"").max_age == 31536000); // quoted-string allowed
    CHECK(parse_hsts("MAX-AGE=10").valid);                         // names case-insensitive
    CHECK(parse_hsts("  max-age = 5 ;; ; includesubdomains ").valid);
    CHECK(parse_hsts("max-age=5; unknown-directive=\"x;y\"").valid);
    CHECK(parse_hsts("max-age=99999999999999999999999").max_age == (int64_t{1} << 31));
}

TEST_CASE("HSTS: invalid forms")
{
    for (const char *value :
         {"", "includeSubDomains", "max-age==31536000", ":max-age=1", "max-age=1; max-age=2",
          "max-age=-1", "max-age=1.5", "max-age=", "max-age=\"12", "max-age=\"abc\"",
          "max-age=1 includeSubDomains", "max-age=1; includeSubDomains; includesubdomains",
          "max-age=1, max-age=2", "max-age=1;\x01"}) {
        CAPTURE(value);
        auto h = parse_hsts(value);
        CHECK_FALSE(h.valid);
        CHECK_FALSE(h.error.empty());
    }
}

TEST_CASE("HSTS rules: short, missing, several, over HTTP, preload readiness")
{
    CHECK(has(judge({{"Strict-Transport-Security", "max-age=86400"}}), "hsts-max-age-too-short"));
    CHECK(has(judge({}), "hsts-missing"));
    auto several = judge({{"Strict-Transport-Security", "max-age=63072000; includeSubDomains"},
                          {"Strict-Transport-Security", "max-age=0"}});
    CHECK(has(several, "hsts-multiple-headers"));
    CHECK_FALSE(has(several, "hsts-max-age-zero")); // only the first counts
    auto http = judge({{"Strict-Transport-Security", "max-age=63072000"}}, false);
    CHECK(has(http, "hsts-over-http"));
    CHECK(has(judge({{"Strict-Transport-Security", "max-age=63072000; includeSubDomains"}}),
              "hsts-not-preload-ready"));
    CHECK_FALSE(
        has(judge({{"Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"}}),
            "hsts-not-preload-ready"));
    CHECK(has(judge({{"Strict-Transport-Security", "max-age=63072000"}}),
              "hsts-no-include-subdomains"));
}

// ---- Content-Security-Policy ----

TEST_CASE("CSP parsing: lists, case, repeats, garbage")
{
    auto policies = parse_csp("Default-SRC 'self'; SCRIPT-src a.example, img-src *");
    REQUIRE(policies.size() == 2);
    REQUIRE(policies[0].find("default-src") != nullptr);
    CHECK(policies[0].find("script-src")->sources == std::vector<std::string>{"a.example"});
    CHECK(policies[1].find("img-src") != nullptr);

    auto repeated = parse_csp("script-src 'none'; script-src *");
    REQUIRE(repeated.size() == 1);
    CHECK(repeated[0].find("script-src")->sources[0] == "'none'"); // the first wins
    CHECK(repeated[0].repeated == std::vector<std::string>{"script-src"});

    auto quoted = parse_csp("\"default-src 'self'\"");
    REQUIRE(quoted.size() == 1);
    CHECK(quoted[0].find("default-src") == nullptr);
    CHECK(quoted[0].malformed.size() == 1);

    CHECK(parse_csp("").empty());
    CHECK(parse_csp(" ; ;, ,").empty());
    CHECK(parse_csp("defualt-src 'self'")[0].unknown == std::vector<std::string>{"defualt-src"});
    CHECK(parse_csp("default-src\t'self'\f'none'")[0].find("default-src")->sources.size() == 2);
}

TEST_CASE("CSP rules: unsafe-inline and what neutralises it")
{
    CHECK(has(judge({{"Content-Security-Policy", "default-src 'self' 'unsafe-inline'"}}),
              "csp-unsafe-inline"));
    CHECK_FALSE(has(judge({{"Content-Security-Policy",
                            "script-src 'sha256-abc=' 'unsafe-inline'; object-src 'none'"}}),
                    "csp-unsafe-inline"));
    CHECK_FALSE(has(judge({{"Content-Security-Policy",
                            "script-src 'strict-dynamic' 'nonce-x' 'unsafe-inline' https:; "
                            "object-src 'none'"}}),
                    "csp-wildcard-source"));
    // Only frame-ancestors: scripts are not restricted at all.
    auto frames_only = judge({{"Content-Security-Policy", "frame-ancestors 'none'"}});
    CHECK(has(frames_only, "csp-unsafe-inline"));
    CHECK(has(frames_only, "csp-missing-object-src"));
    // Two policies: a strict second policy blocks what the first allows.
    CHECK_FALSE(has(judge({{"Content-Security-Policy", "script-src 'unsafe-inline'"},
                           {"Content-Security-Policy", "script-src 'self'"}}),
                    "csp-unsafe-inline"));
    // A comma inside one header is two policies too.
    CHECK_FALSE(
        has(judge({{"Content-Security-Policy", "script-src 'unsafe-inline', script-src 'self'"}}),
            "csp-unsafe-inline"));
}

TEST_CASE("CSP rules: eval, wildcards, http:, missing directives, report-only")
{
    auto eval = judge({{"Content-Security-Policy", "default-src 'self' 'unsafe-eval'"}});
    CHECK(has(eval, "csp-unsafe-eval"));
    CHECK(score_result(eval, "content-security-policy") == "csp-implemented-with-unsafe-eval");

    CHECK(has(judge({{"Content-Security-Policy", "default-src 'self'; script-src *"}}),
              "csp-wildcard-source"));
    CHECK(has(judge({{"Content-Security-Policy", "default-src 'self'; script-src https:"}}),
              "csp-wildcard-source"));
    CHECK(has(judge({{"Content-Security-Policy", "default-src 'self'; object-src data:"}}),
              "csp-wildcard-source"));
    CHECK(has(judge({{"Content-Security-Policy", "default-src 'self' http://cdn.example"}}),
              "csp-insecure-scheme"));
    auto passive = judge({{"Content-Security-Policy", "default-src 'self'; img-src http:"}});
    CHECK(has(passive, "csp-insecure-scheme-passive"));
    CHECK_FALSE(has(passive, "csp-insecure-scheme"));

    auto missing = judge({{"Content-Security-Policy", "script-src 'self'"}});
    CHECK(has(missing, "csp-missing-object-src"));
    CHECK(has(missing, "csp-missing-frame-ancestors"));
    CHECK(has(missing, "csp-missing-base-uri"));
    // With every script blocked, an injected <base> has nothing to redirect.
    CHECK_FALSE(
        has(judge({{"Content-Security-Policy", "default-src 'none'"}}), "csp-missing-base-uri"));
    CHECK_FALSE(has(judge({{"Content-Security-Policy", "default-src 'self'; script-src 'none'"}}),
                    "csp-missing-base-uri"));
    CHECK(has(judge({{"Content-Security-Policy", "default-src 'none'; script-src 'self'"}}),
              "csp-missing-base-uri"));
    CHECK_FALSE(has(judge({{"Content-Security-Policy", "default-src 'none'"}}),
                    "csp-missing-object-src")); // default-src is object-src's fallback

    auto report_only = judge({{"Content-Security-Policy-Report-Only", "default-src 'none'"}});
    CHECK(has(report_only, "csp-report-only-alone"));
    CHECK(score_result(report_only, "content-security-policy") == "csp-not-implemented");
    CHECK(has(judge({}), "csp-missing"));
    CHECK(has(judge({{"Content-Security-Policy", "script-src 'none'; script-src *"}}),
              "csp-directive-repeated"));
    CHECK(has(judge({{"Content-Security-Policy", "default-src 'none'; scirpt-src 'self'"}}),
              "csp-unknown-directive"));
    CHECK(has(judge({{"Content-Security-Policy", "\"default-src 'none'\""}}), "csp-malformed"));
    CHECK(has(judge({{"Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'"}}),
              "csp-unsafe-inline-style"));
}

TEST_CASE("CSP rules: a nonce or hash must be one to neutralise 'unsafe-inline'")
{
    // An empty template variable leaves 'nonce-' behind: no nonce, so browsers
    // honour 'unsafe-inline' (CSP3 section 6.7.3.2 needs the nonce-source grammar).
    for (const char *csp : {"default-src 'none'; script-src 'nonce-' 'unsafe-inline'",
                            "default-src 'none'; script-src 'nonce-{{nonce}}' 'unsafe-inline'",
                            "default-src 'none'; script-src 'sha1-abc=' 'unsafe-inline'",
                            "default-src 'none'; script-src 'sha256-' 'unsafe-inline'"}) {
        CAPTURE(csp);
        CHECK(has(judge({{"Content-Security-Policy", csp}}), "csp-unsafe-inline"));
    }
    for (const char *csp : {"default-src 'none'; script-src 'NONCE-r4nd0m+/_-==' 'unsafe-inline'",
                            "default-src 'none'; script-src 'sha384-YWJj' 'unsafe-inline'"}) {
        CAPTURE(csp);
        CHECK_FALSE(has(judge({{"Content-Security-Policy", csp}}), "csp-unsafe-inline"));
    }
}

TEST_CASE("CSP rules: host wildcards are wildcards")
{
    // host-part "*" matches every host, whatever the scheme or port around it.
    for (const char *sources :
         {"https://*", "*:443", "https://*:*", "http://*/js/", "wss:", "javascript:"}) {
        CAPTURE(sources);
        std::string csp = std::string("default-src 'self'; script-src ") + sources;
        CHECK(has(judge({{"Content-Security-Policy", csp}}), "csp-wildcard-source"));
    }
    CHECK_FALSE(has(judge({{"Content-Security-Policy",
                            "default-src 'self'; script-src https://*.cdn.example"}}),
                    "csp-wildcard-source"));
}

TEST_CASE("CSP rules: script-src-elem and script-src-attr govern inline scripts")
{
    // Inline event handlers are checked against script-src-attr first.
    CHECK(has(
        judge({{"Content-Security-Policy", "default-src 'none'; script-src-attr 'unsafe-inline'"}}),
        "csp-unsafe-inline"));
    CHECK(has(
        judge({{"Content-Security-Policy", "default-src 'none'; script-src-elem 'unsafe-inline'"}}),
        "csp-unsafe-inline"));
    CHECK(has(judge({{"Content-Security-Policy", "default-src 'none'; script-src-elem *"}}),
              "csp-wildcard-source"));
    // A strict element list does not hide a lax script-src for attributes.
    CHECK(has(judge({{"Content-Security-Policy",
                      "script-src 'unsafe-inline'; script-src-elem 'self'; object-src 'none'"}}),
              "csp-unsafe-inline"));
    CHECK_FALSE(has(
        judge({{"Content-Security-Policy", "script-src 'unsafe-inline'; script-src-elem 'self'; "
                                           "script-src-attr 'none'; object-src 'none'"}}),
        "csp-unsafe-inline"));
}

TEST_CASE("CSP rules: 'strict-dynamic' does not neutralise inline styles")
{
    // CSP3 section 8.2: 'strict-dynamic' is a script keyword only.
    CHECK(has(judge({{"Content-Security-Policy",
                      "default-src 'self'; style-src 'strict-dynamic' 'unsafe-inline'"}}),
              "csp-unsafe-inline-style"));
}

TEST_CASE("CSP parsing: a directive with a non-ASCII byte is dropped")
{
    // CSP3 section 2.2.1 step 2.2: such a token is skipped, so script-src
    // below does not exist and scripts fall back to default-src *.
    auto policies = parse_csp("default-src *; script-src 'self' https://b\xc3\xbc"
                              "cher.example");
    REQUIRE(policies.size() == 1);
    CHECK(policies[0].find("script-src") == nullptr);
    auto j = judge({{"Content-Security-Policy", "default-src *; script-src 'self' https://b\xc3\xbc"
                                                "cher.example"}});
    CHECK(has(j, "csp-malformed"));
    CHECK(has(j, "csp-wildcard-source"));
}

// ---- framing, nosniff, referrer, permissions, cross-origin policies ----

TEST_CASE("X-Frame-Options: values and frame-ancestors overriding it")
{
    CHECK(parse_frame_options({}) == FrameOptions::absent);
    CHECK(parse_frame_options({"DENY"}) == FrameOptions::deny);
    CHECK(parse_frame_options({"sameorigin"}) == FrameOptions::sameorigin);
    CHECK(parse_frame_options({"deny, deny"}) == FrameOptions::deny);
    CHECK(parse_frame_options({"deny", "sameorigin"}) == FrameOptions::deny);
    CHECK(parse_frame_options({"ALLOW-FROM https://a.example"}) == FrameOptions::allow_from);
    CHECK(parse_frame_options({"allowall"}) == FrameOptions::allowall);
    CHECK(parse_frame_options({"nope"}) == FrameOptions::invalid);
    CHECK(parse_frame_options({"nope, nah"}) == FrameOptions::invalid);

    CHECK(has(judge({}), "xfo-missing"));
    CHECK(has(judge({{"X-Frame-Options", "nope"}}), "xfo-invalid"));
    CHECK(has(judge({{"X-Frame-Options", "ALLOW-FROM https://a.example"}}), "xfo-allow-from"));
    auto via_csp = judge(
        {{"Content-Security-Policy", "frame-ancestors 'self'"}, {"X-Frame-Options", "garbage"}});
    CHECK_FALSE(has(via_csp, "xfo-invalid"));
    CHECK(score_result(via_csp, "x-frame-options") == "x-frame-options-implemented-via-csp");
    // Any enforced frame-ancestors makes browsers ignore X-Frame-Options, so
    // a wildcard one lets every site frame the page whatever XFO says.
    for (const char *ancestors : {"*", "https:", "http: https:", "https://*", "'self' *"}) {
        CAPTURE(ancestors);
        auto wildcard =
            judge({{"Content-Security-Policy", std::string("frame-ancestors ") + ancestors},
                   {"X-Frame-Options", "DENY"}});
        CHECK(has(wildcard, "csp-frame-ancestors-wildcard"));
        CHECK(score_result(wildcard, "x-frame-options") == "x-frame-options-not-implemented");
    }
    // A second policy restricting framing wins over the wildcard one.
    auto restricted = judge({{"Content-Security-Policy", "frame-ancestors *"},
                             {"Content-Security-Policy", "frame-ancestors 'self'"}});
    CHECK_FALSE(has(restricted, "csp-frame-ancestors-wildcard"));
    CHECK(score_result(restricted, "x-frame-options") == "x-frame-options-implemented-via-csp");
    // Report-only frame-ancestors enforces nothing and leaves XFO in charge.
    auto report_only = judge({{"Content-Security-Policy-Report-Only", "frame-ancestors *"},
                              {"X-Frame-Options", "DENY"}});
    CHECK_FALSE(has(report_only, "csp-frame-ancestors-wildcard"));
    CHECK(score_result(report_only, "x-frame-options") == "x-frame-options-sameorigin-or-deny");
}

TEST_CASE("X-Content-Type-Options: only the first value counts")
{
    CHECK_FALSE(parse_nosniff({}).has_value());
    CHECK(*parse_nosniff({"nosniff"}));
    CHECK(*parse_nosniff({"NoSniff, garbage"}));
    CHECK_FALSE(*parse_nosniff({"garbage, nosniff"}));
    CHECK_FALSE(*parse_nosniff({", nosniff"}));
    CHECK(*parse_nosniff({"nosniff", "other"}));
    CHECK(has(judge({{"X-Content-Type-Options", "sniff"}}), "xcto-invalid"));
    CHECK(has(judge({}), "xcto-missing"));
}

TEST_CASE("Referrer-Policy: the last recognised token wins")
{
    CHECK(*parse_referrer_policy({"no-referrer, unknown"}) == "no-referrer");
    CHECK(*parse_referrer_policy({"unsafe-url", "same-origin"}) == "same-origin");
    CHECK(*parse_referrer_policy({"STRICT-ORIGIN"}) == "strict-origin");
    CHECK_FALSE(parse_referrer_policy({"nonsense"}).has_value());
    CHECK_FALSE(parse_referrer_policy({""}).has_value());
    CHECK(has(judge({{"Referrer-Policy", "same-origin, unsafe-url"}}), "referrer-policy-unsafe"));
    CHECK(has(judge({{"Referrer-Policy", "origin"}}), "referrer-policy-weak"));
    CHECK(has(judge({{"Referrer-Policy", "nope"}}), "referrer-policy-invalid"));
    CHECK(has(judge({}), "referrer-policy-missing"));
}

TEST_CASE("structured fields and Permissions-Policy")
{
    CHECK_FALSE(check_permissions_policy("camera=(), geolocation=(self \"https://a.example\")"));
    CHECK_FALSE(check_permissions_policy("fullscreen=*"));
    CHECK_FALSE(check_permissions_policy(""));
    CHECK(check_permissions_policy("camera 'none'"));              // Feature-Policy syntax
    CHECK(check_permissions_policy("camera=(), "));                // trailing comma
    CHECK(check_permissions_policy("camera=(self"));               // unterminated inner list
    CHECK(check_permissions_policy("Camera=()"));                  // keys are lowercase
    CHECK(check_permissions_policy("camera=(https://a.example)")); // origins must be strings
    CHECK(check_permissions_policy("camera"));                     // a bare key has no allowlist
    CHECK(check_permissions_policy("camera=(\"a\\q\")"));          // bad escape

    auto dict = parse_sf_dictionary("a=1, b=?0, c=\"x\";p=2, d=(1 2.5 :YWI=:), e");
    REQUIRE_FALSE(dict.error);
    REQUIRE(dict.members.size() == 5);
    CHECK(dict.members[3].second.inner.size() == 3);
    CHECK(dict.members[2].second.params.size() == 1);
    CHECK(parse_sf_dictionary("a=1234567890123456").error); // 16 digits
    CHECK(parse_sf_dictionary("a=1.2345").error);
    CHECK(parse_sf_item("same-origin; report-to=\"x\"").item->text == "same-origin");
    CHECK(parse_sf_item("same-origin, unsafe-none").error);

    CHECK(has(judge({{"Permissions-Policy", "camera 'none'"}}), "permissions-policy-invalid"));
}

TEST_CASE("X-XSS-Protection: anything but 0 or absent is flagged")
{
    CHECK_FALSE(has(judge({}), "xxss-enabled"));
    CHECK_FALSE(has(judge({{"X-XSS-Protection", "0"}}), "xxss-enabled"));
    CHECK(has(judge({{"X-XSS-Protection", "1"}}), "xxss-enabled"));
    CHECK(has(judge({{"X-XSS-Protection", "0; mode=block"}}), "xxss-enabled"));
    CHECK(has(judge({{"X-XSS-Protection", ""}}), "xxss-enabled"));
}

TEST_CASE("COOP, COEP and CORP")
{
    auto good = judge({{"Cross-Origin-Opener-Policy", "same-origin; report-to=\"r\""},
                       {"Cross-Origin-Embedder-Policy", "require-corp"},
                       {"Cross-Origin-Resource-Policy", "same-site"}});
    CHECK_FALSE(has(good, "coop-invalid"));
    CHECK_FALSE(has(good, "coep-invalid"));
    CHECK_FALSE(has(good, "corp-invalid"));
    auto bad = judge({{"Cross-Origin-Opener-Policy", "same_origin"},
                      {"Cross-Origin-Embedder-Policy", "\"require-corp\""},
                      {"Cross-Origin-Resource-Policy", "same-site, same-origin"}});
    CHECK(has(bad, "coop-invalid"));
    CHECK(has(bad, "coep-invalid"));
    CHECK(has(bad, "corp-invalid"));
    CHECK(has(judge({}), "coop-missing"));
}

TEST_CASE("Cache-Control matters on authenticated responses only")
{
    HttpExchange exchange;
    exchange.authenticated = true;
    exchange.headers = {{"Cache-Control", "max-age=600"}};
    CHECK(has_finding(judge_headers(exchange).findings, "cache-control-authenticated-cacheable"));
    exchange.headers = {{"Cache-Control", "private, max-age=60"}};
    CHECK(has_finding(judge_headers(exchange).findings, "cache-control-authenticated-stored"));
    exchange.headers = {{"Cache-Control", "No-Store"}};
    auto findings = judge_headers(exchange).findings;
    CHECK_FALSE(has_finding(findings, "cache-control-authenticated-cacheable"));
    CHECK_FALSE(has_finding(findings, "cache-control-authenticated-stored"));
    CHECK_FALSE(has(judge({{"Cache-Control", "public"}}), "cache-control-authenticated-cacheable"));
}

// ---- cookies ----

TEST_CASE("Set-Cookie parsing")
{
    auto c = parse_set_cookie("sid=abc; Secure; HttpOnly; SameSite=Strict; Path=/; Domain=a.b");
    CHECK(c.name == "sid");
    CHECK(c.secure);
    CHECK(c.http_only);
    CHECK(*c.same_site == "strict");
    CHECK(*c.path == "/");

    auto bare = parse_set_cookie("a=b; SameSite");
    CHECK(bare.same_site_present);
    CHECK_FALSE(bare.same_site.has_value());
    CHECK_FALSE(parse_set_cookie("a=b; SameSite=Sometimes").same_site.has_value());
    CHECK(*parse_set_cookie("a=b; samesite = lax ").same_site == "lax");
    CHECK(*parse_set_cookie("a=b; SameSite=Bogus; SameSite=None").same_site == "none");
    CHECK(parse_set_cookie("nameless").name.empty());
    CHECK(parse_set_cookie("").name.empty());
    CHECK(parse_set_cookie(";;;=;").name.empty());
}

TEST_CASE("cookie rules")
{
    CHECK(has(judge({{"Set-Cookie", "session=1; HttpOnly; SameSite=Lax"}}),
              "cookie-session-no-secure"));
    CHECK(has(judge({{"Set-Cookie", "theme=dark; SameSite=Lax"}}), "cookie-no-secure"));
    CHECK(has(judge({{"Set-Cookie", "auth_token=1; Secure; SameSite=Lax"}}),
              "cookie-session-no-httponly"));
    CHECK(has(judge({{"Set-Cookie", "a=1; Secure; SameSite"}}), "cookie-samesite-invalid"));
    CHECK(has(judge({{"Set-Cookie", "a=1; SameSite=None"}}), "cookie-samesite-none-insecure"));
    CHECK(has(judge({{"Set-Cookie", "a=1; Secure"}}), "cookie-samesite-missing"));
    CHECK(has(judge({{"Set-Cookie", "__Host-a=1; Secure; Path=/; Domain=x.example"}}),
              "cookie-prefix-violation"));
    CHECK(has(judge({{"Set-Cookie", "__Secure-a=1; SameSite=Lax"}}), "cookie-prefix-violation"));
    CHECK_FALSE(has(judge({{"Set-Cookie", "__Host-a=1; Secure; Path=/; SameSite=Lax"}}),
                    "cookie-prefix-violation"));
    // RFC 6265bis section 5.7: the prefixes match case-insensitively, so
    // browsers drop these cookies too.
    CHECK(has(judge({{"Set-Cookie", "__HOST-a=1; Secure; Path=/; Domain=x.example"}}),
              "cookie-prefix-violation"));
    CHECK(has(judge({{"Set-Cookie", "__secure-a=1; SameSite=Lax"}}), "cookie-prefix-violation"));
    // An empty Domain is ignored (section 5.6.3), so the cookie stays host-only.
    CHECK_FALSE(has(judge({{"Set-Cookie", "__Host-a=1; Secure; Path=/; Domain=; SameSite=Lax"}}),
                    "cookie-prefix-violation"));
    CHECK_FALSE(parse_set_cookie("a=1; Domain=").domain.has_value());
    CHECK(*parse_set_cookie("a=1; Domain=x.example; Domain=").domain == "x.example");

    auto session = judge({{"Set-Cookie", "session=s3cr3t; HttpOnly"}});
    auto finding = find(session, "cookie-session-no-secure");
    REQUIRE(finding != nullptr);
    CHECK(finding->value.find("s3cr3t") == std::string::npos); // values are redacted

    auto good = judge({{"Set-Cookie", "session=1; Secure; HttpOnly; SameSite=Strict"}});
    CHECK(score_result(good, "cookies") == "cookies-secure-with-httponly-sessions-and-samesite");
    auto hsts = judge({{"Strict-Transport-Security", "max-age=63072000"},
                       {"Set-Cookie", "session=1; HttpOnly; SameSite=Lax"}});
    CHECK(score_result(hsts, "cookies") ==
          "cookies-session-without-secure-flag-but-protected-by-hsts");
}

TEST_CASE("cookies that the response deletes are not judged")
{
    // RFC 6265bis section 5.6.2: Max-Age <= 0 expires the cookie at once; an
    // Expires in the past does too (section 5.6.1). Nothing is stored.
    for (const char *cookie :
         {"session=; Max-Age=0; Path=/", "session=x; max-age=-1", "sid=; Max-Age=000",
          "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
          "session=; expires=Thursday, 01-Jan-70 00:00:01 GMT; Path=/"}) {
        CAPTURE(cookie);
        auto j = judge({{"Set-Cookie", cookie}});
        CHECK_FALSE(has(j, "cookie-session-no-secure"));
        CHECK_FALSE(has(j, "cookie-session-no-httponly"));
        CHECK_FALSE(has(j, "cookie-samesite-missing"));
        CHECK(score_result(j, "cookies") == "cookies-not-found");
    }
    // Max-Age wins over Expires, and a malformed Max-Age is ignored.
    for (const char *cookie : {"session=x; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                               "session=x; Max-Age=soon; Expires=Thu, 01 Jan 2099 00:00:00 GMT",
                               "session=x; Max-Age=+0", "session=x; Expires=yesterday"}) {
        CAPTURE(cookie);
        CHECK(has(judge({{"Set-Cookie", cookie}}), "cookie-session-no-secure"));
    }
    // A deletion next to a real cookie leaves the real one judged.
    auto mixed = judge({{"Set-Cookie", "old_session=; Max-Age=0"},
                        {"Set-Cookie", "session=1; HttpOnly; SameSite=Lax"}});
    CHECK(has(mixed, "cookie-session-no-secure"));

    CHECK(parse_cookie_date("Sun, 06 Nov 1994 08:49:37 GMT") == int64_t{784111777});
    CHECK(parse_cookie_date("Sunday, 06-Nov-94 08:49:37 GMT") == int64_t{784111777});
    CHECK(parse_cookie_date("Sun Nov  6 08:49:37 1994") == int64_t{784111777});
    CHECK_FALSE(parse_cookie_date("tomorrow").has_value());
    CHECK_FALSE(parse_cookie_date("06 Nov 1994").has_value()); // no time
    CHECK_FALSE(parse_cookie_date("Sun, 32 Nov 1994 08:49:37 GMT").has_value());
}

// ---- CORS and banners ----

TEST_CASE("CORS: wildcard and reflected origins with credentials")
{
    CHECK(has(
        judge({{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Allow-Credentials", "true"}}),
        "cors-wildcard-with-credentials"));
    auto reflected = judge({{"Access-Control-Allow-Origin", "https://probe.invalid"},
                            {"Access-Control-Allow-Credentials", "true"}});
    CHECK(has(reflected, "cors-reflected-origin-with-credentials"));
    CHECK(score_result(reflected, "cross-origin-resource-sharing") ==
          "cross-origin-resource-sharing-implemented-with-universal-access");
    CHECK(has(judge({{"Access-Control-Allow-Origin", "https://probe.invalid"}}),
              "cors-reflected-origin"));
    CHECK(has(judge({{"Access-Control-Allow-Origin", "null"},
                     {"Access-Control-Allow-Credentials", "true"}}),
              "cors-null-origin-with-credentials"));
    auto fixed = judge({{"Access-Control-Allow-Origin", "https://app.example"},
                        {"Access-Control-Allow-Credentials", "true"}});
    CHECK_FALSE(has(fixed, "cors-reflected-origin-with-credentials"));
    CHECK_FALSE(has(
        judge({{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Allow-Credentials", "TRUE"}}),
        "cors-wildcard-with-credentials")); // only the exact "true" counts
}

TEST_CASE("banners with versions")
{
    CHECK(has(judge({{"Server", "nginx/1.22.1"}}), "banner-version"));
    CHECK(has(judge({{"X-Powered-By", "PHP/8.2.1"}}), "banner-version"));
    CHECK(has(judge({{"X-AspNet-Version", "4.0.30319"}}), "banner-version"));
    CHECK(has(judge({{"Server", "Apache/2"}}), "banner-version"));
    CHECK_FALSE(has(judge({{"Server", "nginx"}}), "banner-version"));
    CHECK_FALSE(has(judge({{"Server", "cloudflare"}}), "banner-version"));
    // A comment names a node, not a version, unless it holds a dotted one.
    CHECK_FALSE(has(judge({{"Server", "ECS (dcb/7F84)"}}), "banner-version"));
    CHECK_FALSE(has(judge({{"Server", "ECAcc (nyd/D184)"}}), "banner-version"));
    CHECK(has(judge({{"Server", "Jetty(9.4.z-SNAPSHOT)"}}), "banner-version"));
    CHECK(has(judge({{"Server", "Apache/2.4.57 (Debian)"}}), "banner-version"));
    CHECK(has(judge({{"X-Generator", "Drupal 10 (https://www.drupal.org)"}}), "banner-version"));
    CHECK_FALSE(has(judge({{"X-Powered-By", "Express"}}), "banner-version"));
}

// ---- scoring ----

TEST_CASE("scores and grades follow the Observatory table")
{
    CHECK(grade_for(135) == "A+");
    CHECK(grade_for(100) == "A+");
    CHECK(grade_for(99) == "A");
    CHECK(grade_for(85) == "A-");
    CHECK(grade_for(84) == "B+");
    CHECK(grade_for(70) == "B");
    CHECK(grade_for(65) == "B-");
    CHECK(grade_for(60) == "C+");
    CHECK(grade_for(50) == "C");
    CHECK(grade_for(45) == "C-");
    CHECK(grade_for(40) == "D+");
    CHECK(grade_for(30) == "D");
    CHECK(grade_for(25) == "D-");
    CHECK(grade_for(24) == "F");
    CHECK(grade_for(0) == "F");

    // Bonuses count only when the penalised score is 90 or more.
    CHECK(compute_score({{"a", "x", -10}, {"b", "y", 10}}).score == 100);
    CHECK(compute_score({{"a", "x", -15}, {"b", "y", 10}}).score == 85);
    CHECK(compute_score({{"a", "x", -80}, {"b", "y", -50}}).score == 0);

    CHECK(*grade_rank("a+") == 0);
    CHECK(*grade_rank("F") == 12);
    CHECK_FALSE(grade_rank("E").has_value());
}

TEST_CASE("an empty response scores as the Observatory would")
{
    auto j = judge({});
    // hsts -20, csp -25, xfo -20, xcto -5 => 30
    CHECK(compute_score(j.score).score == 30);
    CHECK(compute_score(j.score).grade == "D");
}

TEST_CASE("a strong set of headers gets A+")
{
    auto j = judge(
        {{"Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"},
         {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"},
         {"X-Content-Type-Options", "nosniff"},
         {"Referrer-Policy", "no-referrer"},
         {"Set-Cookie", "__Host-session=1; Path=/; Secure; HttpOnly; SameSite=Lax"}});
    auto score = compute_score(j.score);
    CHECK(score.score == 125); // +10 csp, +5 xfo via csp, +5 referrer, +5 cookies
    CHECK(score.grade == "A+");
    for (const auto &f : j.findings) {
        CAPTURE(f.id);
        CHECK(f.severity == Severity::info);
    }
}

// ---- redirects and TLS ----

TEST_CASE("redirect rules")
{
    CHECK(has_finding(judge_redirects({"http://a.example/"}).findings, "redirect-missing"));
    auto good = judge_redirects({"http://a.example/", "https://a.example/"});
    CHECK(good.findings.empty());
    CHECK(good.score[0].result == "redirection-to-https");
    CHECK(has_finding(
        judge_redirects({"http://a.example/", "http://www.a.example/", "https://www.a.example/"})
            .findings,
        "redirect-first-hop-not-https"));
    CHECK(has_finding(judge_redirects({"http://a.example/", "https://b.example/"}).findings,
                      "redirect-first-hop-not-https"));
    CHECK(has_finding(judge_redirects({"http://a.example/", "http://a.example/x"}).findings,
                      "redirect-not-to-https"));
    CHECK(has_finding(
        judge_redirects({"http://a/", "https://a/", "https://a/1", "https://a/2"}).findings,
        "redirect-many-hops"));
}

TEST_CASE("TLS rules")
{
    TlsFacts facts;
    facts.version = "TLSv1.3";
    facts.cipher = "TLS_AES_128_GCM_SHA256";
    facts.chain_valid = true;
    facts.hostname_matches = true;
    facts.days_to_expiry = 60;
    facts.key_type = "EC";
    facts.key_bits = 256;
    facts.ocsp_stapled = true;
    CHECK(judge_tls(facts).empty());

    facts.accepts_tls10 = facts.accepts_tls11 = facts.accepts_tls12 = true;
    facts.days_to_expiry = 3;
    facts.key_type = "RSA";
    facts.key_bits = 1024;
    facts.ocsp_stapled = false;
    facts.chain_valid = false;
    facts.hostname_matches = false;
    facts.insecure = true;
    auto findings = judge_tls(facts);
    for (auto id :
         {"tls-1.0-accepted", "tls-1.1-accepted", "tls-1.2-accepted", "tls-cert-expires-soon",
          "tls-weak-key", "tls-no-ocsp-staple", "tls-cert-untrusted", "tls-cert-hostname-mismatch",
          "tls-verification-disabled"}) {
        CAPTURE(id);
        CHECK(has_finding(findings, id));
    }
    // A certificate that names no OCSP responder has nothing to staple.
    facts.ocsp_responder = false;
    CHECK_FALSE(has_finding(judge_tls(facts), "tls-no-ocsp-staple"));
    facts.days_to_expiry = -1;
    facts.version = "TLSv1.2";
    facts.cipher = "AES128-GCM-SHA256";
    findings = judge_tls(facts);
    CHECK(has_finding(findings, "tls-cert-expired"));
    CHECK(has_finding(findings, "tls-no-forward-secrecy"));
}

// ---- URLs ----

TEST_CASE("URLs and redirect locations")
{
    auto url = parse_url("HTTPS://Shop.Example:8443/a/b?q=1#frag");
    REQUIRE(url.ok());
    CHECK(url->host == "shop.example");
    CHECK(url->port == 8443);
    CHECK(url->target == "/a/b?q=1");
    CHECK(url->str() == "https://shop.example:8443/a/b?q=1");
    CHECK(parse_url("http://[::1]:8080").value().host == "::1");
    CHECK(parse_url("https://a.example").value().target == "/");
    for (auto bad : {"ftp://a/", "a.example", "https://", "https://a:0/", "https://a:99999/",
                     "https://u@a/", "https://a b/", "https://[::1/"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_url(bad).ok());
    }
    // Internationalised names go on the wire as A-labels; ASCII names as given.
    CHECK(parse_url("https://BÜCHER.example/").value().host == "xn--bcher-kva.example");
    CHECK(parse_url("https://web_app:8080/").value().host == "web_app");
    CHECK_FALSE(parse_url("https://a..ü/").ok());
    CHECK_FALSE(parse_url("http://::1:8080/").ok()); // IPv6 needs brackets
    CHECK(parse_resolve("Bücher.example:443:127.0.0.1").value().host == "xn--bcher-kva.example");
    auto base = parse_url("http://a.example/x/y?z").value();
    CHECK(resolve_location(base, "https://b.example/").value().str() == "https://b.example/");
    CHECK(resolve_location(base, "//c.example/p").value().str() == "http://c.example/p");
    CHECK(resolve_location(base, "/root").value().str() == "http://a.example/root");
    CHECK(resolve_location(base, "sib").value().str() == "http://a.example/x/sib");
    // Spaces and non-ASCII bytes in a Location are percent-encoded, as browsers do,
    // so the next request line is still one token.
    CHECK(resolve_location(base, "/a b").value().target == "/a%20b");
    CHECK(resolve_location(base, "c\xc3\xa9").value().target == "/x/c%C3%A9");
    CHECK(resolve_location(base, "https://b.example/p q?r s").value().str() ==
          "https://b.example/p%20q?r%20s");
    CHECK(resolve_location(base, "//b\xc3\xbc"
                                 "cher.example/ü")
              .value()
              .str() == "http://xn--bcher-kva.example/%C3%BC");
    CHECK_FALSE(resolve_location(base, "https://a b.example/").ok());
}

// ---- --expect policy ----

TEST_CASE("expect policy: parsing and checking")
{
    auto policy = parse_expect_policy(R"(
[[require]]
name = "Strict-Transport-Security"
matches = "max-age=[0-9]{8}"
[[require]]
name = "X-Frame-Options"
equals = "DENY"
severity = "low"
[[forbid]]
name = "X-Powered-By"
)",
                                      "test.toml");
    REQUIRE(policy.ok());
    auto findings = check_expect_policy(
        policy.value(), {{"Strict-Transport-Security", "max-age=1"}, {"x-powered-by", "PHP"}});
    REQUIRE(findings.size() == 3);
    CHECK(has_finding(findings, "expect-header-mismatch"));
    CHECK(has_finding(findings, "expect-header-forbidden"));
    for (const auto &f : findings) {
        if (f.id == "expect-header-missing") {
            CHECK(f.header == "X-Frame-Options");
            CHECK(f.severity == Severity::low);
        }
    }
    CHECK(check_expect_policy(policy.value(), {{"Strict-Transport-Security", "max-age=63072000"},
                                               {"X-Frame-Options", "DENY"}})
              .empty());

    for (auto bad : {"[[require]]\nname = 3\n", "[[require]]\nmatches = \"x\"\n",
                     "[[require]]\nname = \"a\"\nmatches = \"(\"\n", "[other]\n",
                     "[[forbid]]\nname = \"a\"\nequals = \"b\"\n", "require = 1\n",
                     "[[require]]\nname = \"a\"\nseverity = \"urgent\"\n",
                     "[[require]]\nname = \"a\"\ntypo = \"b\"\n", "[[require]\n"}) {
        CAPTURE(bad);
        auto parsed = parse_expect_policy(bad, "bad.toml");
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().kind == ErrorKind::validation);
    }
}

// ---- options and output ----

TEST_CASE("--resolve and --header options")
{
    auto r = parse_resolve("shop.example:443:127.0.0.1");
    REQUIRE(r.ok());
    CHECK(r->port == 443);
    CHECK(parse_resolve("a:1:[::1]").value().address == "::1");
    CHECK_FALSE(parse_resolve("a:443").ok());
    CHECK_FALSE(parse_resolve("a:x:1.2.3.4").ok());
    CHECK_FALSE(parse_resolve(":443:1.2.3.4").ok());

    auto h = parse_header_option("Authorization:  Bearer x ");
    REQUIRE(h.ok());
    CHECK(h->first == "Authorization");
    CHECK(h->second == "Bearer x");
    CHECK_FALSE(parse_header_option("no colon").ok());
    CHECK_FALSE(parse_header_option("Bad Name: v").ok());
    CHECK_FALSE(parse_header_option("A: v\r\nInjected: 1").ok());
}

namespace {

AuditReport sample_report()
{
    AuditReport report;
    UrlReport url;
    url.url = "https://shop.example/";
    url.final_url = url.url;
    url.status = 200;
    HttpResponse response;
    response.status = 200;
    response.headers = {{"X-XSS-Protection", "1; mode=block"}, {"Server", "nginx/1.22.1"}};
    judge_response(url, response, AuditOptions{});
    report.urls.push_back(url);
    UrlReport down;
    down.url = "https://down.example/";
    down.error = make_error(ErrorKind::unavailable, "unreachable", "fetching", "refused");
    report.urls.push_back(down);
    return report;
}

} // namespace

TEST_CASE("renderers: json, sarif, junit, table")
{
    AuditReport report = sample_report();
    auto json = nlohmann::json::parse(render_json(report));
    CHECK(json["urls"][0]["grade"] == report.urls[0].score.grade);
    CHECK(json["urls"][1]["reachable"] == false);

    auto sarif = nlohmann::json::parse(render_sarif(report));
    CHECK(sarif["version"] == "2.1.0");
    const auto &run = sarif["runs"][0];
    CHECK(run["tool"]["driver"]["rules"].size() == all_rules().size());
    for (const auto &result : run["results"]) {
        size_t index = result["ruleIndex"];
        CHECK(run["tool"]["driver"]["rules"][index]["id"] == result["ruleId"]);
        CHECK(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] ==
              "https://shop.example/");
    }
    CHECK(run["invocations"][0]["executionSuccessful"] == false);

    std::string junit = render_junit(report, RenderOptions{false, Severity::low});
    CHECK(junit.find("name=\"xxss-enabled\">") != std::string::npos);
    CHECK(junit.find("<error type=\"unreachable\"") != std::string::npos);
    CHECK(junit.find("<property name=\"insecure\" value=\"false\"/>") != std::string::npos);

    std::string plain = render_table(report, RenderOptions{false, Severity::low});
    CHECK(plain.find("\033[") == std::string::npos);
    CHECK(plain.find("UNREACHABLE") != std::string::npos);
    CHECK(render_table(report, RenderOptions{true, Severity::low}).find("\033[") !=
          std::string::npos);
}

TEST_CASE("renderers survive bytes that are not UTF-8 and escape sequences")
{
    AuditReport report;
    UrlReport url;
    url.url = "https://shop.example/";
    HttpResponse response;
    response.status = 200;
    response.headers = {{"Server", "nginx/1.2\x8b\xff\x1b[31m"}};
    judge_response(url, response, AuditOptions{});
    report.urls.push_back(url);
    CHECK(nlohmann::json::accept(render_json(report)));
    CHECK(nlohmann::json::accept(render_sarif(report)));
    std::string junit = render_junit(report, RenderOptions{});
    CHECK(junit.find('\x1b') == std::string::npos);
    CHECK(junit.find('\xff') == std::string::npos);
    std::string table = render_table(report, RenderOptions{});
    CHECK(table.find('\x1b') == std::string::npos);
    CHECK(table.find("nginx/1.2??") != std::string::npos);
}

TEST_CASE("response heads: status, fields, folding, garbage")
{
    auto url = parse_url("https://a.example/").value();
    auto ok = parse_response_head(url, "HTTP/1.1 301 Moved\r\nLocation: /x\r\nX-A: 1\r\n 2\r\n"
                                       "no colon line\r\n: empty name\r\n");
    REQUIRE(ok.ok());
    CHECK(ok->status == 301);
    REQUIRE(ok->headers.size() == 2);
    CHECK(ok->headers[1].second == "1 2");
    // Bare LF line ends (RFC 9112 section 2.2), as browsers accept them.
    auto lf = parse_response_head(url, "HTTP/1.0 200 OK\nX-Frame-Options: DENY\n\nbody: no");
    REQUIRE(lf.ok());
    CHECK(lf->status == 200);
    REQUIRE(lf->headers.size() == 1);
    CHECK(lf->headers[0].second == "DENY");
    CHECK(response_head_end("HTTP/1.1 200 OK\r\nA: 1\r\n\r\nrest") == size_t{25});
    CHECK(response_head_end("HTTP/1.1 200 OK\nA: 1\n\nrest") == size_t{22});
    CHECK(response_head_end("HTTP/1.1 200 OK\r\nA: 1\n\r\n") == size_t{24});
    CHECK_FALSE(response_head_end("HTTP/1.1 200 OK\r\nA: 1\r\n").has_value());
    CHECK_FALSE(response_head_end("").has_value());
    CHECK_FALSE(parse_response_head(url, "HTTP/1.1 2000 OK\r\n").ok());
    CHECK_FALSE(parse_response_head(url, "SSH-2.0-OpenSSH\r\n").ok());
    CHECK_FALSE(parse_response_head(url, "HTTP/1.1 2x0 OK\r\n").ok());
    CHECK_FALSE(parse_response_head(url, "").ok());
}

TEST_CASE("verdicts: unreachable wins, then thresholds")
{
    AuditReport report = sample_report();
    CHECK(verdict(report, std::nullopt, std::nullopt) == Verdict::unreachable);
    report.urls.pop_back();
    CHECK(verdict(report, std::nullopt, std::nullopt) == Verdict::pass);
    CHECK(verdict(report, Severity::medium, std::nullopt) == Verdict::fail);
    CHECK(verdict(report, Severity::high, std::nullopt) == Verdict::pass);
    CHECK(verdict(report, std::nullopt, grade_rank("A")) == Verdict::fail);
    CHECK(verdict(report, std::nullopt, grade_rank("F")) == Verdict::pass);
}

TEST_CASE("every rule has an id, a title and a fix, and ids are unique")
{
    std::set<std::string_view> ids;
    for (const auto &r : all_rules()) {
        CAPTURE(r.id);
        CHECK(ids.insert(r.id).second);
        CHECK_FALSE(r.title.empty());
        CHECK_FALSE(r.fix.empty());
    }
}
