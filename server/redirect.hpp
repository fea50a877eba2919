// The plain-HTTP listener's routes: ACME HTTP-01 challenge answers from the
// challenge store, and a 308 to the HTTPS origin for everything else, but
// only for a Host this server answers for.
#pragma once

#include "core/config/config.hpp"

#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

namespace rcommerce::server {

// The https:// URL an http:// request for `host_header` and `target` should
// go to, or nullopt when the Host (port stripped, case-insensitive) is not
// one of server.domains ("*.example.com" covers one label), or, when
// domains is empty, not localhost, 127.0.0.1 or [::1]. `target` must be
// origin-form (start with "/"); path and query are kept as sent.
[[nodiscard]] std::optional<std::string> https_redirect_url(const config::Config &config,
                                                            std::string_view host_header,
                                                            std::string_view target);

// Token syntax of RFC 8555 section 8.3: base64url characters only.
[[nodiscard]] bool valid_challenge_token(std::string_view token);

// The HTTP listener's whole routing, as a pre-routing handler that answers
// every request. `config` must outlive it.
[[nodiscard]] httplib::Server::HandlerWithResponse redirect_handler(const config::Config &config);

} // namespace rcommerce::server
