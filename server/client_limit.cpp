#include "server/client_limit.hpp"

#include "core/log/log.hpp"
#include "core/util/time.hpp"

#include <netdb.h>
#include <sys/socket.h>

namespace rcommerce::server {
namespace {

constexpr int64_t k_warning_interval_seconds = 10;

// What an SSL object carries while it is counted.
struct Counted {
    ClientLimit *limit;
    std::string address;
};

// One index each for the process: the limit on the SSL_CTX, the count on
// each SSL (freed, and so released, with it).
int limit_index()
{
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

std::string peer_address(int fd)
{
    sockaddr_storage peer = {};
    socklen_t length = sizeof peer;
    char host[NI_MAXHOST];
    if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &length) != 0 ||
        getnameinfo(reinterpret_cast<sockaddr *>(&peer), length, host, sizeof host, nullptr, 0,
                    NI_NUMERICHOST) != 0) {
        return {};
    }
    return host;
}

} // namespace

int ClientLimit::counted_index()
{
    static const int index =
        SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &ClientLimit::on_free);
    return index;
}

ClientLimit::ClientLimit(size_t max_per_address) : m_max_per_address(max_per_address) {}

void ClientLimit::install(SSL_CTX *ctx)
{
    if (m_max_per_address == 0) {
        return;
    }
    counted_index();
    SSL_CTX_set_ex_data(ctx, limit_index(), this);
    SSL_CTX_set_info_callback(ctx, &ClientLimit::on_info);
}

void ClientLimit::on_info(const SSL *ssl, int where, int)
{
    if ((where & SSL_CB_HANDSHAKE_START) == 0 || SSL_get_ex_data(ssl, counted_index()) != nullptr) {
        return;
    }
    auto *limit =
        static_cast<ClientLimit *>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), limit_index()));
    if (limit != nullptr) {
        // The callback's SSL is const only by OpenSSL's signature.
        limit->on_handshake_start(const_cast<SSL *>(ssl));
    }
}

void ClientLimit::on_handshake_start(SSL *ssl)
{
    int fd = SSL_get_fd(ssl);
    auto address = peer_address(fd);
    if (address.empty()) {
        return; // not a socket we can name: nothing to count it against
    }
    if (admit(address)) {
        SSL_set_ex_data(ssl, counted_index(), new Counted{this, std::move(address)});
        return;
    }
    ++m_refused;
    // Reads on the socket now end at once, so the handshake fails and the
    // worker thread is free again without waiting for any timeout.
    ::shutdown(fd, SHUT_RDWR);
    auto now = util::unix_now();
    auto last = m_last_warning.load();
    if (now - last >= k_warning_interval_seconds &&
        m_last_warning.compare_exchange_strong(last, now)) {
        log::warn("refusing connections from a client address at its connection limit",
                  {{"address", address},
                   {"max_connections_per_ip", static_cast<int64_t>(m_max_per_address)},
                   {"refused_total", static_cast<int64_t>(m_refused.load())}});
    }
}

void ClientLimit::on_free(void *, void *ptr, CRYPTO_EX_DATA *, int, long, void *)
{
    auto *counted = static_cast<Counted *>(ptr);
    if (counted != nullptr) {
        counted->limit->release(counted->address);
        delete counted;
    }
}

size_t ClientLimit::connections(const std::string &address) const
{
    std::lock_guard lock(m_mutex);
    auto found = m_counts.find(address);
    return found == m_counts.end() ? 0 : found->second;
}

bool ClientLimit::admit(const std::string &address)
{
    std::lock_guard lock(m_mutex);
    auto found = m_counts.find(address);
    if (found == m_counts.end()) {
        m_counts.emplace(address, 1);
        return true;
    }
    if (found->second >= m_max_per_address) {
        return false;
    }
    ++found->second;
    return true;
}

void ClientLimit::release(const std::string &address)
{
    std::lock_guard lock(m_mutex);
    auto found = m_counts.find(address);
    if (found != m_counts.end() && --found->second == 0) {
        m_counts.erase(found);
    }
}

} // namespace rcommerce::server
