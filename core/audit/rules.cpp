#include "core/audit/rules.hpp"

#include "core/audit/url.hpp"
#include "core/util/strings.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <ctime>

namespace rcommerce::audit {

namespace {

constexpr int64_t k_six_months = 15552000;
constexpr int64_t k_one_year = 31536000;

void add_score(Judgement &out, std::string test, std::string result, int modifier)
{
    out.score.push_back(ScoreItem{std::move(test), std::move(result), modifier});
}

std::string join(const std::vector<std::string> &items, std::string_view separator)
{
    std::string out;
    for (const auto &item : items) {
        out += (out.empty() ? "" : std::string(separator)) + item;
    }
    return out;
}

// ---- Content-Security-Policy helpers (CSP Level 3) ----

// Section 6.8.3: the directives consulted, in order, for a fetch directive.
std::vector<std::string_view> csp_fallback(std::string_view directive)
{
    if (directive == "script-src" || directive == "style-src") {
        return {directive, "default-src"};
    }
    if (directive == "script-src-elem" || directive == "script-src-attr") {
        return {directive, "script-src", "default-src"};
    }
    if (directive == "style-src-elem" || directive == "style-src-attr") {
        return {directive, "style-src", "default-src"};
    }
    if (directive == "frame-src") {
        return {"frame-src", "child-src", "default-src"};
    }
    static constexpr std::array<std::string_view, 6> k_fetch = {
        "object-src", "img-src", "media-src", "connect-src", "font-src", "worker-src"};
    if (std::find(k_fetch.begin(), k_fetch.end(), directive) != k_fetch.end()) {
        return {directive, "default-src"};
    }
    return {directive}; // base-uri, form-action, frame-ancestors: no fallback
}

const CspDirective *csp_governing(const CspPolicy &policy, std::string_view directive)
{
    for (auto name : csp_fallback(directive)) {
        if (const auto *found = policy.find(name)) {
            return found;
        }
    }
    return nullptr;
}

bool has_source(const std::vector<std::string> &sources, std::string_view source)
{
    return std::any_of(sources.begin(), sources.end(),
                       [&](const std::string &s) { return util::iequals(s, source); });
}

// Section 2.3.1: nonce-source and hash-source, whose value is base64-value =
// 1*( ALPHA / DIGIT / "+" / "/" / "-" / "_" ) *2"=". Only a source of that
// shape neutralises 'unsafe-inline': `'nonce-'` (an empty template variable)
// or `'sha1-...'` is no nonce or hash, and browsers keep 'unsafe-inline'.
bool is_nonce_or_hash(const std::string &source)
{
    std::string lower = util::to_lower(source);
    std::string_view value;
    for (std::string_view prefix : {"'nonce-", "'sha256-", "'sha384-", "'sha512-"}) {
        if (lower.rfind(prefix, 0) == 0) {
            value = std::string_view(lower).substr(prefix.size());
        }
    }
    if (value.size() < 2 || value.back() != '\'') {
        return false;
    }
    value.remove_suffix(1);
    size_t padding = 0;
    while (!value.empty() && value.back() == '=' && padding < 2) {
        value.remove_suffix(1);
        ++padding;
    }
    return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '-' ||
               c == '_';
    });
}

// Section 8.2/8.3: a nonce or hash makes 'unsafe-inline' ignored, and for
// scripts 'strict-dynamic' does too (and also ignores host and scheme sources).
bool allows_inline(const CspDirective *directive, bool script)
{
    if (directive == nullptr) {
        return true;
    }
    const auto &sources = directive->sources;
    if ((script && has_source(sources, "'strict-dynamic'")) ||
        std::any_of(sources.begin(), sources.end(), is_nonce_or_hash)) {
        return false;
    }
    return has_source(sources, "'unsafe-inline'");
}

// A source that matches every host: `*`, a scheme-source (`https:`, `data:`),
// or a host-source whose host-part is `*` (`https://*`, `*:443`).
bool is_wildcard_source(const std::string &source)
{
    std::string lower = util::to_lower(source);
    if (lower == "*") {
        return true;
    }
    size_t colon = lower.find(':');
    bool scheme =
        colon != std::string::npos && colon > 0 &&
        std::isalpha(static_cast<unsigned char>(lower[0])) &&
        std::all_of(lower.begin(), lower.begin() + static_cast<long>(colon), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
        });
    if (scheme && colon + 1 == lower.size()) {
        return true; // scheme-source
    }
    std::string_view host = lower;
    if (scheme && lower.compare(colon, 3, "://") == 0) {
        host.remove_prefix(colon + 3);
    }
    host = host.substr(0, host.find_first_of(":/"));
    return host == "*";
}

bool allows_any_host(const CspDirective *directive, bool script)
{
    if (directive == nullptr) {
        return true;
    }
    if (script && has_source(directive->sources, "'strict-dynamic'")) {
        return false;
    }
    return std::any_of(directive->sources.begin(), directive->sources.end(), is_wildcard_source);
}

bool allows_http(const CspDirective *directive)
{
    if (directive == nullptr) {
        return false; // unrestricted is reported as a wildcard, not as http:
    }
    return std::any_of(directive->sources.begin(), directive->sources.end(),
                       [](const std::string &s) {
                           return util::to_lower(s).rfind("http:", 0) == 0 ||
                                  util::to_lower(s).rfind("ws:", 0) == 0;
                       });
}

// True when `test` holds for the directive governing `name` in every policy:
// all enforced policies must allow a load for it to happen.
template <typename Test>
bool every_policy(const std::vector<CspPolicy> &policies, std::string_view name, Test test)
{
    return std::all_of(policies.begin(), policies.end(),
                       [&](const CspPolicy &p) { return test(csp_governing(p, name)); });
}

bool any_policy_has(const std::vector<CspPolicy> &policies, std::string_view name)
{
    return std::any_of(policies.begin(), policies.end(),
                       [&](const CspPolicy &p) { return p.find(name) != nullptr; });
}

std::vector<CspPolicy> enforced_policies(const HeaderList &headers)
{
    std::vector<CspPolicy> policies;
    for (const auto &value : header_values(headers, "Content-Security-Policy")) {
        for (auto &policy : parse_csp(value)) {
            policies.push_back(std::move(policy));
        }
    }
    return policies;
}

bool is_session_cookie_name(std::string_view name)
{
    static constexpr std::array<std::string_view, 9> k_markers = {
        "sess", "sid", "auth", "token", "login", "jwt", "remember", "user", "csrf"};
    std::string lower = util::to_lower(name);
    return std::any_of(k_markers.begin(), k_markers.end(), [&](std::string_view marker) {
        return lower.find(marker) != std::string::npos;
    });
}

// Set-Cookie carries secrets; findings show the attributes, never the value.
std::string redact_cookie(const std::string &header)
{
    size_t equals = header.find('=');
    size_t semicolon = header.find(';');
    if (equals == std::string::npos || (semicolon != std::string::npos && equals > semicolon)) {
        return "<redacted>" + (semicolon == std::string::npos ? "" : header.substr(semicolon));
    }
    return header.substr(0, equals + 1) + "<redacted>" +
           (semicolon == std::string::npos ? "" : header.substr(semicolon));
}

bool hsts_protects(const HeaderList &headers)
{
    auto values = header_values(headers, "Strict-Transport-Security");
    if (values.empty()) {
        return false;
    }
    Hsts hsts = parse_hsts(values.front());
    return hsts.valid && hsts.max_age >= k_six_months;
}

// RFC 9110 section 10.2.4: product *( RWS ( product / comment ) ), product =
// token [ "/" version ]. A version is a product's "/digit", a "digit.digit"
// anywhere, or a word of digits ("Drupal 10"). Inside a (comment) only
// "digit.digit" counts: "ECS (dcb/7F84)" names a cache node, not a version.
bool has_version(std::string_view value)
{
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    int depth = 0;
    for (size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        depth += c == '(' ? 1 : c == ')' && depth > 0 ? -1 : 0;
        bool digit_next = i + 1 < value.size() && digit(value[i + 1]);
        if (c == '.' && digit_next && i > 0 && digit(value[i - 1])) {
            return true;
        }
        if (depth == 0 && c == '/' && digit_next) {
            return true;
        }
        bool word_start = i == 0 || value[i - 1] == ' ' || value[i - 1] == '\t';
        if (depth == 0 && word_start && digit(c)) {
            size_t end = i;
            while (end < value.size() && digit(value[end])) {
                ++end;
            }
            if (end == value.size() || value[end] == ' ' || value[end] == '\t') {
                return true;
            }
        }
    }
    return false;
}

} // namespace

void judge_hsts(const HttpExchange &exchange, Judgement &out)
{
    constexpr std::string_view k_name = "Strict-Transport-Security";
    auto values = header_values(exchange.headers, k_name);
    if (!exchange.https) {
        if (!values.empty()) {
            out.findings.push_back(make_finding("hsts-over-http", k_name, values.front()));
        }
        add_score(out, "strict-transport-security", "hsts-not-implemented-no-https", -20);
        return;
    }
    if (values.empty()) {
        out.findings.push_back(make_finding("hsts-missing", k_name, ""));
        add_score(out, "strict-transport-security", "hsts-not-implemented", -20);
        return;
    }
    if (values.size() > 1) {
        out.findings.push_back(make_finding("hsts-multiple-headers", k_name, join(values, " | "),
                                            std::to_string(values.size()) + " headers"));
    }
    const std::string &value = values.front(); // RFC 6797 section 8.1: only the first
    Hsts hsts = parse_hsts(value);
    if (!hsts.valid) {
        out.findings.push_back(make_finding("hsts-invalid", k_name, value, hsts.error));
        add_score(out, "strict-transport-security", "hsts-header-invalid", -20);
        return;
    }
    if (hsts.max_age == 0) {
        // Section 6.1.1: max-age=0 deletes the policy, so it is scored as absent.
        out.findings.push_back(make_finding("hsts-max-age-zero", k_name, value));
        add_score(out, "strict-transport-security", "hsts-not-implemented", -20);
        return;
    }
    if (hsts.max_age < k_six_months) {
        out.findings.push_back(make_finding("hsts-max-age-too-short", k_name, value,
                                            "max-age=" + std::to_string(hsts.max_age)));
    }
    if (!hsts.include_subdomains) {
        out.findings.push_back(make_finding("hsts-no-include-subdomains", k_name, value));
    }
    if (hsts.max_age < k_one_year || !hsts.include_subdomains || !hsts.preload) {
        out.findings.push_back(make_finding("hsts-not-preload-ready", k_name, value));
    }
    if (!exchange.certificate_valid) {
        add_score(out, "strict-transport-security", "hsts-invalid-cert", -20);
    } else if (hsts.max_age < k_six_months) {
        add_score(out, "strict-transport-security", "hsts-implemented-max-age-less-than-six-months",
                  -10);
    } else {
        add_score(out, "strict-transport-security", "hsts-implemented-max-age-at-least-six-months",
                  0);
    }
}

void judge_csp(const HttpExchange &exchange, Judgement &out)
{
    constexpr std::string_view k_name = "Content-Security-Policy";
    constexpr std::string_view k_test = "content-security-policy";
    auto values = header_values(exchange.headers, k_name);
    std::string shown = join(values, " | ");
    if (values.empty()) {
        auto report_only = header_values(exchange.headers, "Content-Security-Policy-Report-Only");
        if (!report_only.empty()) {
            out.findings.push_back(make_finding("csp-report-only-alone",
                                                "Content-Security-Policy-Report-Only",
                                                join(report_only, " | ")));
        } else {
            out.findings.push_back(make_finding("csp-missing", k_name, ""));
        }
        add_score(out, std::string(k_test), "csp-not-implemented", -25);
        return;
    }
    auto policies = enforced_policies(exchange.headers);

    std::vector<std::string> malformed, unknown, repeated;
    for (const auto &policy : policies) {
        malformed.insert(malformed.end(), policy.malformed.begin(), policy.malformed.end());
        unknown.insert(unknown.end(), policy.unknown.begin(), policy.unknown.end());
        repeated.insert(repeated.end(), policy.repeated.begin(), policy.repeated.end());
    }
    bool invalid = !malformed.empty() || policies.empty();
    if (invalid) {
        out.findings.push_back(make_finding(
            "csp-malformed", k_name, shown,
            policies.empty() ? "no directive at all" : "ignored: " + join(malformed, ", ")));
    }
    if (!unknown.empty()) {
        out.findings.push_back(
            make_finding("csp-unknown-directive", k_name, shown, join(unknown, ", ")));
    }
    if (!repeated.empty()) {
        out.findings.push_back(make_finding("csp-directive-repeated", k_name, shown,
                                            join(repeated, ", ") + " (the first one applies)"));
    }

    // Inline <script> is checked against script-src-elem, inline event
    // handlers against script-src-attr (both fall back to script-src).
    auto script_allows_inline = [](const CspDirective *d) { return allows_inline(d, true); };
    bool script_inline = every_policy(policies, "script-src-elem", script_allows_inline) ||
                         every_policy(policies, "script-src-attr", script_allows_inline);
    bool script_any_host =
        every_policy(policies, "script-src-elem", [](auto *d) { return allows_any_host(d, true); });
    bool object_any_host =
        every_policy(policies, "object-src", [](auto *d) { return allows_any_host(d, false); });
    bool script_eval = every_policy(policies, "script-src", [](const CspDirective *d) {
        return d == nullptr || has_source(d->sources, "'unsafe-eval'");
    });
    bool active_http = every_policy(policies, "script-src-elem", allows_http) ||
                       every_policy(policies, "object-src", allows_http) ||
                       every_policy(policies, "style-src", allows_http) ||
                       every_policy(policies, "frame-src", allows_http) ||
                       every_policy(policies, "connect-src", allows_http);
    bool passive_http = every_policy(policies, "img-src", allows_http) ||
                        every_policy(policies, "media-src", allows_http);
    auto style_allows_inline = [](const CspDirective *d) { return allows_inline(d, false); };
    bool style_inline = every_policy(policies, "style-src-elem", style_allows_inline) ||
                        every_policy(policies, "style-src-attr", style_allows_inline);

    auto script_detail = [&] {
        bool restricted = std::any_of(policies.begin(), policies.end(), [](const CspPolicy &p) {
            return csp_governing(p, "script-src-elem") != nullptr;
        });
        return restricted ? "'unsafe-inline' without a nonce or hash"
                          : "no script-src or default-src";
    };
    if (script_inline) {
        out.findings.push_back(make_finding("csp-unsafe-inline", k_name, shown, script_detail()));
    }
    if (script_eval && !script_inline) {
        out.findings.push_back(make_finding("csp-unsafe-eval", k_name, shown));
    }
    if ((script_any_host || object_any_host) && !script_inline) {
        out.findings.push_back(make_finding("csp-wildcard-source", k_name, shown,
                                            script_any_host ? "script-src" : "object-src"));
    }
    if (active_http) {
        out.findings.push_back(make_finding("csp-insecure-scheme", k_name, shown));
    } else if (passive_http) {
        out.findings.push_back(make_finding("csp-insecure-scheme-passive", k_name, shown));
    }
    if (every_policy(policies, "object-src", [](auto *d) { return d == nullptr; })) {
        out.findings.push_back(make_finding("csp-missing-object-src", k_name, shown));
    }
    if (!any_policy_has(policies, "frame-ancestors")) {
        out.findings.push_back(make_finding("csp-missing-frame-ancestors", k_name, shown));
    }
    // An injected <base> only matters when scripts may load from relative
    // URLs; a policy whose script sources are 'none' (directly or through
    // default-src) already blocks every script, so base-uri adds nothing.
    bool scripts_blocked = std::any_of(policies.begin(), policies.end(), [](const CspPolicy &p) {
        const auto *d = csp_governing(p, "script-src-elem");
        return d != nullptr && d->sources.size() == 1 && util::iequals(d->sources[0], "'none'");
    });
    if (!any_policy_has(policies, "base-uri") && !scripts_blocked) {
        out.findings.push_back(make_finding("csp-missing-base-uri", k_name, shown));
    }
    if (style_inline && !script_inline) {
        out.findings.push_back(make_finding("csp-unsafe-inline-style", k_name, shown));
    }

    // One Observatory result for the test: the worst that applies.
    bool default_none = std::any_of(policies.begin(), policies.end(), [](const CspPolicy &p) {
        const auto *d = p.find("default-src");
        return d != nullptr && d->sources.size() == 1 && util::iequals(d->sources[0], "'none'");
    });
    if (invalid) {
        add_score(out, std::string(k_test), "csp-header-invalid", -25);
    } else if (script_inline || script_any_host || object_any_host) {
        add_score(out, std::string(k_test), "csp-implemented-with-unsafe-inline", -20);
    } else if (active_http) {
        add_score(out, std::string(k_test), "csp-implemented-with-insecure-scheme", -20);
    } else if (script_eval) {
        add_score(out, std::string(k_test), "csp-implemented-with-unsafe-eval", -10);
    } else if (passive_http) {
        add_score(out, std::string(k_test),
                  "csp-implemented-with-insecure-scheme-in-passive-content-only", -10);
    } else if (style_inline) {
        add_score(out, std::string(k_test), "csp-implemented-with-unsafe-inline-in-style-src-only",
                  0);
    } else if (default_none) {
        add_score(out, std::string(k_test), "csp-implemented-with-no-unsafe-default-src-none", 10);
    } else {
        add_score(out, std::string(k_test), "csp-implemented-with-no-unsafe", 5);
    }
}

void judge_framing(const HttpExchange &exchange, Judgement &out)
{
    constexpr std::string_view k_name = "X-Frame-Options";
    auto policies = enforced_policies(exchange.headers);
    // A load must pass every policy, so one restrictive frame-ancestors is enough.
    bool via_csp = std::any_of(policies.begin(), policies.end(), [](const CspPolicy &p) {
        const auto *d = p.find("frame-ancestors");
        return d != nullptr &&
               std::none_of(d->sources.begin(), d->sources.end(), is_wildcard_source);
    });
    auto values = header_values(exchange.headers, k_name);
    FrameOptions options = parse_frame_options(values);
    std::string shown = join(values, " | ");
    if (via_csp) {
        // HTML: an enforced frame-ancestors makes browsers ignore X-Frame-Options.
        add_score(out, "x-frame-options", "x-frame-options-implemented-via-csp", 5);
        return;
    }
    if (any_policy_has(policies, "frame-ancestors")) {
        // The same rule, with only wildcard frame-ancestors (`*`, `https:`):
        // X-Frame-Options is still ignored, so every site may frame the page.
        out.findings.push_back(
            make_finding("csp-frame-ancestors-wildcard", "Content-Security-Policy",
                         join(header_values(exchange.headers, "Content-Security-Policy"), " | ")));
        add_score(out, "x-frame-options", "x-frame-options-not-implemented", -20);
        return;
    }
    switch (options) {
    case FrameOptions::deny:
    case FrameOptions::sameorigin:
        add_score(out, "x-frame-options", "x-frame-options-sameorigin-or-deny", 0);
        break;
    case FrameOptions::allow_from:
        out.findings.push_back(make_finding("xfo-allow-from", k_name, shown));
        add_score(out, "x-frame-options", "x-frame-options-allow-from-origin", 0);
        break;
    case FrameOptions::absent:
        out.findings.push_back(make_finding("xfo-missing", k_name, ""));
        add_score(out, "x-frame-options", "x-frame-options-not-implemented", -20);
        break;
    case FrameOptions::allowall:
    case FrameOptions::invalid:
        out.findings.push_back(make_finding("xfo-invalid", k_name, shown));
        add_score(out, "x-frame-options", "x-frame-options-header-invalid", -20);
        break;
    }
}

namespace {

void judge_nosniff(const HttpExchange &exchange, Judgement &out)
{
    constexpr std::string_view k_name = "X-Content-Type-Options";
    auto values = header_values(exchange.headers, k_name);
    auto nosniff = parse_nosniff(values);
    if (!nosniff) {
        out.findings.push_back(make_finding("xcto-missing", k_name, ""));
        add_score(out, "x-content-type-options", "x-content-type-options-not-implemented", -5);
    } else if (!*nosniff) {
        out.findings.push_back(make_finding("xcto-invalid", k_name, join(values, " | ")));
        add_score(out, "x-content-type-options", "x-content-type-options-header-invalid", -5);
    } else {
        add_score(out, "x-content-type-options", "x-content-type-options-nosniff", 0);
    }
}

void judge_referrer(const HttpExchange &exchange, Judgement &out)
{
    constexpr std::string_view k_name = "Referrer-Policy";
    constexpr std::string_view k_test = "referrer-policy";
    auto values = header_values(exchange.headers, k_name);
    std::string shown = join(values, " | ");
    if (values.empty()) {
        out.findings.push_back(make_finding("referrer-policy-missing", k_name, ""));
        add_score(out, std::string(k_test), "referrer-policy-not-implemented", 0);
        return;
    }
    auto policy = parse_referrer_policy(values);
    if (!policy) {
        out.findings.push_back(make_finding("referrer-policy-invalid", k_name, shown));
        add_score(out, std::string(k_test), "referrer-policy-header-invalid", -5);
    } else if (*policy == "unsafe-url") {
        out.findings.push_back(make_finding("referrer-policy-unsafe", k_name, shown, *policy));
        add_score(out, std::string(k_test), "referrer-policy-unsafe", -5);
    } else if (*policy == "origin" || *policy == "origin-when-cross-origin") {
        out.findings.push_back(make_finding("referrer-policy-weak", k_name, shown, *policy));
        add_score(out, std::string(k_test), "referrer-policy-unsafe", -5);
    } else if (*policy == "no-referrer-when-downgrade") {
        out.findings.push_back(make_finding("referrer-policy-weak", k_name, shown, *policy));
        add_score(out, std::string(k_test), "referrer-policy-no-referrer-when-downgrade", 0);
    } else {
        add_score(out, std::string(k_test), "referrer-policy-private", 5);
    }
}

void judge_simple_headers(const HttpExchange &exchange, Judgement &out)
{
    auto permissions = header_values(exchange.headers, "Permissions-Policy");
    if (permissions.empty()) {
        out.findings.push_back(
            make_finding("permissions-policy-missing", "Permissions-Policy", ""));
    } else if (auto error = check_permissions_policy(join(permissions, ", "))) {
        out.findings.push_back(make_finding("permissions-policy-invalid", "Permissions-Policy",
                                            join(permissions, " | "), *error));
    }

    auto xxss = header_values(exchange.headers, "X-XSS-Protection");
    if (!xxss.empty() && !(xxss.size() == 1 && util::trim(xxss[0]) == "0")) {
        out.findings.push_back(make_finding("xxss-enabled", "X-XSS-Protection", join(xxss, " | ")));
    }

    struct Token {
        std::string_view header, missing, invalid;
        std::vector<std::string_view> allowed;
    };
    const std::array<Token, 2> k_tokens = {
        Token{"Cross-Origin-Opener-Policy",
              "coop-missing",
              "coop-invalid",
              {"same-origin", "same-origin-allow-popups", "unsafe-none", "noopener-allow-popups"}},
        Token{"Cross-Origin-Embedder-Policy",
              "coep-missing",
              "coep-invalid",
              {"require-corp", "credentialless", "unsafe-none"}},
    };
    for (const auto &token : k_tokens) {
        auto values = header_values(exchange.headers, token.header);
        if (values.empty()) {
            out.findings.push_back(make_finding(token.missing, token.header, ""));
            continue;
        }
        // Both are structured-field items (HTML section 7.1.3, 7.1.4).
        SfParse item = parse_sf_item(join(values, ", "));
        bool ok = item.item && item.item->kind == SfItem::Kind::token &&
                  std::find(token.allowed.begin(), token.allowed.end(), item.item->text) !=
                      token.allowed.end();
        if (!ok) {
            out.findings.push_back(make_finding(token.invalid, token.header, join(values, " | ")));
        }
    }

    auto corp = header_values(exchange.headers, "Cross-Origin-Resource-Policy");
    std::string corp_value = corp.size() == 1 ? std::string(util::trim(corp[0])) : "";
    if (corp.empty()) {
        out.findings.push_back(make_finding("corp-missing", "Cross-Origin-Resource-Policy", ""));
        add_score(out, "cross-origin-resource-policy", "corp-not-implemented", 0);
    } else if (corp_value != "same-origin" && corp_value != "same-site" &&
               corp_value != "cross-origin") {
        out.findings.push_back(
            make_finding("corp-invalid", "Cross-Origin-Resource-Policy", join(corp, " | ")));
        add_score(out, "cross-origin-resource-policy", "corp-header-invalid", -5);
    } else {
        add_score(out, "cross-origin-resource-policy", "corp-implemented-with-" + corp_value, 0);
    }

    if (exchange.authenticated) {
        auto cache = header_values(exchange.headers, "Cache-Control");
        CacheControl cc = parse_cache_control(cache);
        if (!cc.no_store && !cc.is_private) {
            out.findings.push_back(make_finding("cache-control-authenticated-cacheable",
                                                "Cache-Control", join(cache, " | ")));
        } else if (!cc.no_store) {
            out.findings.push_back(make_finding("cache-control-authenticated-stored",
                                                "Cache-Control", join(cache, " | ")));
        }
    }

    for (std::string_view banner :
         {"Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Generator"}) {
        for (const auto &value : header_values(exchange.headers, banner)) {
            if (has_version(value)) {
                out.findings.push_back(make_finding("banner-version", banner, value));
            }
        }
    }
}

void judge_cors(const HttpExchange &exchange, Judgement &out)
{
    auto origins = header_values(exchange.headers, "Access-Control-Allow-Origin");
    auto credentials = header_values(exchange.headers, "Access-Control-Allow-Credentials");
    // Fetch: credentials are allowed only by the exact value "true".
    bool with_credentials = credentials.size() == 1 && util::trim(credentials[0]) == "true";
    if (origins.empty()) {
        add_score(out, "cross-origin-resource-sharing",
                  "cross-origin-resource-sharing-not-implemented", 0);
        return;
    }
    std::string origin(util::trim(origins.front()));
    constexpr std::string_view k_name = "Access-Control-Allow-Origin";
    bool universal = false;
    if (origin == "*") {
        if (with_credentials) {
            out.findings.push_back(make_finding("cors-wildcard-with-credentials", k_name, origin));
        }
    } else if (!exchange.probe_origin.empty() && origin == exchange.probe_origin) {
        universal = with_credentials;
        out.findings.push_back(make_finding(
            with_credentials ? "cors-reflected-origin-with-credentials" : "cors-reflected-origin",
            k_name, origin, "the probe Origin " + exchange.probe_origin + " was echoed"));
    } else if (origin == "null" && with_credentials) {
        universal = true;
        out.findings.push_back(make_finding("cors-null-origin-with-credentials", k_name, origin));
    }
    if (universal) {
        add_score(out, "cross-origin-resource-sharing",
                  "cross-origin-resource-sharing-implemented-with-universal-access", -50);
    } else {
        add_score(out, "cross-origin-resource-sharing",
                  origin == "*"
                      ? "cross-origin-resource-sharing-implemented-with-public-access"
                      : "cross-origin-resource-sharing-implemented-with-restricted-access",
                  0);
    }
}

} // namespace

void judge_cookies(const HttpExchange &exchange, Judgement &out)
{
    constexpr std::string_view k_name = "Set-Cookie";
    auto values = header_values(exchange.headers, k_name);
    if (values.empty()) {
        add_score(out, "cookies", "cookies-not-found", 0);
        return;
    }
    bool protected_by_hsts = exchange.https && hsts_protects(exchange.headers);
    int worst = INT_MAX;
    std::string worst_result;
    auto result = [&](std::string name, int modifier) {
        if (modifier < worst) {
            worst = modifier;
            worst_result = std::move(name);
        }
    };
    bool all_same_site = true;

    int64_t now = static_cast<int64_t>(std::time(nullptr));
    bool any_set = false;
    for (const auto &value : values) {
        Cookie cookie = parse_set_cookie(value);
        if (cookie.deletes(now)) {
            // A logout's `sid=; Max-Age=0` stores nothing; its flags protect
            // nothing (the Observatory's cookie jar drops it the same way).
            continue;
        }
        any_set = true;
        std::string shown = redact_cookie(value);
        std::string who = "cookie " + (cookie.name.empty() ? "(nameless)" : cookie.name);
        bool session = is_session_cookie_name(cookie.name);

        // RFC 6265bis section 5.7: the prefixes match case-insensitively.
        std::string lower_name = util::to_lower(cookie.name);
        bool secure_prefix = lower_name.rfind("__secure-", 0) == 0;
        bool host_prefix = lower_name.rfind("__host-", 0) == 0;
        if ((secure_prefix && !cookie.secure) ||
            (host_prefix && (!cookie.secure || cookie.domain || cookie.path != "/"))) {
            out.findings.push_back(make_finding("cookie-prefix-violation", k_name, shown, who));
        }
        if (!cookie.secure) {
            out.findings.push_back(make_finding(
                session ? "cookie-session-no-secure" : "cookie-no-secure", k_name, shown, who));
            if (session) {
                result(protected_by_hsts
                           ? "cookies-session-without-secure-flag-but-protected-by-hsts"
                           : "cookies-session-without-secure-flag",
                       protected_by_hsts ? -10 : -40);
            } else {
                result(protected_by_hsts ? "cookies-without-secure-flag-but-protected-by-hsts"
                                         : "cookies-without-secure-flag",
                       protected_by_hsts ? -5 : -20);
            }
        }
        if (session && !cookie.http_only) {
            out.findings.push_back(make_finding("cookie-session-no-httponly", k_name, shown, who));
            result("cookies-session-without-httponly-flag", -10);
        }
        if (cookie.same_site_present && !cookie.same_site) {
            out.findings.push_back(make_finding("cookie-samesite-invalid", k_name, shown,
                                                who + ": SameSite=\"" + cookie.same_site_raw +
                                                    "\" is not Strict, Lax or None"));
            result("cookies-samesite-flag-invalid", -20);
            all_same_site = false;
        } else if (!cookie.same_site_present) {
            out.findings.push_back(make_finding("cookie-samesite-missing", k_name, shown, who));
            all_same_site = false;
            if (util::to_lower(cookie.name).find("csrf") != std::string::npos) {
                result("cookies-anticsrf-without-samesite-flag", -20);
            }
        } else if (*cookie.same_site == "none" && !cookie.secure) {
            out.findings.push_back(
                make_finding("cookie-samesite-none-insecure", k_name, shown, who));
            result("cookies-samesite-flag-invalid", -20);
        }
    }
    if (!any_set) {
        add_score(out, "cookies", "cookies-not-found", 0);
        return;
    }
    if (worst_result.empty()) {
        if (all_same_site) {
            result("cookies-secure-with-httponly-sessions-and-samesite", 5);
        } else {
            result("cookies-secure-with-httponly-sessions", 0);
        }
    }
    add_score(out, "cookies", worst_result, worst);
}

Judgement judge_headers(const HttpExchange &exchange)
{
    Judgement out;
    judge_hsts(exchange, out);
    judge_csp(exchange, out);
    judge_framing(exchange, out);
    judge_nosniff(exchange, out);
    judge_referrer(exchange, out);
    judge_cookies(exchange, out);
    judge_cors(exchange, out);
    judge_simple_headers(exchange, out);
    return out;
}

Judgement judge_redirects(const std::vector<std::string> &chain)
{
    Judgement out;
    constexpr std::string_view k_test = "redirection";
    if (chain.empty()) {
        return out;
    }
    auto first = parse_url(chain.front());
    auto final_url = parse_url(chain.back());
    if (!first || !final_url) {
        return out;
    }
    std::string path = join(chain, " -> ");
    if (chain.size() == 1) {
        out.findings.push_back(make_finding("redirect-missing", "", chain.front()));
        add_score(out, std::string(k_test), "redirection-missing", -20);
        return out;
    }
    if (chain.size() > 3) {
        out.findings.push_back(make_finding("redirect-many-hops", "", path,
                                            std::to_string(chain.size() - 1) + " redirects"));
    }
    auto hop = parse_url(chain[1]);
    if (!final_url->https()) {
        out.findings.push_back(make_finding("redirect-not-to-https", "", path));
        add_score(out, std::string(k_test), "redirection-not-to-https", -20);
    } else if (!hop || !hop->https()) {
        out.findings.push_back(
            make_finding("redirect-first-hop-not-https", "", path, "the first hop is not https"));
        add_score(out, std::string(k_test), "redirection-not-to-https-on-initial-redirection", -10);
    } else if (hop->host != first->host) {
        out.findings.push_back(make_finding("redirect-first-hop-not-https", "", path,
                                            "the first hop leaves host " + first->host));
        add_score(out, std::string(k_test), "redirection-off-host-from-http", -5);
    } else {
        add_score(out, std::string(k_test), "redirection-to-https", 0);
    }
    return out;
}

Findings judge_tls(const TlsFacts &facts)
{
    Findings out;
    if (facts.accepts_tls10) {
        out.push_back(make_finding("tls-1.0-accepted", "", "TLSv1"));
    }
    if (facts.accepts_tls11) {
        out.push_back(make_finding("tls-1.1-accepted", "", "TLSv1.1"));
    }
    if (facts.accepts_tls12) {
        out.push_back(make_finding("tls-1.2-accepted", "", "TLSv1.2"));
    }
    bool tls13 = facts.version == "TLSv1.3";
    if (!tls13 && facts.cipher.rfind("ECDHE", 0) != 0 && facts.cipher.rfind("DHE", 0) != 0) {
        out.push_back(make_finding("tls-no-forward-secrecy", "", facts.cipher));
    }
    if (facts.insecure) {
        out.push_back(make_finding("tls-verification-disabled", "", ""));
    }
    if (!facts.chain_valid) {
        out.push_back(make_finding("tls-cert-untrusted", "", facts.chain_error, facts.chain_error));
    }
    if (!facts.hostname_matches) {
        out.push_back(make_finding("tls-cert-hostname-mismatch", "", ""));
    }
    std::string days = std::to_string(facts.days_to_expiry) + " days";
    if (facts.days_to_expiry < 0) {
        out.push_back(make_finding("tls-cert-expired", "", days));
    } else if (facts.days_to_expiry < 14) {
        out.push_back(make_finding("tls-cert-expires-soon", "", days));
    }
    bool weak = (facts.key_type == "RSA" && facts.key_bits < 2048) ||
                (facts.key_type == "EC" && facts.key_bits < 256) || facts.key_type == "DSA";
    if (weak) {
        out.push_back(make_finding("tls-weak-key", "",
                                   facts.key_type + " " + std::to_string(facts.key_bits)));
    }
    if (!facts.ocsp_stapled && facts.ocsp_responder) {
        out.push_back(make_finding("tls-no-ocsp-staple", "", ""));
    }
    return out;
}

} // namespace rcommerce::audit
