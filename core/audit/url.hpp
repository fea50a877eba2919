// The small part of URL handling the audit needs (RFC 3986): split an absolute
// http(s) URL, and resolve a redirect's Location against it.
#pragma once

#include "core/util/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace rcommerce::audit {

struct Url {
    std::string scheme; // "http" or "https", lowercased
    std::string host;   // lowercased A-label (see normalize_host); IPv6 without brackets
    uint16_t port = 0;  // explicit or the scheme's default
    std::string target; // path and query, at least "/"

    [[nodiscard]] bool https() const { return scheme == "https"; }
    // host, bracketed if IPv6, with ":port" unless it is the scheme default.
    [[nodiscard]] std::string authority() const;
    [[nodiscard]] std::string str() const;
};

// A host as it goes on the wire: lowercased, and an internationalised name
// ("bücher.example") as its A-label ("xn--bcher-kva.example"). ASCII names
// are kept as given (internal names may hold '_'). Fails for a non-ASCII name
// that IDNA refuses.
[[nodiscard]] Result<std::string> normalize_host(std::string_view host);

// Fails (validation, code "bad_url") for anything but an absolute http(s) URL.
[[nodiscard]] Result<Url> parse_url(std::string_view text);

// The absolute URL a Location header points to (RFC 9110 section 10.2.2).
[[nodiscard]] Result<Url> resolve_location(const Url &base, std::string_view location);

} // namespace rcommerce::audit
