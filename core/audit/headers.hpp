// Parsers for the security-relevant response headers, each by its own grammar.
//
// These functions never throw on hostile input and never read past the value
// they are given: they are the fuzz targets in tests/fuzz/. They parse; judging
// the parsed values is rules.hpp's job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rcommerce::audit {

// Response headers in the order received; names keep their case, duplicates kept.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Every value of header `name` (case-insensitive), in order.
[[nodiscard]] std::vector<std::string> header_values(const HeaderList &headers,
                                                     std::string_view name);

// "a, b" from several header lines -> {"a", "b"}: the HTTP list form
// (RFC 9110 section 5.6.1), trimmed, empty members dropped, quotes respected.
[[nodiscard]] std::vector<std::string> split_header_list(const std::vector<std::string> &values);

// Strict-Transport-Security, RFC 6797 section 6.1. Directive names are
// case-insensitive, values token or quoted-string, each directive at most once,
// max-age required and made of digits (values above 2^31 are clamped, as
// RFC 9111 section 1.2.2 does for delta-seconds).
struct Hsts {
    bool valid = false;
    int64_t max_age = 0;
    bool include_subdomains = false;
    bool preload = false;
    std::string error; // why it is invalid
};
[[nodiscard]] Hsts parse_hsts(std::string_view value);

// Content-Security-Policy, CSP Level 3 section 2.2.1: a header value is a
// comma-separated list of policies, each a ';'-separated list of directives.
struct CspDirective {
    std::string name; // lowercased
    std::vector<std::string> sources;
};
struct CspPolicy {
    std::vector<CspDirective> directives; // first occurrence of each name only
    std::vector<std::string> repeated;    // names seen again (ignored, first wins)
    std::vector<std::string> malformed;   // names that are not directive-name tokens
    std::vector<std::string> unknown;     // well-formed names no browser knows

    [[nodiscard]] const CspDirective *find(std::string_view name) const;
};
[[nodiscard]] std::vector<CspPolicy> parse_csp(std::string_view value);

// True for a directive name defined by CSP Level 3 or its extensions.
[[nodiscard]] bool is_known_csp_directive(std::string_view name);

// X-Frame-Options, HTML's "check a navigation response's adherence to
// X-Frame-Options": all values of all header lines form one set.
enum class FrameOptions { absent, deny, sameorigin, allow_from, allowall, invalid };
[[nodiscard]] FrameOptions parse_frame_options(const std::vector<std::string> &values);

// X-Content-Type-Options, Fetch "determine nosniff": only the first list member
// counts. nullopt when absent, else whether it is nosniff.
[[nodiscard]] std::optional<bool> parse_nosniff(const std::vector<std::string> &values);

// Referrer-Policy, W3C Referrer Policy section 8.1: the last recognised token
// wins. nullopt when no token is recognised (or the header is absent).
[[nodiscard]] std::optional<std::string>
parse_referrer_policy(const std::vector<std::string> &values);

// RFC 8941 structured fields, the subset the audit needs.
enum class SfKind { integer, decimal, string, token, bytes, boolean, inner_list };
// A bare item: what a parameter's value can be.
struct SfBareItem {
    SfKind kind = SfKind::token;
    std::string text;     // string/token/bytes content; integer/decimal digits
    bool boolean = false; // for SfKind::boolean
};
struct SfItem {
    using Kind = SfKind;
    Kind kind = Kind::token;
    std::string text;
    bool boolean = false;
    std::vector<SfItem> inner; // for Kind::inner_list
    std::vector<std::pair<std::string, SfBareItem>> params;
};
struct SfParse {
    std::optional<std::string> error;                    // set when parsing failed
    std::vector<std::pair<std::string, SfItem>> members; // dictionary members in order
    std::optional<SfItem> item;                          // for parse_sf_item
};
// RFC 8941 section 4.2 with section 4.2.2 (dictionary) and 4.2.3 (item).
[[nodiscard]] SfParse parse_sf_dictionary(std::string_view value);
[[nodiscard]] SfParse parse_sf_item(std::string_view value);

// Permissions-Policy (W3C Permissions Policy section 5.2): a dictionary whose
// values are an allowlist: `*`, `self`, or origin strings, alone or in an inner
// list. Returns why it is invalid, or nullopt when valid.
[[nodiscard]] std::optional<std::string> check_permissions_policy(std::string_view value);

// Set-Cookie, RFC 6265bis section 5.6.
struct Cookie {
    std::string name;
    std::string value;
    bool secure = false;
    bool http_only = false;
    bool same_site_present = false;
    std::optional<std::string> same_site; // "strict", "lax" or "none"; nullopt if invalid
    std::string same_site_raw;
    std::optional<std::string> domain;
    std::optional<std::string> path;
    // Max-Age (section 5.6.2) wins over Expires (5.6.1); both nullopt when absent
    // or ignored as malformed.
    std::optional<int64_t> max_age;
    std::optional<int64_t> expires; // seconds since the epoch, UTC

    // The response deletes the cookie instead of setting it (Max-Age <= 0, or
    // Expires before `now`): nothing is stored, so its attributes do not matter.
    [[nodiscard]] bool deletes(int64_t now) const;
};
[[nodiscard]] Cookie parse_set_cookie(std::string_view value);

// RFC 6265bis section 5.1.1, the lenient cookie-date algorithm: seconds since
// the epoch, or nullopt when the text is no date.
[[nodiscard]] std::optional<int64_t> parse_cookie_date(std::string_view text);

// Cache-Control, RFC 9111 section 5.2: directive names case-insensitive.
struct CacheControl {
    bool no_store = false;
    bool is_private = false;
    bool no_cache = false;
    bool is_public = false;
};
[[nodiscard]] CacheControl parse_cache_control(const std::vector<std::string> &values);

} // namespace rcommerce::audit
