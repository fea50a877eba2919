// `rcommerce serve`: the HTTPS listener, the plain-HTTP listener (ACME
// challenges, redirects), the optional admin listener, and their lifecycle
// from start to a graceful stop on SIGTERM or SIGINT.
#pragma once

#include "core/config/config.hpp"
#include "core/util/result.hpp"

#include <functional>
#include <string>
#include <vector>

namespace httplib {
class Server;
}

namespace rcommerce::server {

// What the listener needs from the rest of the application. Kept as
// callbacks so this layer does not own the store's lifecycle.
struct ServeHooks {
    // Adds the API routes; called once on the HTTPS server before listening
    // (server::api::mount with the open store).
    std::function<void(httplib::Server &)> mount;
    // Readiness beyond certificates (database writable, migrations current):
    // one entry per check, empty `problem` when it passes.
    struct Check {
        std::string name;
        std::string problem;
    };
    std::function<std::vector<Check>()> readiness;
    // Runs once every listener accepts connections (the plain-HTTP one
    // answers ACME challenges by then). `certificates_changed` makes the
    // HTTPS listener re-read its certificate files now rather than at the
    // next poll, and, without tls.cert_file, take up ACME store folders
    // that appeared; it is safe to call from any thread until on_stopping.
    std::function<void(std::function<void()> certificates_changed)> on_listening;
    // Runs when a stop signal arrived, before the listeners stop; counts
    // against server.shutdown_timeout_seconds.
    std::function<void()> on_stopping;
    // Runs after every listener stopped and in-flight requests finished.
    std::function<void()> on_stopped;
};

// Starts the listeners and blocks until SIGTERM or SIGINT, then stops
// accepting, lets in-flight requests finish within
// server.shutdown_timeout_seconds and returns. An error when a listener
// cannot start (no certificate, port in use). If requests are still running
// at the deadline the process exits with status 1 right there, since their
// threads still use state this function owns.
[[nodiscard]] Status serve(const config::Config &config, const ServeHooks &hooks);

} // namespace rcommerce::server
