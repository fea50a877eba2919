// The security-header policy: which headers every HTTPS response carries,
// built once from [tls.hsts] and [security_headers]. The server's middleware
// applies it; `check-headers` can compare a live endpoint against it.
#pragma once

#include "core/config/config.hpp"

#include <string>
#include <utility>
#include <vector>

namespace rcommerce::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

enum class Scheme { http, https };

// The Strict-Transport-Security value (RFC 6797 section 6.1), or empty when
// HSTS is off. `preload` is only emitted with max-age of a year or more and
// includeSubDomains (config validation enforces both).
[[nodiscard]] std::string hsts_value(const config::HstsConfig &hsts);

// Every security header for a response on `scheme`, in a stable order.
// HSTS only over HTTPS (RFC 6797 section 7.2: ignored and meaningless over
// HTTP). Headers whose configured value is empty are left out; with
// security_headers.enabled = false only HSTS remains.
[[nodiscard]] HeaderList security_headers(const config::Config &config, Scheme scheme);

// Warnings an operator should see at start (preload, the legacy XSS filter).
[[nodiscard]] std::vector<std::string> policy_warnings(const config::Config &config);

} // namespace rcommerce::http
