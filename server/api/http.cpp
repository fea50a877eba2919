#include "server/api/http.hpp"

#include "core/auth/key_store.hpp"
#include "core/crypto/crypto.hpp"
#include "core/http/request_framing.hpp"
#include "core/idempotency/fingerprint.hpp"
#include "core/idempotency/key_store.hpp"
#include "core/log/log.hpp"
#include "core/store/database.hpp"
#include "core/util/strings.hpp"
#include "core/util/validation.hpp"

#include <array>
#include <map>
#include <set>

namespace rcommerce::server::api {
namespace {

constexpr const char *k_problem_type = "application/problem+json";
constexpr int k_max_json_depth = 32;

Error bad_request(std::string code, std::string field, std::string why)
{
    Error error = make_error(ErrorKind::validation, std::move(code), "reading the request", why);
    if (!field.empty()) {
        error.fields.push_back({std::move(field), std::move(why)});
    }
    return error;
}

// Codes that mean "the request itself is unreadable" (400) rather than
// "readable but wrong" (422).
bool is_bad_request(std::string_view code)
{
    static constexpr std::array k_codes{"malformed_json", "duplicate_member", "invalid_parameter",
                                        "invalid_cursor", "invalid_idempotency_key"};
    for (auto candidate : k_codes) {
        if (code == candidate) {
            return true;
        }
    }
    return false;
}

void send_problem(httplib::Response &response, const Error &error, int status)
{
    response.status = status;
    response.set_content(problem_json(error, status), k_problem_type);
    if (status == 401) {
        response.set_header("WWW-Authenticate", "Bearer realm=\"rcommerce\"");
    }
}

Result<auth::StoredKey> authenticate(Services &services, const httplib::Request &request)
{
    auto header = request.get_header_value("Authorization");
    constexpr std::string_view k_bearer = "Bearer ";
    if (header.size() <= k_bearer.size() ||
        !util::iequals(std::string_view(header).substr(0, k_bearer.size()), k_bearer)) {
        return make_error(ErrorKind::unauthorized, "missing_api_key", "authenticating the request",
                          "no `Authorization: Bearer <key>` header",
                          "create a key with `rcommerce apikey create`");
    }
    return auth::authenticate(services.db, util::trim(header.substr(k_bearer.size())),
                              &services.key_cache);
}

std::string_view scope_name(auth::Scope scope)
{
    switch (scope) {
    case auth::Scope::read:
        return "read";
    case auth::Scope::write:
        return "write";
    case auth::Scope::admin:
        return "admin";
    }
    return "admin";
}

void write_reply(httplib::Response &response, const Result<Reply> &reply)
{
    if (!reply) {
        send_problem(response, reply.error(), status_for(reply.error()));
        return;
    }
    response.status = reply->status;
    response.set_content(reply->body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                         "application/json");
}

// Marks every cached answer stale when a request that may write ends, however it ends.
struct InvalidateOnExit {
    ResponseCache *cache;
    explicit InvalidateOnExit(ResponseCache *cache) : cache(cache) {}
    InvalidateOnExit(const InvalidateOnExit &) = delete;
    InvalidateOnExit &operator=(const InvalidateOnExit &) = delete;
    ~InvalidateOnExit()
    {
        if (cache != nullptr) {
            cache->invalidate();
        }
    }
};

void handle(Services &services, auth::Scope scope, Idempotent idempotent, Cached cached,
            const Handler &handler, const httplib::Request &request, httplib::Response &response)
{
    bool reads = request.method == "GET" || request.method == "HEAD";
    InvalidateOnExit invalidate(reads ? nullptr : &services.response_cache);
    if (static_cast<int64_t>(request.body.size()) > services.config.server.max_body_bytes) {
        send_problem(response,
                     make_error(ErrorKind::validation, "body_too_large", "reading the request",
                                "the body is larger than " +
                                    std::to_string(services.config.server.max_body_bytes) +
                                    " bytes",
                                "send a smaller body; the limit is the server's [server] "
                                "max_body_bytes"),
                     413);
        return;
    }
    auto key = authenticate(services, request);
    if (!key) {
        send_problem(response, key.error(), 401);
        return;
    }
    if (!key->scopes.has(scope)) {
        auto error = make_error(
            ErrorKind::forbidden, "insufficient_scope", "authorizing the request",
            "this endpoint needs the `" + std::string(scope_name(scope)) + "` scope; the key has " +
                key->scopes.to_string(),
            "use a key created with --scopes including " + std::string(scope_name(scope)));
        send_problem(response, error, 403);
        return;
    }

    if (cached == Cached::yes && request.method == "GET" && services.response_cache.enabled()) {
        if (auto body = services.response_cache.find(request.path)) {
            response.status = 200;
            response.set_content(*body, "application/json");
            return;
        }
        auto generation = services.response_cache.generation();
        write_reply(response, run_handler(handler, request));
        if (response.status == 200) {
            services.response_cache.store(request.path, response.body, generation);
        }
        return;
    }

    // cpp-httplib 0.11.4 drops a header line with an empty value, so an
    // empty Idempotency-Key reads as none: the request runs without one.
    auto idempotency_key = request.get_header_value("Idempotency-Key");
    if (idempotent == Idempotent::no || idempotency_key.empty()) {
        write_reply(response, run_handler(handler, request));
        return;
    }
    if (!idempotency::valid_idempotency_key(idempotency_key)) {
        send_problem(response,
                     bad_request("invalid_idempotency_key", "Idempotency-Key",
                                 "must be 1 to 255 printable ASCII characters"),
                     400);
        return;
    }
    // Keys are per API key: two clients may pick the same key independently.
    std::string scope_text = "api_key:" + std::to_string(key->id);
    auto fingerprint = idempotency::request_fingerprint(request.method, request.path, request.body);
    auto claim = idempotency::begin(services.db, scope_text, idempotency_key, fingerprint);
    if (!claim) {
        send_problem(response, claim.error(), status_for(claim.error()));
        return;
    }
    if (claim->outcome == idempotency::Claim::Outcome::replay) {
        response.status = claim->response.status;
        response.set_content(claim->response.body, claim->response.content_type);
        response.set_header("Idempotent-Replayed", "true");
        return;
    }
    try {
        write_reply(response, run_handler(handler, request));
    } catch (...) {
        idempotency::abandon(services.db, scope_text, idempotency_key);
        throw;
    }
    // Only an answer from a request that ran is kept (Stripe's rule): a
    // request refused as malformed or invalid changed nothing, so the same
    // key may carry the corrected request. A 5xx may be retried as is.
    if (response.status >= 500 || response.status == 400 || response.status == 413 ||
        response.status == 415 || response.status == 422) {
        idempotency::abandon(services.db, scope_text, idempotency_key);
        return;
    }
    // The request has run: its answer goes out even if it cannot be kept
    // (the key then reads as in use, and after a restart as interrupted).
    try {
        idempotency::finish(
            services.db, scope_text, idempotency_key,
            {response.status, response.get_header_value("Content-Type"), response.body});
    } catch (const std::exception &error) {
        log::error("could not store the answer of an idempotent request",
                   {{"path", request.path}, {"error", error.what()}});
    }
}

bool too_deep(std::string_view body)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if ((c == '[' || c == '{') && ++depth > k_max_json_depth) {
            return true;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return false;
}

constexpr std::string_view k_base64url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// rc2 cursors carry their list; rc1 ones (unbound) are no longer accepted.
constexpr std::string_view k_cursor_version = "rc2:";

// A short, stable tag of a list's path: it keeps cursors short whatever
// the path (a movements list names its SKU), and it guards against
// mistakes, not forgery: a cursor is no secret.
std::string list_tag(std::string_view list)
{
    return crypto::to_hex(crypto::sha256(list)).substr(0, 8);
}

} // namespace

Result<Reply> run_handler(const Handler &handler, const httplib::Request &request)
{
    try {
        return handler(request);
    } catch (const store::DatabaseError &error) {
        if (error.failure() == store::Failure::busy) {
            return make_error(ErrorKind::unavailable, "database_busy", "handling the request",
                              "the database stayed locked by other writers", "retry shortly");
        }
        log::error("database failure", {{"path", request.path}, {"error", error.what()}});
    } catch (const std::exception &error) {
        log::error("unexpected failure", {{"path", request.path}, {"error", error.what()}});
    }
    return make_error(ErrorKind::internal, "internal_error", "handling the request",
                      "an unexpected error occurred; it has been logged");
}

void route(httplib::Server &server, const std::shared_ptr<Services> &services, Method method,
           const std::string &pattern, auth::Scope scope, Idempotent idempotent, Handler handler,
           Cached cached)
{
    auto wrapped = [services, scope, idempotent, cached, handler = std::move(handler)](
                       const httplib::Request &request, httplib::Response &response) {
        handle(*services, scope, idempotent, cached, handler, request, response);
    };
    services->mounted.emplace_back(pattern, method == Method::get    ? "GET"
                                            : method == Method::post ? "POST"
                                                                     : "PATCH");
    switch (method) {
    case Method::get:
        server.Get(pattern, wrapped);
        break;
    case Method::post:
        server.Post(pattern, wrapped);
        break;
    case Method::patch:
        server.Patch(pattern, wrapped);
        break;
    }
}

void mount_method_not_allowed(httplib::Server &server, const std::shared_ptr<Services> &services)
{
    std::map<std::string, std::set<std::string>> allowed;
    for (const auto &[pattern, method] : services->mounted) {
        allowed[pattern].insert(method);
    }
    for (const auto &[pattern, methods] : allowed) {
        std::string allow;
        for (const auto &method : methods) {
            allow += (allow.empty() ? "" : ", ") + method;
        }
        if (methods.count("GET") != 0) {
            allow += ", HEAD";
        }
        allow += ", OPTIONS";
        auto refuse = [allow](const httplib::Request &request, httplib::Response &response) {
            response.set_header("Allow", allow);
            Error error = make_error(ErrorKind::validation, "method_not_allowed",
                                     request.method + " " + request.path,
                                     "this resource answers " + allow, "");
            response.status = 405;
            response.set_content(problem_json(error, 405), "application/problem+json");
        };
        if (methods.count("GET") == 0) {
            server.Get(pattern, refuse);
        }
        if (methods.count("POST") == 0) {
            server.Post(pattern, refuse);
        }
        if (methods.count("PATCH") == 0) {
            server.Patch(pattern, refuse);
        }
        if (methods.count("PUT") == 0) {
            server.Put(pattern, refuse);
        }
        if (methods.count("DELETE") == 0) {
            server.Delete(pattern, refuse);
        }
        // RFC 9110 9.3.7: OPTIONS asks what the resource answers. A CORS
        // preflight (an OPTIONS with Origin and Access-Control-Request-Method)
        // never gets here; the middleware answers it first.
        server.Options(pattern, [allow](const httplib::Request &, httplib::Response &response) {
            response.status = 204;
            response.set_header("Allow", allow);
        });
    }
}

Result<nlohmann::json> json_body(const httplib::Request &request)
{
    // No Content-Type is taken as JSON; a client that names a type must
    // name this one (parameters such as charset are ignored).
    auto type = request.get_header_value("Content-Type");
    if (!util::trim(type).empty() && http::media_type(type) != "application/json") {
        return make_error(ErrorKind::validation, "unsupported_media_type", "reading the request",
                          "the body must be application/json, not " + http::media_type(type),
                          "send `Content-Type: application/json`");
    }
    if (too_deep(request.body)) {
        return bad_request("malformed_json", "", "the JSON is nested too deeply");
    }
    if (util::trim(request.body).empty()) {
        return bad_request("malformed_json", "", "the body is empty; send a JSON object");
    }
    // RFC 8259 section 4 leaves duplicate member names to the parser, and
    // parsers disagree on which one wins; refusing them means what a proxy
    // or a log shows is what we act on.
    std::vector<std::set<std::string>> open_objects;
    std::string duplicate;
    auto watch = [&](int, nlohmann::json::parse_event_t event, nlohmann::json &parsed) {
        using Event = nlohmann::json::parse_event_t;
        if (event == Event::object_start) {
            open_objects.emplace_back();
        } else if (event == Event::object_end && !open_objects.empty()) {
            open_objects.pop_back();
        } else if (event == Event::key && !open_objects.empty() && duplicate.empty() &&
                   !open_objects.back().insert(parsed.get<std::string>()).second) {
            duplicate = parsed.get<std::string>();
        }
        return true;
    };
    auto body = nlohmann::json::parse(request.body, watch, false);
    if (body.is_discarded()) {
        return bad_request("malformed_json", "", "the body is not valid JSON");
    }
    if (!duplicate.empty()) {
        return bad_request("duplicate_member", "",
                           "the member \"" + duplicate + "\" appears twice in one object");
    }
    if (!body.is_object()) {
        return util::field_error("", "the body must be a JSON object");
    }
    return body;
}

Status no_members(const httplib::Request &request, const std::string &what)
{
    if (util::trim(request.body).empty()) {
        return ok_status();
    }
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    for (const auto &[key, value] : body->items()) {
        errors.add(key, "is not a known field: this action takes no body (send none, or {})");
    }
    if (!errors.empty()) {
        return errors.error(what);
    }
    return ok_status();
}

int64_t path_id(const httplib::Request &request, size_t index)
{
    // Routes capture \d{1,18}, so this always parses.
    return util::parse_int64(request.matches[static_cast<int>(index)].str()).value_or(0);
}

Result<std::optional<std::string>> query_param(const httplib::Request &request,
                                               const std::string &name)
{
    auto count = request.get_param_value_count(name);
    if (count == 0) {
        return std::optional<std::string>{};
    }
    if (count > 1) {
        Error error =
            bad_request("invalid_parameter", name, "is given " + std::to_string(count) + " times");
        error.hint = "send " + name + " once";
        return error;
    }
    return std::optional<std::string>{request.get_param_value(name)};
}

Result<util::PageRequest> page_request(const httplib::Request &request)
{
    util::PageRequest page;
    auto limit_text = query_param(request, "limit");
    if (!limit_text) {
        return limit_text.error();
    }
    if (*limit_text) {
        auto limit = util::parse_int64(**limit_text);
        if (!limit || *limit < 1 || *limit > util::k_max_page_limit) {
            return bad_request("invalid_parameter", "limit",
                               "must be an integer from 1 to " +
                                   std::to_string(util::k_max_page_limit) + ", got \"" +
                                   **limit_text + "\"");
        }
        page.limit = *limit;
    }
    auto cursor = query_param(request, "starting_after");
    if (!cursor) {
        return cursor.error();
    }
    if (*cursor) {
        auto id = decode_cursor(request.path, **cursor);
        if (!id) {
            Error error = bad_request("invalid_cursor", "starting_after",
                                      "is not a cursor returned by this list");
            error.hint = "pass the next_cursor of this list's previous page, or leave "
                         "starting_after out to start from the first page";
            return error;
        }
        page.starting_after = *id;
    }
    return page;
}

std::string encode_cursor(std::string_view list, int64_t id)
{
    std::string plain = std::string(k_cursor_version) + list_tag(list) + ":" + std::to_string(id);
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char c : plain) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += k_base64url[(buffer >> bits) & 63];
        }
    }
    if (bits > 0) {
        out += k_base64url[(buffer << (6 - bits)) & 63];
    }
    return out;
}

std::optional<int64_t> decode_cursor(std::string_view list, std::string_view cursor)
{
    if (cursor.size() > 64) {
        return std::nullopt;
    }
    std::string plain;
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : cursor) {
        auto value = k_base64url.find(c);
        if (value == std::string_view::npos) {
            return std::nullopt;
        }
        buffer = (buffer << 6) | static_cast<uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            plain += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    std::string prefix = std::string(k_cursor_version) + list_tag(list) + ":";
    if (plain.rfind(prefix, 0) != 0) {
        return std::nullopt;
    }
    auto id = util::parse_int64(std::string_view(plain).substr(prefix.size()));
    if (!id || *id < 0) {
        return std::nullopt;
    }
    return id;
}

int status_for(const Error &error)
{
    if (error.code == "body_too_large") {
        return 413;
    }
    if (error.code == "unsupported_media_type") {
        return 415;
    }
    switch (error.kind) {
    case ErrorKind::validation:
        return is_bad_request(error.code) ? 400 : 422;
    case ErrorKind::not_found:
        return 404;
    case ErrorKind::conflict:
        return 409;
    case ErrorKind::unauthorized:
        return 401;
    case ErrorKind::forbidden:
        return 403;
    case ErrorKind::unavailable:
        return 503;
    case ErrorKind::internal:
        return 500;
    }
    return 500;
}

// RFC 9457 section 3: type, title, status, detail, plus our extension
// members `code`, `hint` and `errors` (section 3.2). Each entry of `errors`
// carries its own code, so a script can tell an unknown currency from a
// wrong amount even when both are listed under "validation_failed".
std::string problem_json(const Error &error, int status)
{
    nlohmann::json body = {
        {"type", "urn:rcommerce:problem:" + error.code},
        {"title", error.what},
        {"status", status},
        {"detail", error.why},
        {"code", error.code},
    };
    if (!error.hint.empty()) {
        body["hint"] = error.hint;
    }
    if (!error.fields.empty()) {
        nlohmann::json fields = nlohmann::json::array();
        for (const auto &field : error.fields) {
            nlohmann::json entry = {{"field", field.field},
                                    {"message", field.message},
                                    {"code", field.code.empty() ? error.code : field.code}};
            if (!field.hint.empty()) {
                entry["hint"] = field.hint;
            }
            fields.push_back(std::move(entry));
        }
        body["errors"] = std::move(fields);
    }
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace rcommerce::server::api
