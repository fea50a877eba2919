// A cap on the TLS connections one client address holds at once.
//
// Without it one host could open `max_connections` connections (idle, or
// dribbling a request until the read timeout, "slowloris") and leave none
// for anyone else. The count is taken where OpenSSL first sees a connection:
// the info callback's SSL_CB_HANDSHAKE_START fires on the first SSL_accept
// call, which the connection engine makes as it accepts the connection,
// before any byte of the ClientHello is read, so a client stalling the
// handshake is counted too. A connection over the cap has its socket shut
// down there, which fails the handshake at once. The count drops when
// OpenSSL frees the connection's SSL object (an ex_data free callback),
// i.e. when the connection is gone.
//
// Known shortcomings: the plain-HTTP listener (redirects, ACME challenges)
// is not covered, as it has no TLS layer to hook. IPv6 clients are counted
// per full address, so a host with a /64 can use many addresses.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rcommerce::server {

class ClientLimit {
public:
    // 0: no cap.
    explicit ClientLimit(size_t max_per_address);
    ClientLimit(const ClientLimit &) = delete;
    ClientLimit &operator=(const ClientLimit &) = delete;

    // Hooks `ctx`. This object must outlive every SSL made from it.
    void install(SSL_CTX *ctx);

    // Connections counted for an address now (for tests and metrics).
    [[nodiscard]] size_t connections(const std::string &address) const;
    [[nodiscard]] uint64_t refused() const { return m_refused.load(); }

private:
    static void on_info(const SSL *ssl, int where, int ret);
    void on_handshake_start(SSL *ssl);
    static void on_free(void *parent, void *ptr, CRYPTO_EX_DATA *data, int index, long argl,
                        void *argp);
    static int counted_index();
    bool admit(const std::string &address);
    void release(const std::string &address);

    size_t m_max_per_address;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, size_t> m_counts;
    std::atomic<uint64_t> m_refused{0};
    std::atomic<int64_t> m_last_warning{0};
};

} // namespace rcommerce::server
