#include "server/api/api.hpp"

#include "server/api/routes.hpp"

#include <httplib.h>

namespace rcommerce::server::api {

void mount(httplib::Server &server, const config::Config &config, store::Database &database)
{
    // Shared by every route's handler, so it lives as long as the routes.
    auto services = std::make_shared<Services>(config, database);
    // Bodies over the limit are refused before they are read whole (413).
    server.set_payload_max_length(static_cast<size_t>(config.server.max_body_bytes));
    mount_catalog(server, services);
    mount_inventory(server, services);
    mount_orders(server, services);
    mount_webhooks(server, services);
    mount_method_not_allowed(server, services);
}

} // namespace rcommerce::server::api
