#include "server/middleware.hpp"

#include "core/http/request_framing.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "server/event_server.hpp"

#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <initializer_list>
#include <random>
#include <string_view>
#include <vector>

namespace rcommerce::server {
namespace {

// The headers cpp-httplib adds to every request itself, not sent by the client.
bool is_library_header(std::string_view name)
{
    return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
           name == "LOCAL_PORT";
}

using Clock = std::chrono::steady_clock;

// cpp-httplib runs one request at a time per thread, from reading it to the
// logger call after the response is written, so per-request state the hooks
// share lives in a thread_local keyed by the request's address.
struct InFlight {
    const httplib::Request *request = nullptr;
    Clock::time_point start;
    std::string request_id;
};
thread_local InFlight t_in_flight;

const char *reason_phrase(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 421:
        return "Misdirected Request";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return status < 500 ? "Client Error" : "Server Error";
    }
}

// A request id only has to be unique, not secret: each thread draws from its
// own generator seeded once from OpenSSL's CSPRNG, which costs nothing per
// request (RAND_bytes on every request showed in the profile).
std::string random_request_id()
{
    thread_local std::mt19937_64 generator = [] {
        std::array<uint64_t, 4> seed_words{};
        RAND_bytes(reinterpret_cast<unsigned char *>(seed_words.data()),
                   static_cast<int>(sizeof seed_words));
        std::seed_seq seed(seed_words.begin(), seed_words.end());
        return std::mt19937_64(seed);
    }();
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string out(32, '0');
    for (size_t half = 0; half < 2; ++half) {
        uint64_t bits = generator();
        for (size_t i = 0; i < 16; ++i) {
            out[half * 16 + i] = k_digits[(bits >> (60 - 4 * i)) & 15];
        }
    }
    return out;
}

bool is_hex(std::string_view text)
{
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// CORS (Fetch standard): echo an allowed Origin, never "*" with credentials.
void apply_cors(const config::SecurityHeadersConfig &sh, const httplib::Request &req,
                httplib::Response &res)
{
    auto origin = req.get_header_value("Origin");
    if (origin.empty() || sh.cors_allowed_origins.empty()) {
        return;
    }
    bool any = std::find(sh.cors_allowed_origins.begin(), sh.cors_allowed_origins.end(), "*") !=
               sh.cors_allowed_origins.end();
    bool listed = std::find(sh.cors_allowed_origins.begin(), sh.cors_allowed_origins.end(),
                            origin) != sh.cors_allowed_origins.end();
    if (!listed && !any) {
        return;
    }
    res.set_header("Vary", "Origin");
    if (listed) {
        res.set_header("Access-Control-Allow-Origin", origin);
        if (sh.cors_allow_credentials) {
            res.set_header("Access-Control-Allow-Credentials", "true");
        }
    } else {
        res.set_header("Access-Control-Allow-Origin", "*");
    }
    res.set_header("Access-Control-Expose-Headers", "X-Request-Id");
}

bool is_preflight(const httplib::Request &req)
{
    return req.method == "OPTIONS" && req.has_header("Origin") &&
           req.has_header("Access-Control-Request-Method");
}

bool one_of(std::string_view value, std::initializer_list<std::string_view> candidates)
{
    return std::find(candidates.begin(), candidates.end(), value) != candidates.end();
}

// RFC 9110 9.1: a method the server implements for no resource at all is a
// 501, whatever the path; one it implements elsewhere is a 405 (the API's
// routes answer those, with Allow).
constexpr std::array<std::string_view, 7> k_implemented_methods = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

bool implemented_method(std::string_view method)
{
    return std::find(k_implemented_methods.begin(), k_implemented_methods.end(), method) !=
           k_implemented_methods.end();
}

constexpr std::string_view k_body_too_large_hint =
    "send a smaller body (orders of many lines in several orders); the limit is the "
    "server's [server] max_body_bytes";

std::string not_implemented_detail(std::string_view method)
{
    // Quoted only when it is a plausible method (an RFC 9110 token): the
    // request line may hold anything.
    bool token = !method.empty() && method.size() <= 32 &&
                 std::all_of(method.begin(), method.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) ||
                            std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
                 });
    std::string answered;
    for (auto known : k_implemented_methods) {
        answered += (answered.empty() ? "" : ", ") + std::string(known);
    }
    return (token ? std::string(method) : std::string("the request's method")) +
           " is not a method this server implements; it answers " + answered;
}

// cpp-httplib answers a bare 400 by itself, before routing, when
// parse_request_line() refuses the request line (the headers are then left
// unread) or when read_headers() fails after it. The library keeps the
// method, target and version it split off in `req` either way, but fills
// req.path only once the method and version passed, so the two can be told
// apart here.
int unrouted_status(const httplib::Request &req)
{
    // The methods cpp-httplib 0.11.4's parser accepts.
    bool known = one_of(req.method, {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
                                     "TRACE", "PATCH", "PRI"});
    auto target = std::string_view(req.target);
    target = target.substr(0, target.find('#'));
    bool line_parsed = known && (req.version == "HTTP/1.1" || req.version == "HTTP/1.0") &&
                       !req.path.empty() && std::count(target.begin(), target.end(), '?') <= 1;
    if (line_parsed) {
        // read_headers() fails for a complete request only when one header
        // line is longer than the library's CPPHTTPLIB_HEADER_MAX_LENGTH
        // (8192): that is RFC 6585's 431, not a malformed request.
        return 431;
    }
    if (!known && req.version.rfind("HTTP/", 0) == 0) {
        return 501; // a well-formed line with a method the library does not know
    }
    return 400;
}

// Makes the response say `Connection: close`. cpp-httplib 0.11.4 writes that
// (and no Keep-Alive) only when the request asked for it, so the request is
// marked; `req` is the library's own non-const Request, handed to the hooks
// as const. The connection engine closes the connection after the response.
void ask_client_to_close(const httplib::Request &req)
{
    EventServer::close_after_response();
    if (req.get_header_value("Connection") != "close") {
        auto &headers = const_cast<httplib::Headers &>(req.headers);
        headers.erase("Connection");
        headers.emplace("Connection", "close");
    }
}

// RFC 9112 9.6: `close` among the Connection header's comma-separated
// options, in any case. cpp-httplib 0.11.4 only honours the exact value.
bool asks_to_close(const httplib::Request &req)
{
    auto [begin, end] = req.headers.equal_range("Connection");
    for (auto it = begin; it != end; ++it) {
        std::string_view rest = it->second;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            if (util::iequals(util::trim(rest.substr(0, comma)), "close")) {
                return true;
            }
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
    }
    return false;
}

// Every value of one header of a request, in order.
std::vector<std::string_view> header_values(const httplib::Request &req, const char *name)
{
    std::vector<std::string_view> values;
    auto [begin, end] = req.headers.equal_range(name);
    for (auto it = begin; it != end; ++it) {
        values.emplace_back(it->second);
    }
    return values;
}

// RFC 9112 6: where the body ends. Answers (and returns true) when the
// headers leave that unclear, unsupported or beyond the limit, before the
// library reads anything; the unread body would be taken for the next
// request, so the response asks the client to close.
bool refuse_framing(const config::Config &config, const httplib::Request &req,
                    httplib::Response &res)
{
    auto codings = header_values(req, "Transfer-Encoding");
    auto length = http::declared_length(header_values(req, "Content-Length"));
    auto refuse = [&](int status, const std::string &detail, std::string_view hint = {}) {
        set_problem(res, status, detail, hint);
        ask_client_to_close(req);
        return true;
    };
    if (!codings.empty() &&
        (codings.size() != 1 || !util::iequals(util::trim(codings.front()), "chunked"))) {
        return refuse(501, "the only Transfer-Encoding this server reads is `chunked`; send the "
                           "body with Content-Length instead");
    }
    if (!codings.empty() && length.kind != http::DeclaredLength::Kind::absent) {
        // RFC 9112 6.3 item 3 allows refusing this; the two disagreeing
        // about where a body ends is how requests are smuggled.
        return refuse(400, "the request has both Transfer-Encoding and Content-Length; send the "
                           "body with Content-Length only");
    }
    if (length.kind == http::DeclaredLength::Kind::invalid) {
        return refuse(400, "the Content-Length header must be one decimal number of bytes, "
                           "digits only; send Content-Length: 0 for an empty body");
    }
    if ((!codings.empty() || length.bytes > 0 ||
         length.kind == http::DeclaredLength::Kind::too_large) &&
        one_of(req.method, {"GET", "HEAD", "OPTIONS"})) {
        // cpp-httplib reads no body for these methods, so its bytes would be
        // served as the next request on the connection: behind a proxy that
        // shares connections, another client's (a "CL.0" desync). RFC 9110
        // 9.3.1 allows refusing.
        return refuse(400, req.method + " takes no body; send the request without one");
    }
    if (!codings.empty()) {
        // cpp-httplib 0.11.4 applies its payload limit to Content-Length
        // only: it would read a chunked body of any size into memory before
        // a route could refuse it (300 MB in, 545 MB resident). RFC 9110
        // 15.5.12 lets a server insist on a length instead.
        return refuse(411, "chunked request bodies are not accepted; send the body with a "
                           "Content-Length header");
    }
    if (length.kind == http::DeclaredLength::Kind::too_large ||
        length.bytes > config.server.max_body_bytes) {
        return refuse(413,
                      "the request body exceeds " + std::to_string(config.server.max_body_bytes) +
                          " bytes",
                      k_body_too_large_hint);
    }
    if (codings.empty() && length.kind == http::DeclaredLength::Kind::absent &&
        one_of(req.method, {"POST", "PUT", "PATCH", "DELETE"})) {
        // RFC 9112 6.3 item 7: a request with neither header has no body.
        // cpp-httplib 0.11.4 instead reads a POST, PUT or PATCH body until
        // the connection ends, and answers a bare 400 after the read
        // timeout. Saying so explicitly makes it read nothing. `req` is the
        // library's own non-const Request, handed to this hook as const.
        const_cast<httplib::Request &>(req).set_header("Content-Length", "0");
    }
    return false;
}

// RFC 9112 3.2: a request's header lines, its Host headers, and an absolute-form target
// ("GET https://shop.example/path HTTP/1.1", which a server must accept and
// whose authority then stands for Host). Answers 400 (and returns true) for
// a missing, repeated or malformed Host. cpp-httplib 0.11.4 routes an
// absolute-form target by its whole text, so it is rewritten to origin form
// here, in the library's own non-const Request, handed to this hook as const.
bool refuse_host(const httplib::Request &req, httplib::Response &res)
{
    std::string problem;
    for (const auto &[name, value] : req.headers) {
        if (problem.empty() && !is_library_header(name)) {
            problem = http::header_field_problem(name, value);
        }
    }
    if (problem.empty()) {
        problem = http::host_header_problem(header_values(req, "Host"), req.version);
    }
    auto absolute = http::split_absolute_target(req.target);
    if (problem.empty() && absolute && !http::valid_host_value(absolute->authority)) {
        problem = "the request target's authority is not a host name, IP address or [IPv6] "
                  "literal with an optional :port; send the target as /path";
    }
    if (!problem.empty()) {
        set_problem(res, 400, problem);
        ask_client_to_close(req);
        return true;
    }
    if (absolute) {
        auto &request = const_cast<httplib::Request &>(req);
        request.target = absolute->origin_form;
        auto path = std::string_view(absolute->origin_form);
        request.path =
            httplib::detail::decode_url(std::string(path.substr(0, path.find('?'))), false);
        request.headers.erase("Host");
        request.headers.emplace("Host", absolute->authority);
    }
    return false;
}

// cpp-httplib parses a multipart/form-data body itself, keeping it out of
// req.body, and answers a bare 400 when it finds no boundary. No route takes
// one, so the library is kept from recognising it (its test is a
// case-sensitive prefix match; leading whitespace is insignificant to every
// other reader): the body is read like any other and the route answers 415.
void keep_multipart_unparsed(const httplib::Request &req)
{
    auto &headers = const_cast<httplib::Headers &>(req.headers);
    auto found = headers.find("Content-Type");
    if (found != headers.end() && found->second.rfind("multipart/form-data", 0) == 0) {
        found->second.insert(0, " ");
    }
}

} // namespace

// The stable `code` of a problem the HTTP layer answers by itself, so a
// client can branch on every error body the same way it does on the API's.
std::string_view problem_code(int status)
{
    switch (status) {
    case 400:
        return "bad_request";
    case 401:
        return "unauthorized";
    case 403:
        return "forbidden";
    case 404:
        return "not_found";
    case 405:
        return "method_not_allowed";
    case 408:
        return "request_timeout";
    case 411:
        return "length_required";
    case 413:
        return "body_too_large";
    case 414:
        return "uri_too_long";
    case 415:
        return "unsupported_media_type";
    case 416:
        return "range_not_satisfiable";
    case 421:
        return "misdirected_request";
    case 431:
        return "headers_too_large";
    case 501:
        return "not_implemented";
    case 503:
        return "unavailable";
    default:
        return status < 500 ? "client_error" : "internal";
    }
}

void set_problem(httplib::Response &res, int status, std::string_view detail, std::string_view hint)
{
    res.status = status;
    std::string code(problem_code(status));
    nlohmann::json body = {{"type", "urn:rcommerce:problem:" + code},
                           {"title", reason_phrase(status)},
                           {"status", status},
                           {"detail", detail},
                           {"code", code}};
    if (!hint.empty()) {
        body["hint"] = hint;
    }
    // A detail may quote the request (its method), which need not be UTF-8.
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/problem+json");
}

std::string request_id_for(const httplib::Request &req)
{
    auto given = req.get_header_value("X-Request-Id");
    bool valid =
        !given.empty() && given.size() <= 128 &&
        std::all_of(given.begin(), given.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
        });
    return valid ? given : random_request_id();
}

bool valid_traceparent(std::string_view value)
{
    // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55
    if (value.size() != 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') {
        return false;
    }
    auto version = value.substr(0, 2), trace = value.substr(3, 32), parent = value.substr(36, 16),
         flags = value.substr(53, 2);
    return version == "00" && is_hex(trace) && is_hex(parent) && is_hex(flags) &&
           trace != std::string(32, '0') && parent != std::string(16, '0');
}

size_t header_bytes(const httplib::Request &req)
{
    size_t total = req.method.size() + 1 + req.target.size() + 1 + req.version.size() + 2;
    for (const auto &[name, value] : req.headers) {
        if (is_library_header(name)) {
            continue;
        }
        total += name.size() + 2 + value.size() + 2;
    }
    return total + 2;
}

void install_middleware(EventServer &server, const config::Config &config, Metrics &metrics,
                        const MiddlewareOptions &options)
{
    httplib::Headers defaults;
    for (const auto &[name, value] : http::security_headers(config, options.scheme)) {
        defaults.emplace(name, value);
    }
    server.set_fixed_headers(defaults);

    server.set_pre_routing_handler(
        [&config, &metrics, options](const httplib::Request &req, httplib::Response &res) {
            t_in_flight = {&req, Clock::now(), request_id_for(req)};
            metrics.request_started();
            res.set_header("X-Request-Id", t_in_flight.request_id);
            auto traceparent = req.get_header_value("traceparent");
            if (valid_traceparent(traceparent)) {
                res.set_header("traceparent", traceparent);
            }
            if (options.cors) {
                // First, so an allowed origin can read every refusal below too.
                apply_cors(config.security_headers, req, res);
            }
            if (asks_to_close(req)) {
                ask_client_to_close(req);
            }
            if (const auto &problem = EventServer::framing_problem(); !problem.empty()) {
                set_problem(res, 400, problem);
                ask_client_to_close(req);
                return httplib::Server::HandlerResponse::Handled;
            }
            if (header_bytes(req) > static_cast<size_t>(config.server.max_header_bytes)) {
                set_problem(res, 431, "the request's header block exceeds the server's limit");
                ask_client_to_close(req); // any body it has stays unread
                return httplib::Server::HandlerResponse::Handled;
            }
            if (!implemented_method(req.method)) {
                set_problem(res, 501, not_implemented_detail(req.method));
                ask_client_to_close(req); // any body it has stays unread
                return httplib::Server::HandlerResponse::Handled;
            }
            if (refuse_host(req, res) || refuse_framing(config, req, res)) {
                return httplib::Server::HandlerResponse::Handled;
            }
            keep_multipart_unparsed(req);
            if (options.cors && is_preflight(req)) {
                if (res.has_header("Access-Control-Allow-Origin")) {
                    res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE");
                    res.set_header("Access-Control-Allow-Headers",
                                   "Authorization, Content-Type, Idempotency-Key, X-Request-Id");
                    res.set_header("Access-Control-Max-Age", "600");
                }
                res.status = 204;
                return httplib::Server::HandlerResponse::Handled;
            }
            if (options.route) {
                return options.route(req, res);
            }
            return httplib::Server::HandlerResponse::Unhandled;
        });

    server.set_error_handler(httplib::Server::HandlerWithResponse(
        [&config](const httplib::Request &req, httplib::Response &res) {
            bool routed = t_in_flight.request == &req;
            std::string detail = reason_phrase(res.status);
            std::string_view hint;
            if (!routed) {
                // cpp-httplib answered by itself before routing.
                if (res.status == 400 && !EventServer::framing_problem().empty()) {
                    detail = EventServer::framing_problem();
                } else if (res.status == 400) {
                    res.status = unrouted_status(req);
                    detail = res.status == 431   ? "a header line is longer than 8192 bytes, the "
                                                   "server's limit"
                             : res.status == 501 ? not_implemented_detail(req.method)
                                                 : "the request line is malformed; it must be "
                                                   "`METHOD /path HTTP/1.1`";
                }
                if (res.status == 414) {
                    // cpp-httplib's CPPHTTPLIB_REQUEST_URI_MAX_LENGTH.
                    detail = "the request target is longer than 8192 bytes, the server's limit; "
                             "shorten the path and query";
                }
                res.set_header("X-Request-Id", request_id_for(req));
                ask_client_to_close(req);
            } else if (res.status == 400) {
                // After routing, the library's own 400 means reading the body
                // failed (the pre-routing checks took every other case).
                detail = "the request body could not be read: it was shorter than its "
                         "Content-Length, or slower than the read timeout";
            } else if (res.status == 413) {
                detail = "the request body exceeds " +
                         std::to_string(config.server.max_body_bytes) + " bytes";
                hint = k_body_too_large_hint;
            } else if (res.status == 404) {
                detail = "no resource at this path";
                hint = "the API's paths start with /api/v1/ and take decimal ids of at most 18 "
                       "digits (docs/api.md lists them); /healthz, /readyz and /metrics are "
                       "the server's own";
            }
            if (res.body.empty() && req.method != "HEAD") {
                set_problem(res, res.status, detail, hint);
            }
            return httplib::Server::HandlerResponse::Handled;
        }));

    server.set_exception_handler(
        [](const httplib::Request &req, httplib::Response &res, std::exception_ptr error) {
            std::string what = "unknown exception";
            try {
                std::rethrow_exception(error);
            } catch (const std::exception &e) {
                what = e.what();
            } catch (...) {
            }
            log::error("request handler failed", {{"request_id", t_in_flight.request_id},
                                                  {"method", req.method},
                                                  {"path", req.path},
                                                  {"error", what}});
            // The exception text stays in the log: it may describe internals.
            set_problem(res, 500, "the server failed to answer; the request id is in the log");
        });

    server.set_logger([&config, &metrics, options](const httplib::Request &req,
                                                   const httplib::Response &res) {
        bool routed = t_in_flight.request == &req;
        double seconds =
            routed ? std::chrono::duration<double>(Clock::now() - t_in_flight.start).count() : 0;
        if (routed) {
            metrics.request_finished(req.method, res.status, seconds);
        }
        if (config.log.access_log) {
            auto id = res.get_header_value("X-Request-Id");
            nlohmann::json fields = {{"listener", options.listener},
                                     {"request_id", id},
                                     {"remote", req.remote_addr},
                                     {"method", req.method},
                                     {"path", req.path},
                                     {"status", res.status},
                                     {"bytes", res.body.size()},
                                     {"duration_ms", static_cast<int64_t>(seconds * 1000)},
                                     {"user_agent", req.get_header_value("User-Agent")}};
            auto traceparent = req.get_header_value("traceparent");
            if (valid_traceparent(traceparent)) {
                fields["trace_id"] = traceparent.substr(3, 32);
            }
            log::info("request", fields);
        }
        t_in_flight = {};
    });
}

} // namespace rcommerce::server
