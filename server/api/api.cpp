#include "server/api/api.hpp"

#include <httplib.h>

namespace rcommerce::server::api {

// No routes yet: the commerce API arrives with its own issue.
void mount(httplib::Server &, const config::Config &, store::Database &) {}

} // namespace rcommerce::server::api
