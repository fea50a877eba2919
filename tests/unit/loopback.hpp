// Starts a cpp-httplib server with its routes already set on 127.0.0.1 (a
// free port) on `thread`, and returns the port once its accept loop runs:
// a stop() that came before the loop started would be lost and the
// fixture's join() would wait forever.
#pragma once

#include <httplib.h>

#include <chrono>
#include <thread>

namespace rcommerce::testing {

inline int start_loopback(httplib::Server &server, std::thread &thread)
{
    int port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([&server] { server.listen_after_bind(); });
    for (int i = 0; i < 5000 && !server.is_running(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return port;
}

} // namespace rcommerce::testing
