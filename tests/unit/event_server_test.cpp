// The connection engine in-process, so the sanitizer build exercises it:
// keep-alive, pipelining, split and abandoned requests, the read timeout,
// refused bodies, TLS, and a stop with connections open.
#include "core/tls/certificate.hpp"
#include "core/util/time.hpp"
#include "server/event_server.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

using namespace rcommerce;
using rcommerce::server::EngineLimits;
using rcommerce::server::EventServer;

namespace {

// Runs the server on a thread for the scope, then stops it.
class Running {
public:
    explicit Running(EventServer &server) : m_server(server), m_thread([&] { server.run(); }) {}
    Running(const Running &) = delete;
    Running &operator=(const Running &) = delete;
    ~Running()
    {
        m_server.stop();
        m_thread.join();
    }

private:
    EventServer &m_server;
    std::thread m_thread;
};

int connect_to(int port)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
    return fd;
}

// Everything the server sends until it closes (or 5 s pass).
std::string read_all(int fd)
{
    std::string out;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            return out;
        }
        out.append(buffer, static_cast<size_t>(n));
    }
}

size_t count(const std::string &text, const std::string &what)
{
    size_t found = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++found;
    }
    return found;
}

EngineLimits small_limits()
{
    EngineLimits limits;
    limits.threads = 2;
    limits.max_threads = 8;
    limits.read_timeout_ms = 800;
    limits.keep_alive_timeout_ms = 800;
    limits.max_body_bytes = 1024;
    return limits;
}

void add_routes(EventServer &server)
{
    server.Get("/hello", [](const httplib::Request &, httplib::Response &res) {
        res.set_content("hi", "text/plain");
    });
    server.Post("/echo", [](const httplib::Request &req, httplib::Response &res) {
        res.set_content(req.body, "text/plain");
    });
    server.Get("/big", [](const httplib::Request &, httplib::Response &res) {
        res.set_content(std::string(300 * 1024, 'b'), "text/plain");
    });
    server.set_fixed_headers({{"X-Fixed", "yes"}});
    server.set_payload_max_length(1024);
}

} // namespace

TEST_CASE("event server: keep-alive, pipelining, split and abandoned requests")
{
    EventServer server(nullptr, small_limits());
    add_routes(server);
    REQUIRE(server.bind("127.0.0.1", 0));
    int port = server.port();
    REQUIRE(port > 0);
    Running running(server);

    httplib::Client client("127.0.0.1", port);
    for (int i = 0; i < 3; ++i) {
        auto res = client.Get("/hello");
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->body == "hi");
        CHECK(res->get_header_value("X-Fixed") == "yes");
    }
    auto echoed = client.Post("/echo", "abc", "text/plain");
    REQUIRE(echoed);
    CHECK(echoed->body == "abc");
    auto big = client.Get("/big");
    REQUIRE(big);
    CHECK(big->body.size() == 300 * 1024);

    // Two requests with bodies in one write, the second asking to close.
    int fd = connect_to(port);
    std::string two = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
                      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                      "Connection: close\r\n\r\ntwo";
    ::send(fd, two.data(), two.size(), MSG_NOSIGNAL);
    auto out = read_all(fd);
    ::close(fd);
    CHECK(out.find("\r\n\r\none") != std::string::npos);
    CHECK(out.find("\r\n\r\ntwo") != std::string::npos);
    CHECK(count(out, "X-Fixed: yes\r\n") == 2);

    // One byte at a time.
    fd = connect_to(port);
    std::string one = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    for (char c : one) {
        ::send(fd, &c, 1, MSG_NOSIGNAL);
    }
    out = read_all(fd);
    ::close(fd);
    CHECK(out.rfind("HTTP/1.1 200", 0) == 0);

    // Clients that leave mid-request, with and without a reset.
    for (int i = 0; i < 20; ++i) {
        fd = connect_to(port);
        std::string part = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab";
        ::send(fd, part.data(), i % 2 == 0 ? part.size() : 10, MSG_NOSIGNAL);
        if (i % 3 == 0) {
            linger reset{1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        }
        ::close(fd);
    }

    // Headers that never end are cut at the read timeout.
    fd = connect_to(port);
    std::string never = "GET /hello HTTP/1.1\r\nHost: x\r\n";
    ::send(fd, never.data(), never.size(), MSG_NOSIGNAL);
    auto start = std::chrono::steady_clock::now();
    CHECK(read_all(fd).empty());
    auto waited = std::chrono::steady_clock::now() - start;
    ::close(fd);
    CHECK(waited >= std::chrono::milliseconds(500));
    CHECK(waited < std::chrono::milliseconds(8000));

    // A body over the limit: 413, then the connection closes.
    fd = connect_to(port);
    std::string large =
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'z');
    ::send(fd, large.data(), large.size(), MSG_NOSIGNAL);
    out = read_all(fd);
    ::close(fd);
    CHECK(out.rfind("HTTP/1.1 413", 0) == 0);

    auto after = client.Get("/hello");
    REQUIRE(after);
    CHECK(after->status == 200);
}

TEST_CASE("event server: TLS, and a stop with idle and busy connections open")
{
    auto dir = std::filesystem::temp_directory_path() / "rc-event-server-test";
    std::filesystem::remove_all(dir);
    bool created = false;
    auto files = tls::ensure_development_certificate(dir, util::unix_now(), created);
    REQUIRE(files);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    REQUIRE(SSL_CTX_use_certificate_chain_file(ctx, files->cert_file.c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx, files->key_file.c_str(), SSL_FILETYPE_PEM) == 1);
    {
        EventServer server(ctx, small_limits());
        add_routes(server);
        std::atomic<bool> slow_started{false};
        server.Get("/slow", [&](const httplib::Request &, httplib::Response &res) {
            slow_started = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(600));
            res.set_content("done", "text/plain");
        });
        REQUIRE(server.bind("127.0.0.1", 0));
        int port = server.port();
        std::thread serving([&] { server.run(); });

        httplib::SSLClient client("127.0.0.1", port);
        client.enable_server_certificate_verification(false);
        for (int i = 0; i < 3; ++i) {
            auto res = client.Get("/hello");
            REQUIRE(res);
            CHECK(res->body == "hi");
        }
        auto big = client.Get("/big");
        REQUIRE(big);
        CHECK(big->body.size() == 300 * 1024);

        // Not TLS at all, and a handshake abandoned half way.
        int fd = connect_to(port);
        ::send(fd, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL);
        CHECK(read_all(fd).find("HTTP/1.1") == std::string::npos);
        ::close(fd);
        fd = connect_to(port);
        ::send(fd, "\x16\x03\x01\x00\xff\x01", 6, MSG_NOSIGNAL);
        ::close(fd);

        // A stop while `client` idles and another request is running: the
        // running one is answered, then run() returns.
        httplib::SSLClient slow_client("127.0.0.1", port);
        slow_client.enable_server_certificate_verification(false);
        int slow_status = 0;
        std::string slow_connection;
        std::thread slow_request([&] {
            auto slow = slow_client.Get("/slow");
            if (slow) {
                slow_status = slow->status;
                slow_connection = slow->get_header_value("Connection");
            }
        });
        // Stopped only once the request is being answered, however slowly
        // a loaded machine gets it there.
        for (int i = 0; i < 1000 && !slow_started; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        server.stop();
        slow_request.join();
        serving.join();
        CHECK(slow_status == 200);
        CHECK(slow_connection == "close");
    }
    SSL_CTX_free(ctx);
    std::filesystem::remove_all(dir);
}
