// Domain names as ACME identifiers (RFC 8555 section 7.1.4, RFC 5890).
#pragma once

#include "core/util/result.hpp"

#include <string>
#include <string_view>

namespace rcommerce::acme {

// Whether a name must have at least two labels: a certificate's names must
// (a CA never signs "localhost"), a host name this server answers to need not.
enum class Dots { required, optional };

// The A-label form of `name` ("bücher.example" -> "xn--bcher-kva.example"),
// lower-cased, with a leading "*." kept for wildcards. Fails with
// `invalid_domain` for anything that is not a valid host name, an IPv4
// address included.
[[nodiscard]] Result<std::string> to_a_label(std::string_view name, Dots dots = Dots::required);

[[nodiscard]] bool is_wildcard(std::string_view name);

// The store folder name for a certificate whose first name is `a_label`:
// `*` becomes `_wildcard_`.
[[nodiscard]] std::string folder_name(std::string_view a_label);

} // namespace rcommerce::acme
