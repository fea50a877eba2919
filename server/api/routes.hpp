// The route groups mount() registers; each file translates HTTP to core calls.
#pragma once

#include "server/api/http.hpp"

#include <memory>

namespace rcommerce::server::api {

void mount_catalog(httplib::Server &server, const std::shared_ptr<Services> &services);
void mount_inventory(httplib::Server &server, const std::shared_ptr<Services> &services);
void mount_orders(httplib::Server &server, const std::shared_ptr<Services> &services);
void mount_webhooks(httplib::Server &server, const std::shared_ptr<Services> &services);

} // namespace rcommerce::server::api

#include "server/api/json_output.hpp"

namespace rcommerce::server::api {

// A core result as a reply: its JSON with `status`, or its error.
template <typename T> [[nodiscard]] Result<Reply> reply(const Result<T> &result, int status = 200)
{
    if (!result) {
        return result.error();
    }
    return Reply{status, to_json(*result)};
}

// An action that takes no body: refuses any member (no_members), then acts.
template <typename Act>
[[nodiscard]] Result<Reply> without_body(const httplib::Request &request, const std::string &what,
                                         Act act)
{
    if (auto none = no_members(request, what); !none) {
        return none.error();
    }
    return act();
}

// A list endpoint: reads limit/starting_after, calls `fetch(PageRequest)`
// (a Result<Page<T>>) and answers the page with a cursor from item ids.
template <typename Fetch>
[[nodiscard]] Result<Reply> list(const httplib::Request &request, Fetch fetch)
{
    auto page_in = page_request(request);
    if (!page_in) {
        return page_in.error();
    }
    auto page = fetch(*page_in);
    if (!page) {
        return page.error();
    }
    using Item = typename std::decay_t<decltype(page->items)>::value_type;
    return list_reply(
        *page, request.path, [](const Item &item) { return to_json(item); },
        [](const Item &item) { return item.id; });
}

// Route patterns: ids are 1 to 18 digits (always an int64), codes and SKUs
// the characters catalog accepts.
inline constexpr const char *k_id = R"((\d{1,18}))";
inline constexpr const char *k_code = R"(([A-Za-z0-9._-]{1,100}))";

} // namespace rcommerce::server::api
