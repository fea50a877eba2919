// The API's HTTP conventions in one place: authentication and scopes,
// Idempotency-Key handling, request body limits and JSON parsing, RFC 9457
// problem responses, and cursor pagination. Route files only translate
// between HTTP and core calls through these.
#pragma once

#include "core/auth/api_key.hpp"
#include "core/auth/key_cache.hpp"
#include "core/config/config.hpp"
#include "core/util/page.hpp"
#include "core/util/result.hpp"
#include "server/api/response_cache.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

namespace rcommerce::store {
class Database;
}

namespace rcommerce::server::api {

struct Services {
    Services(const config::Config &config, store::Database &db)
        : config(config), db(db),
          key_cache(std::chrono::seconds(config.server.api_key_cache_seconds)),
          response_cache(std::chrono::seconds(config.server.response_cache_seconds),
                         k_response_cache_entries)
    {
    }
    static constexpr size_t k_response_cache_entries = 10000;
    const config::Config &config;
    store::Database &db;
    auth::VerifiedKeyCache key_cache;
    ResponseCache response_cache;
    // Every (pattern, method) mounted, so other methods on a known path get
    // 405 with Allow rather than cpp-httplib's 404.
    std::vector<std::pair<std::string, std::string>> mounted = {};
};

// What a handler answers: a status and a JSON body.
struct Reply {
    int status = 200;
    nlohmann::json body;
};

using Handler = std::function<Result<Reply>(const httplib::Request &)>;

enum class Method { get, post, patch };

// Whether a route honours Idempotency-Key (every POST that creates or moves
// something does).
enum class Idempotent { no, yes };

// Whether a GET route's 200 answers may come from the response cache: only
// for answers that are the same for every key with the route's scope.
enum class Cached { no, yes };

// Registers `handler` behind authentication (a Bearer key with `scope`),
// the body limit, Idempotency-Key handling when asked, and the translation
// of errors and unexpected exceptions into problem responses.
void route(httplib::Server &server, const std::shared_ptr<Services> &services, Method method,
           const std::string &pattern, auth::Scope scope, Idempotent idempotent, Handler handler,
           Cached cached = Cached::no);

// After every route is mounted: answers the methods a known path does not
// have with 405 Method Not Allowed and an Allow header (RFC 9110 15.5.6),
// and OPTIONS on it with 204 and the same Allow.
void mount_method_not_allowed(httplib::Server &server, const std::shared_ptr<Services> &services);

// Runs the handler, turning every way it can fail into an Error: a busy
// database is 503 database_busy (retry), anything else unexpected is logged
// and 500 internal_error.
[[nodiscard]] Result<Reply> run_handler(const Handler &handler, const httplib::Request &request);

// The request body as a JSON object. 400 malformed_json for anything that
// is not JSON (or nested deeper than 32 levels), 415 for a media type other
// than application/json (in any case, with any parameters),
// 422 validation_failed when it is JSON but not an object.
[[nodiscard]] Result<nlohmann::json> json_body(const httplib::Request &request);

// For actions that take no body (place, cancel, archive, ...): OK for an
// empty body or `{}`; any member is a 422 naming it, since a client sending
// one expects it to mean something and must not see it silently ignored.
// Errors as json_body's for anything that is not a JSON object.
[[nodiscard]] Status no_members(const httplib::Request &request, const std::string &what);

// The decimal id captured by the route's first (or `index`th) group.
[[nodiscard]] int64_t path_id(const httplib::Request &request, size_t index = 1);

// A query parameter sent at most once. Sent twice (`limit=1&limit=500`) it
// is a 400 invalid_parameter naming it: as with a JSON member named twice,
// what a proxy or a log shows must be what we act on.
[[nodiscard]] Result<std::optional<std::string>> query_param(const httplib::Request &request,
                                                             const std::string &name);

// `limit` (1..100, default 20) and `starting_after` (a cursor this list
// returned: the request's path is the list); 400 invalid_parameter or
// invalid_cursor naming the parameter otherwise.
[[nodiscard]] Result<util::PageRequest> page_request(const httplib::Request &request);

// {"data": [...], "has_more": bool, "next_cursor": "..."|null}; the cursor
// is made from the last item's id, read by `id_of`, and bound to `list`.
template <typename T, typename ToJson, typename IdOf>
[[nodiscard]] Reply list_reply(const util::Page<T> &page, std::string_view list, ToJson to_json,
                               IdOf id_of);

// Opaque cursors: clients must not build them, so the id is wrapped, and
// bound to the list that made it (its path, e.g. "/api/v1/orders"): ids of
// one list mean nothing in another, so a cursor used elsewhere is refused
// instead of silently starting at an unrelated position.
[[nodiscard]] std::string encode_cursor(std::string_view list, int64_t id);
[[nodiscard]] std::optional<int64_t> decode_cursor(std::string_view list, std::string_view cursor);

// RFC 9457 problem document for an error, and the status it maps to.
[[nodiscard]] int status_for(const Error &error);
[[nodiscard]] std::string problem_json(const Error &error, int status);

template <typename T, typename ToJson, typename IdOf>
Reply list_reply(const util::Page<T> &page, std::string_view list, ToJson to_json, IdOf id_of)
{
    nlohmann::json data = nlohmann::json::array();
    for (const auto &item : page.items) {
        data.push_back(to_json(item));
    }
    nlohmann::json body = {{"object", "list"},
                           {"data", std::move(data)},
                           {"has_more", page.has_more},
                           {"next_cursor", nullptr}};
    if (page.has_more && !page.items.empty()) {
        body["next_cursor"] = encode_cursor(list, id_of(page.items.back()));
    }
    return Reply{200, std::move(body)};
}

} // namespace rcommerce::server::api
