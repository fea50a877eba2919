#include "server/event_server.hpp"

#include "core/http/request_framing.hpp"
#include "core/log/log.hpp"

#include <openssl/err.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

namespace rcommerce::server {
namespace {

// A TLS record carries at most 16 KiB of plaintext; one read takes a record.
constexpr size_t k_read_chunk = 16 * 1024;
// A response bigger than this goes out while it is still being written.
constexpr size_t k_write_flush = 64 * 1024;
constexpr auto k_housekeeping_interval = std::chrono::milliseconds(100);
// Every thread busy this long (a handler waiting on something) starts another.
constexpr int64_t k_grow_after_ms = 200;
constexpr int k_extra_idle_exit_ms = 60 * 1000;
constexpr int64_t k_warning_interval_ms = 10 * 1000;
// Longest wait, after the last response, for a client to stop sending.
constexpr int64_t k_linger_ms = 2000;

thread_local bool t_close_after_response = false;
thread_local std::string t_framing_problem;

int64_t now_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Bytes received and not yet consumed: [begin, end) of `data`.
struct InputBuffer {
    std::vector<char> data;
    size_t begin = 0;
    size_t end = 0;

    [[nodiscard]] size_t size() const { return end - begin; }
    [[nodiscard]] std::string_view view() const { return {data.data() + begin, size()}; }
    // Room for `n` more bytes after `end`.
    char *reserve(size_t n)
    {
        if (data.size() - end < n && begin > 0) {
            std::memmove(data.data(), data.data() + begin, size());
            end -= begin;
            begin = 0;
        }
        if (data.size() - end < n) {
            data.resize(end + n);
        }
        return data.data() + end;
    }
    void consume(size_t n)
    {
        begin += n;
        if (begin == end) {
            begin = end = 0;
        }
    }
};

// What a non-blocking read or write asks for next.
enum class Io { done, want_read, want_write, closed };

std::string numeric_address(const sockaddr_storage &address, socklen_t length, int &port)
{
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
    if (getnameinfo(reinterpret_cast<const sockaddr *>(&address), length, host, sizeof host,
                    service, sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        port = -1;
        return {};
    }
    port = std::atoi(service);
    return host;
}

bool wait_for(int fd, Io want, int64_t timeout_ms)
{
    pollfd p{fd, static_cast<short>(want == Io::want_write ? POLLOUT : POLLIN), 0};
    auto deadline = now_ms() + timeout_ms;
    for (;;) {
        int ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, deadline - now_ms())));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        return ready > 0;
    }
}

// Makes the response head at the start of `out` (when it is still there)
// say Connection: close instead of Keep-Alive.
void say_close(std::string &out)
{
    if (out.rfind("HTTP/1.1 ", 0) != 0) {
        return;
    }
    auto head_end = out.find("\r\n\r\n");
    if (head_end == std::string::npos ||
        out.substr(0, head_end + 2).find("\r\nConnection: close\r\n") != std::string::npos) {
        return;
    }
    auto keep_alive = out.find("\r\nKeep-Alive: ");
    if (keep_alive != std::string::npos && keep_alive < head_end) {
        auto line_end = out.find("\r\n", keep_alive + 2);
        out.erase(keep_alive, line_end - keep_alive);
        head_end = out.find("\r\n\r\n");
    }
    out.insert(head_end + 2, "Connection: close\r\n");
}

} // namespace

struct EventServer::Connection {
    int fd = -1;
    SSL *ssl = nullptr;
    bool handshake_done = false;
    bool failed = false; // a read or write failed: no TLS close_notify
    InputBuffer in;
    std::string out;
    std::string remote_ip;
    std::string local_ip;
    int remote_port = -1;
    int local_port = -1;
    size_t served = 0;
    // The deadline and whether the connection waits in epoll are read by
    // the housekeeping thread; `cut` is only touched under the set's mutex.
    std::atomic<int64_t> deadline{0};
    std::atomic<bool> waiting{false};
    bool cut = false;
    bool request_started = false;  // part of a request is buffered
    bool continue_sent = false;    // 100 Continue sent for the current request
    http::RequestArrival awaiting; // the current request's head, while its body arrives
    bool registered = false;       // in the epoll set (armed or not)
    bool lingering = false;        // answered and half-closed: input is discarded

    // Reads what one call returns, without blocking.
    Io receive()
    {
        char *into = in.reserve(k_read_chunk);
        if (ssl != nullptr) {
            ERR_clear_error();
            int n = SSL_read(ssl, into, static_cast<int>(k_read_chunk));
            if (n > 0) {
                in.end += static_cast<size_t>(n);
                return Io::done;
            }
            switch (SSL_get_error(ssl, n)) {
            case SSL_ERROR_WANT_READ:
                return Io::want_read;
            case SSL_ERROR_WANT_WRITE:
                return Io::want_write;
            case SSL_ERROR_ZERO_RETURN:
                return Io::closed;
            default:
                failed = true;
                return Io::closed;
            }
        }
        for (;;) {
            ssize_t n = ::recv(fd, into, k_read_chunk, 0);
            if (n > 0) {
                in.end += static_cast<size_t>(n);
                return Io::done;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return Io::want_read;
            }
            failed = n < 0;
            return Io::closed;
        }
    }

    // True when bytes the TLS layer already holds would not wake epoll.
    [[nodiscard]] bool tls_holds_input() const { return ssl != nullptr && SSL_has_pending(ssl); }

    // Writes `out` completely, waiting up to `timeout_ms` whenever the
    // socket is full.
    bool flush(int64_t timeout_ms)
    {
        size_t sent = 0;
        while (sent < out.size() && !failed) {
            size_t left = out.size() - sent;
            Io wait = Io::want_write;
            if (ssl != nullptr) {
                ERR_clear_error();
                int n = SSL_write(ssl, out.data() + sent,
                                  static_cast<int>(std::min<size_t>(left, INT_MAX)));
                if (n > 0) {
                    sent += static_cast<size_t>(n);
                    continue;
                }
                int error = SSL_get_error(ssl, n);
                if (error == SSL_ERROR_WANT_READ) {
                    wait = Io::want_read;
                } else if (error != SSL_ERROR_WANT_WRITE) {
                    failed = true;
                    break;
                }
            } else {
                ssize_t n = ::send(fd, out.data() + sent, left, MSG_NOSIGNAL);
                if (n > 0) {
                    sent += static_cast<size_t>(n);
                    continue;
                }
                if (n < 0 && errno == EINTR) {
                    continue;
                }
                if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    failed = true;
                    break;
                }
            }
            if (!wait_for(fd, wait, timeout_ms)) {
                failed = true;
            }
        }
        out.clear();
        return !failed;
    }
};

namespace {

// The connection as cpp-httplib's request processing sees it: reads come
// from the bytes already buffered (the whole request, usually) and writes
// collect into one buffer, written after the response is complete.
class ConnectionStream final : public httplib::Stream {
public:
    // The engine hands over a request only once it is whole (or once more
    // of it cannot help), so reading past what is buffered ends the stream:
    // no thread ever waits for a client here.
    ConnectionStream(EventServer::Connection &c, const EngineLimits &limits,
                     std::string_view fixed_headers)
        : m_c(c), m_limits(limits), m_fixed_headers(fixed_headers)
    {
    }

    bool is_readable() const override { return m_c.in.size() > 0 || m_c.tls_holds_input(); }
    bool is_writable() const override { return !m_c.failed; }

    ssize_t read(char *ptr, size_t size) override
    {
        if (m_c.in.size() == 0 && m_c.tls_holds_input()) {
            // Bytes OpenSSL read ahead; never a wait.
            m_c.receive();
        }
        size_t n = std::min(size, m_c.in.size());
        if (n == 0) {
            return 0;
        }
        std::memcpy(ptr, m_c.in.data.data() + m_c.in.begin, n);
        m_c.in.consume(n);
        return static_cast<ssize_t>(n);
    }

    ssize_t write(const char *ptr, size_t size) override
    {
        if (m_c.failed) {
            return -1;
        }
        // cpp-httplib writes a response's status line and headers in one
        // call. Its own 100 Continue is dropped: the engine sends that
        // itself, before the body, and only when nothing refuses the head.
        auto data = std::string_view(ptr, size);
        constexpr std::string_view k_status_line = "HTTP/1.1 ";
        if (!m_head_written && data.substr(0, k_status_line.size() + 1) == "HTTP/1.1 1") {
            return static_cast<ssize_t>(size);
        }
        auto line_end = data.find("\r\n");
        if (!m_head_written && data.substr(0, k_status_line.size()) == k_status_line &&
            line_end != std::string_view::npos) {
            m_head_written = true;
            m_c.out.append(data.substr(0, line_end + 2));
            m_c.out.append(m_fixed_headers);
            data.remove_prefix(line_end + 2);
        }
        m_c.out.append(data);
        if (m_c.out.size() >= k_write_flush && !m_c.flush(m_limits.write_timeout_ms)) {
            return -1;
        }
        return static_cast<ssize_t>(size);
    }

    void get_remote_ip_and_port(std::string &ip, int &port) const override
    {
        ip = m_c.remote_ip;
        port = m_c.remote_port;
    }
    void get_local_ip_and_port(std::string &ip, int &port) const override
    {
        ip = m_c.local_ip;
        port = m_c.local_port;
    }
    socket_t socket() const override { return m_c.fd; }

private:
    EventServer::Connection &m_c;
    const EngineLimits &m_limits;
    std::string_view m_fixed_headers;
    bool m_head_written = false;
};

} // namespace

EventServer::EventServer(SSL_CTX *tls, const EngineLimits &limits) : m_tls(tls), m_limits(limits)
{
    m_limits.threads = std::max<size_t>(1, m_limits.threads);
    m_limits.max_threads = std::max(m_limits.threads, m_limits.max_threads);
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    m_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_epoll < 0 || m_wake_fd < 0) {
        throw std::runtime_error(std::string("creating the connection engine: ") +
                                 std::strerror(errno));
    }
    // Level-triggered and never read: once written, it wakes every thread.
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &m_wake_fd;
    epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wake_fd, &event);
}

EventServer::~EventServer()
{
    for (int fd : {m_listen_fd, m_wake_fd, m_epoll}) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
}

bool EventServer::bind(const std::string &host, int port)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo *found = nullptr;
    auto service = std::to_string(port);
    if (getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found) != 0) {
        return false;
    }
    for (auto *candidate = found; candidate != nullptr; candidate = candidate->ai_next) {
        int fd =
            ::socket(candidate->ai_family, candidate->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                     candidate->ai_protocol);
        if (fd < 0) {
            continue;
        }
        int yes = 1;
        int no = 0;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        // Accepted sockets inherit it: no Nagle stalls on small TLS records.
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
        if (candidate->ai_family == AF_INET6) {
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
        }
        if (::bind(fd, candidate->ai_addr, candidate->ai_addrlen) == 0 &&
            ::listen(fd, SOMAXCONN) == 0) {
            m_listen_fd = fd;
            break;
        }
        ::close(fd);
    }
    freeaddrinfo(found);
    return m_listen_fd >= 0;
}

int EventServer::port() const
{
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (m_listen_fd < 0 ||
        getsockname(m_listen_fd, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
        return -1;
    }
    int port = -1;
    numeric_address(address, length, port);
    return port;
}

void EventServer::run()
{
    if (m_listen_fd < 0) {
        return;
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLONESHOT;
    event.data.ptr = &m_listen_fd;
    epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_listen_fd, &event);
    {
        std::lock_guard lock(m_workers_mutex);
        for (size_t i = 0; i < m_limits.threads; ++i) {
            start_worker(false);
        }
    }
    std::thread housekeeper([this] { housekeep(); });
    {
        std::unique_lock lock(m_connections_mutex);
        m_all_closed.wait(lock, [&] { return m_stopping && m_connections.empty(); });
    }
    m_quit = true;
    uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(m_wake_fd, &one, sizeof one);
    housekeeper.join();
    std::vector<std::thread> workers;
    {
        std::lock_guard lock(m_workers_mutex);
        workers.swap(m_workers);
    }
    for (auto &worker : workers) {
        worker.join();
    }
}

void EventServer::stop()
{
    if (m_stopping.exchange(true)) {
        return;
    }
    if (m_listen_fd >= 0) {
        // accept() now fails at once; the socket is closed with the server.
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, m_listen_fd, nullptr);
        ::shutdown(m_listen_fd, SHUT_RDWR);
    }
    // The housekeeping thread closes the idle connections.
    std::lock_guard lock(m_connections_mutex);
    m_all_closed.notify_all();
}

void EventServer::start_worker(bool extra)
{
    ++m_worker_count;
    m_workers.emplace_back([this, extra] { work(extra); });
}

void EventServer::work(bool extra)
{
    for (;;) {
        epoll_event event{};
        ++m_idle_workers;
        m_last_idle_ms = now_ms();
        int ready = epoll_wait(m_epoll, &event, 1, extra ? k_extra_idle_exit_ms : -1);
        --m_idle_workers;
        if (m_quit) {
            break;
        }
        if (ready == 0 && extra) {
            break;
        }
        if (ready <= 0) {
            continue;
        }
        if (event.data.ptr == &m_listen_fd) {
            accept_ready();
        } else if (event.data.ptr != &m_wake_fd) {
            auto *c = static_cast<Connection *>(event.data.ptr);
            c->waiting = false;
            serve(*c);
        }
    }
    --m_worker_count;
    if (extra && !m_quit) {
        std::lock_guard lock(m_workers_mutex);
        m_exited.push_back(std::this_thread::get_id());
    }
}

void EventServer::housekeep()
{
    while (!m_quit) {
        std::this_thread::sleep_for(k_housekeeping_interval);
        auto now = now_ms();
        {
            std::lock_guard lock(m_connections_mutex);
            for (auto *c : m_connections) {
                if (!c->cut && c->waiting && (m_stopping || c->deadline <= now)) {
                    // Its thread-to-be sees the end of the stream and closes it.
                    ::shutdown(c->fd, SHUT_RDWR);
                    c->cut = true;
                }
            }
        }
        std::lock_guard lock(m_workers_mutex);
        for (auto id : m_exited) {
            auto it = std::find_if(m_workers.begin(), m_workers.end(),
                                   [&](const std::thread &t) { return t.get_id() == id; });
            if (it != m_workers.end()) {
                it->join();
                m_workers.erase(it);
            }
        }
        m_exited.clear();
        if (m_idle_workers == 0 && !m_stopping && now - m_last_idle_ms > k_grow_after_ms &&
            m_worker_count < m_limits.max_threads) {
            start_worker(true);
            m_last_idle_ms = now;
        }
    }
}

void EventServer::accept_ready()
{
    int fd = -1;
    for (;;) {
        fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0 || (errno != EINTR && errno != ECONNABORTED)) {
            break;
        }
    }
    if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
        if (warning_due()) {
            log::warn("cannot accept connections: out of file descriptors or memory; raise "
                      "the open-file limit (ulimit -n, LimitNOFILE=) or lower "
                      "server.max_connections",
                      {{"error", std::strerror(errno)}});
        }
        // The listening socket stays readable; give closing ones a moment.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // One connection per wake-up, the listener handed back before it is
    // served: the next one is accepted by another thread meanwhile.
    if (!m_stopping) {
        epoll_event event{};
        event.events = EPOLLIN | EPOLLONESHOT;
        event.data.ptr = &m_listen_fd;
        epoll_ctl(m_epoll, EPOLL_CTL_MOD, m_listen_fd, &event);
    }
    if (fd >= 0) {
        if (m_stopping) {
            ::close(fd);
            return;
        }
        open_connection(fd);
    }
}

bool EventServer::warning_due()
{
    auto now = now_ms();
    auto last = m_last_refusal_warning.load();
    return now - last >= k_warning_interval_ms &&
           m_last_refusal_warning.compare_exchange_strong(last, now);
}

void EventServer::open_connection(int fd)
{
    auto *c = new Connection;
    c->fd = fd;
    bool admitted = false;
    {
        std::lock_guard lock(m_connections_mutex);
        admitted = m_connections.size() < m_limits.max_connections;
        if (admitted) {
            m_connections.insert(c);
        }
    }
    if (!admitted) {
        delete c;
        ::close(fd);
        if (warning_due()) {
            log::warn("refusing connections: server.max_connections are open",
                      {{"max_connections", static_cast<int64_t>(m_limits.max_connections)}});
        }
        return;
    }
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getpeername(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0) {
        c->remote_ip = numeric_address(address, length, c->remote_port);
    }
    length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0) {
        c->local_ip = numeric_address(address, length, c->local_port);
    }
    if (m_tls != nullptr) {
        c->ssl = SSL_new(m_tls);
        if (c->ssl == nullptr) {
            close_connection(*c);
            return;
        }
        SSL_set_fd(c->ssl, fd);
        SSL_set_accept_state(c->ssl);
        // Whatever the socket holds in one read, rather than two reads per
        // TLS record (its header, then its body). The bytes OpenSSL then
        // holds do not wake epoll: tls_holds_input() is asked before waiting.
        SSL_set_read_ahead(c->ssl, 1);
    }
    c->deadline = now_ms() + m_limits.read_timeout_ms;
    // A client usually sends its ClientHello (or its request) right after
    // connecting, so trying at once often saves a trip through epoll.
    serve(*c);
}

void EventServer::wait_in_epoll(Connection &c, uint32_t events)
{
    c.waiting = true;
    epoll_event event{};
    event.events = events | EPOLLRDHUP | EPOLLONESHOT;
    event.data.ptr = &c;
    // After this call another thread may own the connection.
    bool registered = c.registered;
    c.registered = true;
    if (epoll_ctl(m_epoll, registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &event) == 0) {
        return;
    }
    c.registered = registered;
    c.waiting = false;
    close_connection(c);
}

void EventServer::serve(Connection &c)
{
    if (c.lingering) {
        discard_input(c);
        return;
    }
    if (c.ssl != nullptr && !c.handshake_done) {
        ERR_clear_error();
        int result = SSL_accept(c.ssl);
        if (result != 1) {
            int error = SSL_get_error(c.ssl, result);
            if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
                if (m_stopping) {
                    close_connection(c);
                    return;
                }
                wait_in_epoll(c, error == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
                return;
            }
            c.failed = true;
            close_connection(c);
            return;
        }
        c.handshake_done = true;
        c.deadline = now_ms() + m_limits.keep_alive_timeout_ms;
    }
    // Read what has arrived; then answer every whole request buffered.
    for (;;) {
        Io io = Io::done;
        auto arrival = arrival_of(c);
        while (arrival.state != http::RequestArrival::State::ready) {
            if (!send_continue_if_due(c, arrival)) {
                close_connection(c);
                return;
            }
            io = c.receive();
            if (io != Io::done) {
                break;
            }
            auto now = now_ms();
            if (!c.request_started) {
                // The first bytes of a request: its arrival is bounded by the
                // read timeout, however slowly they come.
                c.request_started = true;
                c.deadline = now + m_limits.read_timeout_ms;
            } else if (now > c.deadline) {
                // Still arriving (a stream of tiny TLS records) past its time.
                close_connection(c);
                return;
            }
            arrival = arrival_of(c);
            if (arrival.state != http::RequestArrival::State::ready && c.ssl == nullptr) {
                break; // a plain socket is drained; wait for more
            }
        }
        if (arrival.state != http::RequestArrival::State::ready) {
            if (io == Io::closed || m_stopping || !send_continue_if_due(c, arrival)) {
                // The client left mid-request, or the server is stopping.
                close_connection(c);
                return;
            }
            wait_in_epoll(c, io == Io::want_write ? EPOLLOUT : EPOLLIN);
            return;
        }
        auto after = answer(c, arrival);
        if (after == After::close) {
            close_connection(c);
            return;
        }
        if (after == After::linger) {
            linger(c);
            return;
        }
        c.continue_sent = false;
        c.awaiting = {};
        if (c.in.size() == 0 && !c.tls_holds_input()) {
            // Idle until the next request, for the keep-alive timeout. A
            // buffer a large body grew is given back.
            if (c.in.data.size() > 4 * k_read_chunk) {
                c.in = InputBuffer{};
            }
            c.request_started = false;
            c.deadline = now_ms() + m_limits.keep_alive_timeout_ms;
            if (m_stopping) {
                close_connection(c);
                return;
            }
            wait_in_epoll(c, EPOLLIN);
            return;
        }
        // A pipelined request follows.
        c.request_started = c.in.size() > 0;
        c.deadline = now_ms() + m_limits.read_timeout_ms;
    }
}

http::RequestArrival EventServer::arrival_of(Connection &c) const
{
    using State = http::RequestArrival::State;
    if (c.awaiting.length > 0) {
        // The head was read already; only the body's size is awaited.
        if (c.in.size() < c.awaiting.length) {
            return c.awaiting;
        }
        auto ready = c.awaiting;
        ready.state = State::ready;
        c.awaiting = {};
        return ready;
    }
    // A head may be twice the configured limit and a line of cpp-httplib's
    // fixed 8192 bytes before waiting stops: the 431 then comes from what
    // arrived.
    auto arrival = http::request_arrival(c.in.view(), m_limits.max_header_bytes * 2 + 8192,
                                         m_limits.max_body_bytes);
    if (arrival.state == State::awaiting_continue && arrival.head > m_limits.max_header_bytes) {
        // Refused (431) on its head: answered now, no 100 Continue.
        arrival.state = State::ready;
        arrival.length = 0;
    }
    if (arrival.state != State::ready && arrival.length > 0) {
        c.awaiting = arrival;
    }
    return arrival;
}

bool EventServer::send_continue_if_due(Connection &c, const http::RequestArrival &arrival)
{
    if (arrival.state != http::RequestArrival::State::awaiting_continue || c.continue_sent) {
        return true;
    }
    // The client sends its body only after this; its head passed the
    // checks that can refuse a request before routing (framing, a length
    // within the limit, the header size).
    c.continue_sent = true;
    c.out = "HTTP/1.1 100 Continue\r\n\r\n";
    return c.flush(m_limits.write_timeout_ms);
}

void EventServer::set_fixed_headers(const httplib::Headers &headers)
{
    m_fixed_headers.clear();
    for (const auto &[name, value] : headers) {
        m_fixed_headers += name + ": " + value + "\r\n";
    }
}

const std::string &EventServer::framing_problem()
{
    return t_framing_problem;
}

void EventServer::close_after_response()
{
    t_close_after_response = true;
}

EventServer::After EventServer::answer(Connection &c, const http::RequestArrival &arrival)
{
    bool last = m_stopping || c.served + 1 >= m_limits.keep_alive_max_count;
    bool client_closes = false;
    t_close_after_response = false;
    t_framing_problem = arrival.problem;
    size_t buffered = c.in.size();
    ConnectionStream stream(c, m_limits, m_fixed_headers);
    bool ok = process_request(stream, last, client_closes,
                              [&](httplib::Request &req) { req.ssl = c.ssl; });
    ++c.served;
    // Fewer bytes read than the request holds: the rest of its body is
    // still there and must not be taken for a next request.
    bool unread = arrival.length == 0 || buffered - c.in.size() < arrival.length;
    bool linger = t_close_after_response || unread || ((last || client_closes) && c.in.size() > 0);
    bool closing = linger || last || client_closes || m_stopping;
    if (closing) {
        // The stop may have come while the request ran, or the engine
        // closes for a reason cpp-httplib did not see: the response says so.
        say_close(c.out);
    }
    ok = c.flush(m_limits.write_timeout_ms) && ok;
    t_framing_problem.clear();
    if (!ok) {
        return After::close;
    }
    if (linger) {
        return After::linger;
    }
    return closing ? After::close : After::keep_open;
}

// The client may still be sending what the server did not read (a refused
// body, requests pipelined behind the last one). Closing a socket with
// unread bytes makes the kernel reset the connection, which can destroy the
// response before the client has read it; so the sending side is closed
// and whatever arrives is discarded until the client closes too, or for at
// most a few seconds.
void EventServer::linger(Connection &c)
{
    if (c.ssl != nullptr) {
        SSL_shutdown(c.ssl); // close_notify first, while the TLS layer may write
    }
    c.failed = true; // nothing more goes through TLS
    ::shutdown(c.fd, SHUT_WR);
    c.lingering = true;
    c.in = InputBuffer{};
    c.deadline = now_ms() + std::min<int64_t>(m_limits.read_timeout_ms, k_linger_ms);
    wait_in_epoll(c, EPOLLIN);
}

void EventServer::discard_input(Connection &c)
{
    char scratch[4096];
    // Bounded per wake-up, so a client that keeps sending shares the thread.
    for (int reads = 0; reads < 16; ++reads) {
        ssize_t n = ::recv(c.fd, scratch, sizeof scratch, 0);
        if (n > 0 || (n < 0 && errno == EINTR)) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !m_stopping) {
            break;
        }
        close_connection(c);
        return;
    }
    wait_in_epoll(c, EPOLLIN);
}

void EventServer::close_connection(Connection &c)
{
    {
        std::lock_guard lock(m_connections_mutex);
        m_connections.erase(&c);
        if (m_connections.empty() && m_stopping) {
            m_all_closed.notify_all();
        }
    }
    if (c.ssl != nullptr) {
        if (c.handshake_done && !c.failed) {
            SSL_shutdown(c.ssl); // close_notify, without waiting for the reply
        }
        SSL_free(c.ssl);
    }
    ::close(c.fd);
    delete &c;
}

} // namespace rcommerce::server
