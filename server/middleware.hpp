// The middleware every listener shares, installed on a cpp-httplib server:
// security headers (the one policy of core/http), a request id on every
// response (X-Request-Id in and out), W3C traceparent kept, CORS for the
// configured origins, the header-size limit (431), unknown methods (501),
// request framing checked before cpp-httplib reads a body (Content-Length,
// Transfer-Encoding: 400, 411, 413, 501), errors as RFC 9457 problem+json
// (400, 404, 413, 431, 500, ...), a JSON access log, and metrics.
#pragma once

#include "core/config/config.hpp"
#include "core/http/security_headers.hpp"
#include "server/event_server.hpp"
#include "server/metrics.hpp"

#include <httplib.h>

#include <string>
#include <string_view>

namespace rcommerce::server {

// Writes a problem+json body (RFC 9457 section 3) into `res` with `status`,
// and a `hint` saying what to do when the detail does not already.
void set_problem(httplib::Response &res, int status, std::string_view detail,
                 std::string_view hint = {});

// A request id from the client's X-Request-Id if it is 1..128 characters of
// [A-Za-z0-9._-], else a fresh random one (32 hex digits).
[[nodiscard]] std::string request_id_for(const httplib::Request &req);

// True for a W3C Trace Context traceparent of version 00 (section 3.2).
[[nodiscard]] bool valid_traceparent(std::string_view value);

// Total size of a request's header block as received: request line plus
// each "name: value\r\n" (cpp-httplib's own REMOTE_* headers excluded).
[[nodiscard]] size_t header_bytes(const httplib::Request &req);

struct MiddlewareOptions {
    http::Scheme scheme = http::Scheme::https;
    std::string listener; // "https", "http", "admin": for logs
    bool cors = true;     // API listener only
    // Runs after the shared pre-routing steps; may answer the request.
    httplib::Server::HandlerWithResponse route;
};

// Installs default headers, pre-routing, error, exception and logger
// handlers on `server`. `config` and `metrics` must outlive it.
void install_middleware(EventServer &server, const config::Config &config, Metrics &metrics,
                        const MiddlewareOptions &options);

} // namespace rcommerce::server
