#include "core/audit/finding.hpp"

#include "core/util/strings.hpp"

#include <array>
#include <stdexcept>

namespace rcommerce::audit {

namespace {

using enum Severity;

// The catalogue. Order is stable: append new rules at the end of their group.
constexpr std::array k_rules = {
    // Strict-Transport-Security (RFC 6797)
    Rule{"hsts-missing", high, "HTTPS response without Strict-Transport-Security",
         "send Strict-Transport-Security: max-age=63072000; includeSubDomains"},
    Rule{"hsts-invalid", high, "Strict-Transport-Security does not parse, so browsers ignore it",
         "send exactly: max-age=<seconds>[; includeSubDomains][; preload]"},
    Rule{"hsts-max-age-zero", high, "max-age=0 tells browsers to forget the HSTS policy",
         "set max-age to at least 31536000 (one year)"},
    Rule{"hsts-max-age-too-short", medium, "HSTS max-age is under six months (15552000 s)",
         "set max-age to at least 31536000 (one year)"},
    Rule{"hsts-no-include-subdomains", low, "HSTS does not cover subdomains",
         "add includeSubDomains once every subdomain serves HTTPS"},
    Rule{"hsts-not-preload-ready", info, "HSTS does not qualify for the browsers' preload list",
         "use max-age>=31536000; includeSubDomains; preload, then submit the domain"},
    Rule{"hsts-multiple-headers", medium,
         "several Strict-Transport-Security headers; only the "
         "first is used (RFC 6797 section 8.1)",
         "send one Strict-Transport-Security header"},
    Rule{"hsts-over-http", low, "Strict-Transport-Security sent over plain HTTP is ignored",
         "send HSTS on HTTPS responses only; redirect HTTP to HTTPS"},
    // Content-Security-Policy (CSP Level 3)
    Rule{"csp-missing", medium, "no enforced Content-Security-Policy",
         "send Content-Security-Policy: default-src 'none'; frame-ancestors 'none'; "
         "base-uri 'none'"},
    Rule{"csp-report-only-alone", medium,
         "only Content-Security-Policy-Report-Only is sent; nothing is enforced",
         "also send the policy as Content-Security-Policy once reports are clean"},
    Rule{"csp-malformed", high,
         "a policy contains text that is not a directive (for example the "
         "header name or quotes) or a non-ASCII byte; that part is ignored",
         "send only directives: name source source; name source"},
    Rule{"csp-unknown-directive", low, "a directive name is not one browsers know",
         "remove the directive or fix its spelling"},
    Rule{"csp-directive-repeated", low, "a directive is repeated in one policy; the first wins",
         "merge the sources into one directive"},
    Rule{"csp-unsafe-inline", high,
         "scripts may run inline ('unsafe-inline' without a nonce or "
         "hash, or no script restriction)",
         "remove 'unsafe-inline' from script-src and use nonces or hashes"},
    Rule{"csp-unsafe-eval", medium, "'unsafe-eval' lets scripts turn strings into code",
         "remove 'unsafe-eval' from script-src"},
    Rule{"csp-wildcard-source", high,
         "scripts or plugins may load from any host (a wildcard or scheme-only source)",
         "list exact origins, or use nonces with 'strict-dynamic'"},
    Rule{"csp-insecure-scheme", high, "scripts or plugins may load over plain http:",
         "replace http: sources with https: origins"},
    Rule{"csp-insecure-scheme-passive", low,
         "images or media may load over plain http:", "replace http: sources with https: origins"},
    Rule{"csp-missing-object-src", medium,
         "plugins are not restricted (no object-src, no default-src)", "add object-src 'none'"},
    Rule{"csp-missing-frame-ancestors", low, "no frame-ancestors directive",
         "add frame-ancestors 'none' (or 'self')"},
    Rule{"csp-missing-base-uri", low,
         "no base-uri directive; an injected <base> can redirect "
         "relative script URLs",
         "add base-uri 'none' (or 'self')"},
    Rule{"csp-unsafe-inline-style", info, "styles may be inline ('unsafe-inline' in style-src)",
         "move inline styles to files, or use nonces or hashes"},
    // Framing
    Rule{"xfo-missing", medium,
         "framing is not restricted (no X-Frame-Options, no "
         "frame-ancestors)",
         "send Content-Security-Policy: frame-ancestors 'none' (and X-Frame-Options: DENY)"},
    Rule{"xfo-invalid", medium, "X-Frame-Options has a value browsers do not honour",
         "send X-Frame-Options: DENY or SAMEORIGIN"},
    Rule{"xfo-allow-from", medium, "X-Frame-Options ALLOW-FROM is ignored by current browsers",
         "use Content-Security-Policy: frame-ancestors <origin>"},
    Rule{"csp-frame-ancestors-wildcard", medium,
         "frame-ancestors lets any site frame the page (a wildcard or scheme-only source), and "
         "browsers then ignore X-Frame-Options",
         "use frame-ancestors 'none' (or 'self' and exact origins)"},
    // Other response headers
    Rule{"xcto-missing", low, "no X-Content-Type-Options: nosniff",
         "send X-Content-Type-Options: nosniff"},
    Rule{"xcto-invalid", low, "X-Content-Type-Options does not start with nosniff",
         "send X-Content-Type-Options: nosniff"},
    Rule{"referrer-policy-unsafe", medium,
         "Referrer-Policy unsafe-url leaks full URLs, also "
         "over HTTP",
         "send Referrer-Policy: strict-origin-when-cross-origin (or no-referrer)"},
    Rule{"referrer-policy-weak", low,
         "Referrer-Policy sends more than the origin cross-site, or "
         "the origin over HTTP",
         "send Referrer-Policy: strict-origin-when-cross-origin (or no-referrer)"},
    Rule{"referrer-policy-invalid", low, "Referrer-Policy has no recognised token",
         "send Referrer-Policy: strict-origin-when-cross-origin"},
    Rule{"referrer-policy-missing", info,
         "no Referrer-Policy; browsers default to "
         "strict-origin-when-cross-origin",
         "send Referrer-Policy: strict-origin-when-cross-origin (or no-referrer)"},
    Rule{"permissions-policy-invalid", low,
         "Permissions-Policy is not a valid structured-field dictionary; browsers ignore it",
         "use the form: camera=(), geolocation=(self \"https://a.example\")"},
    Rule{"permissions-policy-missing", info, "no Permissions-Policy",
         "send Permissions-Policy: camera=(), microphone=(), geolocation=()"},
    Rule{"xxss-enabled", low,
         "X-XSS-Protection enables an obsolete filter that itself caused "
         "leaks",
         "send X-XSS-Protection: 0 or omit it; rely on Content-Security-Policy"},
    Rule{"coop-missing", info, "no Cross-Origin-Opener-Policy",
         "send Cross-Origin-Opener-Policy: same-origin"},
    Rule{"coop-invalid", low, "Cross-Origin-Opener-Policy has an unknown value",
         "send Cross-Origin-Opener-Policy: same-origin"},
    Rule{"coep-missing", info, "no Cross-Origin-Embedder-Policy",
         "send Cross-Origin-Embedder-Policy: require-corp when cross-origin isolation is wanted"},
    Rule{"coep-invalid", low, "Cross-Origin-Embedder-Policy has an unknown value",
         "send Cross-Origin-Embedder-Policy: require-corp (or credentialless)"},
    Rule{"corp-missing", info, "no Cross-Origin-Resource-Policy",
         "send Cross-Origin-Resource-Policy: same-origin (or same-site)"},
    Rule{"corp-invalid", low, "Cross-Origin-Resource-Policy has an unknown value",
         "send Cross-Origin-Resource-Policy: same-origin, same-site or cross-origin"},
    Rule{"cache-control-authenticated-cacheable", medium,
         "an authenticated response may be stored by shared caches",
         "send Cache-Control: no-store on authenticated responses"},
    Rule{"cache-control-authenticated-stored", low,
         "an authenticated response may be stored by the browser (private without no-store)",
         "send Cache-Control: no-store on authenticated responses"},
    // Cookies (RFC 6265bis)
    Rule{"cookie-session-no-secure", high, "a session cookie is set without Secure",
         "add Secure to the cookie"},
    Rule{"cookie-no-secure", medium, "a cookie is set without Secure", "add Secure to the cookie"},
    Rule{"cookie-session-no-httponly", medium,
         "a session cookie is readable by scripts (no "
         "HttpOnly)",
         "add HttpOnly to the cookie"},
    Rule{"cookie-samesite-missing", low, "a cookie has no SameSite attribute",
         "add SameSite=Lax (or Strict)"},
    Rule{"cookie-samesite-invalid", medium, "a cookie's SameSite attribute has no valid value",
         "use SameSite=Strict, Lax or None"},
    Rule{"cookie-samesite-none-insecure", medium,
         "SameSite=None without Secure; browsers reject the cookie", "add Secure to the cookie"},
    Rule{"cookie-prefix-violation", medium,
         "a __Secure- or __Host- cookie breaks its prefix's rules; browsers reject it",
         "__Secure-: add Secure; __Host-: Secure, Path=/ and no Domain"},
    // CORS
    Rule{"cors-wildcard-with-credentials", medium,
         "Access-Control-Allow-Origin: * together with Allow-Credentials: true",
         "list allowed origins explicitly and send credentials only to them"},
    Rule{"cors-reflected-origin-with-credentials", high,
         "any Origin is reflected with Allow-Credentials: true; any site can read responses",
         "compare Origin against an allow-list before echoing it"},
    Rule{"cors-reflected-origin", low, "any Origin is reflected in Access-Control-Allow-Origin",
         "compare Origin against an allow-list before echoing it"},
    Rule{"cors-null-origin-with-credentials", high,
         "Access-Control-Allow-Origin: null with credentials; sandboxed pages can read responses",
         "never allow the null origin"},
    // Banners
    Rule{"banner-version", low, "a response header reveals the product version",
         "remove the version (nginx: server_tokens off; remove X-Powered-By)"},
    // TLS
    Rule{"tls-1.0-accepted", high, "the server accepts TLS 1.0",
         "disable TLS 1.0 (nginx: ssl_protocols TLSv1.2 TLSv1.3)"},
    Rule{"tls-1.1-accepted", high, "the server accepts TLS 1.1",
         "disable TLS 1.1 (nginx: ssl_protocols TLSv1.2 TLSv1.3)"},
    Rule{"tls-1.2-accepted", low, "the server accepts TLS 1.2",
         "accept only TLS 1.3 where every client supports it (nginx: ssl_protocols TLSv1.3)"},
    Rule{"tls-no-forward-secrecy", medium, "the negotiated cipher suite has no forward secrecy",
         "prefer ECDHE suites"},
    Rule{"tls-cert-untrusted", high, "the certificate chain does not verify",
         "serve the full chain from a trusted CA"},
    Rule{"tls-cert-hostname-mismatch", high, "the certificate does not name the host",
         "issue a certificate that covers the host name"},
    Rule{"tls-cert-expired", high, "the certificate has expired", "renew the certificate"},
    Rule{"tls-cert-expires-soon", medium, "the certificate expires within 14 days",
         "renew the certificate (rcommerce cert renew)"},
    Rule{"tls-weak-key", high,
         "the certificate key is too small (RSA under 2048 bits, EC under "
         "256)",
         "use an EC P-256 or RSA 2048+ key"},
    Rule{"tls-no-ocsp-staple", info,
         "no OCSP response is stapled, though the certificate names an OCSP responder",
         "enable OCSP stapling (nginx: ssl_stapling on; rcommerce: [tls] ocsp_stapling)"},
    Rule{"tls-verification-disabled", info,
         "--insecure: the certificate was not required to "
         "verify",
         "drop --insecure, or pass --ca-file with the issuing CA"},
    // Redirects for http:// URLs
    Rule{"redirect-missing", high, "the http:// URL does not redirect to HTTPS",
         "answer every http:// request with 301 to the https:// URL"},
    Rule{"redirect-first-hop-not-https", medium,
         "the first redirect does not go to https:// on the same host",
         "redirect first to https:// on the same host, so HSTS can be set"},
    Rule{"redirect-not-to-https", high, "the redirects end on a plain http:// page",
         "redirect to the https:// URL"},
    Rule{"redirect-many-hops", info, "more than two redirects before the final page",
         "redirect straight to the final URL"},
    // --expect policy
    Rule{"expect-header-missing", high, "a header required by the --expect policy is missing",
         "send the header the policy requires"},
    Rule{"expect-header-mismatch", high, "a header's value does not match the --expect policy",
         "send the value the policy requires"},
    Rule{"expect-header-forbidden", high, "a header forbidden by the --expect policy is present",
         "stop sending the header"},
};

} // namespace

std::string_view to_string(Severity severity)
{
    switch (severity) {
    case Severity::info:
        return "info";
    case Severity::low:
        return "low";
    case Severity::medium:
        return "medium";
    case Severity::high:
        return "high";
    }
    return "info";
}

std::optional<Severity> parse_severity(std::string_view text)
{
    std::string lower = util::to_lower(text);
    for (auto severity : {info, low, medium, high}) {
        if (lower == to_string(severity)) {
            return severity;
        }
    }
    return std::nullopt;
}

std::span<const Rule> all_rules()
{
    return k_rules;
}

size_t rule_index(std::string_view id)
{
    for (size_t i = 0; i < k_rules.size(); ++i) {
        if (k_rules[i].id == id) {
            return i;
        }
    }
    throw std::logic_error("audit rule not in the catalogue: " + std::string(id));
}

const Rule &rule(std::string_view id)
{
    return k_rules[rule_index(id)];
}

Finding make_finding(std::string_view id, std::string_view header, std::string_view value,
                     std::string detail)
{
    const Rule &r = rule(id);
    return Finding{std::string(r.id),  r.severity,        std::string(header),
                   std::string(value), std::move(detail), std::string(r.fix)};
}

bool has_finding(const Findings &findings, std::string_view id)
{
    for (const auto &finding : findings) {
        if (finding.id == id) {
            return true;
        }
    }
    return false;
}

} // namespace rcommerce::audit
