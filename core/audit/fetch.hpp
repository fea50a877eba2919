// The network side of the audit: one HTTP/1.1 request over TCP or TLS, with the
// TLS facts of the handshake, and separate handshakes that probe which old
// protocol versions a server still accepts.
//
// Raw OpenSSL rather than an HTTP library, because the audit needs what those
// hide: the negotiated group, the stapled OCSP response, the verification
// result without failing on it, and handshakes pinned to one version.
#pragma once

#include "core/audit/headers.hpp"
#include "core/audit/rules.hpp"
#include "core/audit/url.hpp"
#include "core/util/result.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rcommerce::audit {

// --resolve HOST:PORT:ADDRESS, as curl takes it.
struct ResolveOverride {
    std::string host;
    uint16_t port = 0;
    std::string address;
};
// Fails (validation) unless the text is HOST:PORT:ADDRESS; ADDRESS may be [v6].
[[nodiscard]] Result<ResolveOverride> parse_resolve(std::string_view text);

// --header 'Name: value'. Fails (validation) on a missing colon, an empty or
// non-token name, or control characters.
[[nodiscard]] Result<std::pair<std::string, std::string>>
parse_header_option(std::string_view text);

struct FetchOptions {
    std::chrono::milliseconds timeout{10000};
    bool insecure = false; // go on when the certificate does not verify
    std::string ca_file;   // empty: the system store
    std::vector<ResolveOverride> resolve;
    HeaderList extra_headers; // sent with every request
    std::string probe_origin; // sent as Origin; "" sends none
    std::string user_agent = "rcommerce-check-headers";
};

struct HttpResponse {
    int status = 0;
    HeaderList headers;
    std::optional<TlsFacts> tls; // set for https
};

// The length of the first response head in `buffer`, up to and including its
// empty line (CRLF or bare LF line ends), or nullopt when it is incomplete.
[[nodiscard]] std::optional<size_t> response_head_end(std::string_view buffer);

// The status line and header fields of an HTTP/1.x response head (RFC 9112
// sections 4 and 5, obsolete line folding joined with a space, bare LF taken as
// a line end). Parsing stops at the first empty line. Fails (unavailable, "unreachable") when it is
// not HTTP.
[[nodiscard]] Result<HttpResponse> parse_response_head(const Url &url, std::string_view head);

// GET `url` once (no redirects followed). Errors: kind unavailable, code
// "unreachable" for DNS, connection, timeout and TLS failures (including a
// certificate that does not verify, unless options.insecure); kind validation
// for an unreadable --ca-file.
[[nodiscard]] Result<HttpResponse> fetch_once(const Url &url, const FetchOptions &options);

// Whether the server completes a handshake pinned to `version`
// (TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION). The probe runs at OpenSSL
// security level 0 so that Debian's client defaults, which refuse TLS 1.0 and
// 1.1, do not hide a server that still accepts them.
[[nodiscard]] bool accepts_tls_version(const Url &url, int version, const FetchOptions &options);

} // namespace rcommerce::audit
