// Parsers for what an ACME server sends back: problem documents (RFC 8555
// section 6.7, RFC 7807), Link headers (RFC 8288), Retry-After (RFC 9110
// section 10.2.3) and the directory (RFC 8555 section 7.1.1).
//
// Everything here takes untrusted text and never throws on it: a malformed
// input yields nullopt or an empty result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcommerce::acme {

inline constexpr std::string_view k_error_prefix = "urn:ietf:params:acme:error:";

struct Subproblem {
    std::string type;
    std::string detail;
    std::string identifier; // the identifier's value, empty if none
};

struct Problem {
    std::string type; // full URN, e.g. urn:ietf:params:acme:error:badNonce
    std::string detail;
    int status = 0;
    std::vector<Subproblem> subproblems;

    // True when the type is the ACME error `name` ("badNonce").
    [[nodiscard]] bool is(std::string_view name) const;
    // "rateLimited: too many certificates (example.com: ...)", for people.
    [[nodiscard]] std::string describe() const;
};

// A problem document; nullopt when `body` is not a JSON object with a
// string "type".
[[nodiscard]] std::optional<Problem> parse_problem(std::string_view body);

struct Link {
    std::string uri;
    std::string rel;
};

// Every `<uri>; rel="x"` in one Link header value (comma-separated).
[[nodiscard]] std::vector<Link> parse_link_header(std::string_view value);

// Seconds to wait from a Retry-After value: delta-seconds or an IMF-fixdate
// (relative to `now`, never negative); nullopt if unreadable.
[[nodiscard]] std::optional<int64_t> parse_retry_after(std::string_view value, int64_t now);

struct Directory {
    std::string new_nonce;
    std::string new_account;
    std::string new_order;
    std::string revoke_cert;
    std::string key_change;
    std::string renewal_info; // RFC 9773, empty when not offered
    std::string terms_of_service;
    bool external_account_required = false;
};

// The directory object; nullopt unless newNonce, newAccount and newOrder are
// all present strings.
[[nodiscard]] std::optional<Directory> parse_directory(std::string_view body);

// RFC 9773 section 4.2: the suggested window, as Unix seconds.
struct RenewalWindow {
    int64_t start = 0;
    int64_t end = 0;
};
[[nodiscard]] std::optional<RenewalWindow> parse_renewal_info(std::string_view body);

} // namespace rcommerce::acme
