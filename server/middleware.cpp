#include "server/middleware.hpp"

#include "core/log/log.hpp"
#include "core/util/strings.hpp"

#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <mutex>
#include <random>
#include <set>

namespace rcommerce::server {
namespace {

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

std::mutex g_peers_mutex;
std::set<std::pair<std::string, int>> g_peers_in_flight;

void mark_in_flight(const httplib::Request &req, bool busy)
{
    std::lock_guard lock(g_peers_mutex);
    if (busy) {
        g_peers_in_flight.insert({req.remote_addr, req.remote_port});
    } else {
        g_peers_in_flight.erase({req.remote_addr, req.remote_port});
    }
}

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
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 416:
        return "Range Not Satisfiable";
    case 421:
        return "Misdirected Request";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
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

} // namespace

bool request_in_flight(const std::string &address, int port)
{
    std::lock_guard lock(g_peers_mutex);
    return g_peers_in_flight.count({address, port}) != 0;
}

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
    case 413:
        return "body_too_large";
    case 414:
        return "uri_too_long";
    case 416:
        return "range_not_satisfiable";
    case 421:
        return "misdirected_request";
    case 431:
        return "headers_too_large";
    case 503:
        return "unavailable";
    default:
        return status < 500 ? "client_error" : "internal";
    }
}

void set_problem(httplib::Response &res, int status, std::string_view detail)
{
    res.status = status;
    std::string code(problem_code(status));
    nlohmann::json body = {{"type", "urn:rcommerce:problem:" + code},
                           {"title", reason_phrase(status)},
                           {"status", status},
                           {"detail", detail},
                           {"code", code}};
    res.set_content(body.dump(), "application/problem+json");
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
        if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
            name == "LOCAL_PORT") {
            continue;
        }
        total += name.size() + 2 + value.size() + 2;
    }
    return total + 2;
}

void install_middleware(httplib::Server &server, const config::Config &config, Metrics &metrics,
                        const MiddlewareOptions &options)
{
    httplib::Headers defaults;
    for (const auto &[name, value] : http::security_headers(config, options.scheme)) {
        defaults.emplace(name, value);
    }
    server.set_default_headers(defaults);

    server.set_pre_routing_handler([&config, &metrics, options](const httplib::Request &req,
                                                                httplib::Response &res) {
        t_in_flight = {&req, Clock::now(), request_id_for(req)};
        mark_in_flight(req, true);
        metrics.request_started();
        res.set_header("X-Request-Id", t_in_flight.request_id);
        auto traceparent = req.get_header_value("traceparent");
        if (valid_traceparent(traceparent)) {
            res.set_header("traceparent", traceparent);
        }
        if (header_bytes(req) > static_cast<size_t>(config.server.max_header_bytes)) {
            set_problem(res, 431, "the request's header block exceeds the server's limit");
            return httplib::Server::HandlerResponse::Handled;
        }
        auto length = util::parse_int64(req.get_header_value("Content-Length"));
        if (length && *length > config.server.max_body_bytes) {
            // Answer before reading the body; the unread body makes the
            // connection unusable, so it closes.
            set_problem(res, 413,
                        "the request body exceeds " + std::to_string(config.server.max_body_bytes) +
                            " bytes");
            res.set_header("Connection", "close");
            return httplib::Server::HandlerResponse::Handled;
        }
        if (options.cors) {
            apply_cors(config.security_headers, req, res);
            if (is_preflight(req)) {
                if (res.has_header("Access-Control-Allow-Origin")) {
                    res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE");
                    res.set_header("Access-Control-Allow-Headers",
                                   "Authorization, Content-Type, Idempotency-Key, X-Request-Id");
                    res.set_header("Access-Control-Max-Age", "600");
                }
                res.status = 204;
                return httplib::Server::HandlerResponse::Handled;
            }
        }
        if (options.route) {
            return options.route(req, res);
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });

    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request &req,
                                                                     httplib::Response &res) {
        bool routed = t_in_flight.request == &req;
        if (!routed) {
            // cpp-httplib answered by itself before routing. Its 400 after a
            // parsed request line means read_headers() failed, and for a
            // complete request that only happens when one header line is
            // longer than its compiled-in CPPHTTPLIB_HEADER_MAX_LENGTH
            // (8192): that is RFC 6585's 431, not a malformed request.
            if (res.status == 400 && req.version.rfind("HTTP/1.", 0) == 0) {
                res.status = 431;
            }
            res.set_header("X-Request-Id", request_id_for(req));
            res.set_header("Connection", "close");
        }
        if (res.body.empty() && req.method != "HEAD") {
            set_problem(res, res.status,
                        res.status == 404 ? "no resource at this path" : reason_phrase(res.status));
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
            mark_in_flight(req, false);
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
