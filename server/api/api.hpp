// The commerce API (/api/v1) as routes on an httplib server.
//
// The serving layer owns the listener, TLS and middleware; it calls mount()
// once, before listening, to add the API's routes. The commerce issue owns
// what mount() registers.
#pragma once

#include "core/config/config.hpp"

namespace httplib {
class Server;
}

namespace rcommerce::store {
class Database;
}

namespace rcommerce::server::api {

// Registers every /api/v1 route on `server`. `database` outlives the server.
void mount(httplib::Server &server, const config::Config &config, store::Database &database);

} // namespace rcommerce::server::api
