// The connection engine under every listener of `rcommerce serve`.
//
// cpp-httplib 0.11.4 still reads each request, routes it through the
// middleware and writes the response (its Server::process_request); this
// class replaces only the library's connection handling, for throughput and
// for staying up. The library gives each connection a thread for its whole
// life, polls before every read, reads the request line and headers one byte
// per SSL_read call and writes the headers and the body of a response as two
// TLS records; with tens of busy keep-alive connections, switching between
// their threads cost more than answering (see the README's benchmark).
//
// Here a few threads wait on one epoll set instead. A connection is handed
// to a thread only when the whole request has arrived (request_arrival in
// core/http/request_framing), so an idle client or one that dribbles its
// headers or body (slowloris) costs memory, not a thread; the engine sends
// a 100 Continue itself and waits for the body the same way. cpp-httplib
// then reads only what is buffered: reading past it ends the stream, so no
// thread ever waits for a client. The thread that takes the connection
// answers, writes the response with one write, and gives the connection
// back to epoll; or closes it, lingering, when part of the request was left
// unread. A handler that blocks (a
// payment gateway's answer) holds its thread; when every thread has been
// busy for a while another starts, up to `max_threads`, and extra threads
// exit after a minute idle. A housekeeping thread closes connections past
// their deadline: the TLS handshake and a request's arrival get the read
// timeout, an idle keep-alive connection the keep-alive timeout.
#pragma once

#include "core/http/request_framing.hpp"

#include <httplib.h>
#include <openssl/ssl.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace rcommerce::server {

struct EngineLimits {
    size_t threads = 16;     // waiting for connections at all times
    size_t max_threads = 64; // when handlers block every one of them
    size_t max_connections = 1024;
    size_t keep_alive_max_count = 1000;
    int64_t keep_alive_timeout_ms = 5000;
    int64_t read_timeout_ms = 10000;
    int64_t write_timeout_ms = 10000;
    size_t max_header_bytes = 8192;
    size_t max_body_bytes = 1 << 20;
};

class EventServer : public httplib::Server {
public:
    // `tls`: the context each connection's TLS session is made from, or null
    // for plain HTTP. Not owned; it must outlive run().
    EventServer(SSL_CTX *tls, const EngineLimits &limits);
    ~EventServer() override;
    EventServer(const EventServer &) = delete;
    EventServer &operator=(const EventServer &) = delete;

    // Creates the listening socket; false when the address cannot be used.
    [[nodiscard]] bool bind(const std::string &host, int port);
    // The port bound (the one chosen when bind() was given 0), or -1.
    [[nodiscard]] int port() const;
    // Serves until stop(), then returns once every connection has closed.
    void run();
    // Stops accepting and closes idle connections; a request being answered
    // finishes, and its response says Connection: close. Any thread.
    void stop();
    // Called while a request is answered (by the middleware, on the thread
    // answering it): close the connection after this response, whose
    // Connection: close the middleware has set. Used when part of the
    // request (a refused body) is left unread.
    static void close_after_response();
    // Called likewise: what is wrong with how the request's raw bytes frame
    // it (core/http request_arrival), or empty. The middleware refuses such
    // a request with 400 before cpp-httplib reads its body.
    [[nodiscard]] static const std::string &framing_problem();
    // Headers sent with every response (the security headers of the
    // listener's policy). Serialised once and written after the status
    // line, which costs nothing per request, where cpp-httplib's default
    // headers are copied into each response's case-insensitive map.
    void set_fixed_headers(const httplib::Headers &headers);

    struct Connection;

private:
    void work(bool extra);
    void housekeep();
    void start_worker(bool extra); // with m_workers_mutex held
    void accept_ready();
    void open_connection(int fd);
    void serve(Connection &c);
    // Hands the connection to epoll until `events`; closes it if that fails.
    void wait_in_epoll(Connection &c, uint32_t events);
    // True at most once every few seconds: for warnings a flood would repeat.
    bool warning_due();
    // What becomes of a connection after a response.
    enum class After { keep_open, close, linger };
    After answer(Connection &c, const http::RequestArrival &arrival);
    // How much of the request at the head of the connection's buffer has
    // arrived; the head is parsed once, then only the body's size checked.
    [[nodiscard]] http::RequestArrival arrival_of(Connection &c) const;
    // Sends 100 Continue when the request awaits it; false if that failed.
    bool send_continue_if_due(Connection &c, const http::RequestArrival &arrival);
    void linger(Connection &c);
    void discard_input(Connection &c);
    void close_connection(Connection &c);

    SSL_CTX *m_tls;
    EngineLimits m_limits;
    std::string m_fixed_headers;
    int m_epoll = -1;
    int m_listen_fd = -1;
    int m_wake_fd = -1;
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_quit{false};

    std::mutex m_connections_mutex;
    std::condition_variable m_all_closed;
    std::unordered_set<Connection *> m_connections;

    std::mutex m_workers_mutex;
    std::vector<std::thread> m_workers;
    std::vector<std::thread::id> m_exited;
    std::atomic<size_t> m_worker_count{0};
    std::atomic<size_t> m_idle_workers{0};
    std::atomic<int64_t> m_last_idle_ms{0};
    std::atomic<int64_t> m_last_refusal_warning{0};
};

} // namespace rcommerce::server
