// The TLS policy of the HTTPS listener, from [tls], applied to an OpenSSL
// SSL_CTX: protocol versions, cipher suites, key-exchange groups, options,
// session-ticket keys, the certificate chosen per handshake by SNI, and the
// OCSP staple for it. The one place that decides how rcommerce speaks TLS.
#pragma once

#include "core/config/config.hpp"
#include "core/tls/certificate.hpp"
#include "core/tls/ocsp.hpp"
#include "core/util/result.hpp"

#include <openssl/ssl.h>

#include <array>
#include <memory>
#include <mutex>

namespace rcommerce::tls {

// TLS 1.2 suites offered only when min_tls_version is "1.2": ECDHE key
// exchange (forward secrecy) with AEAD ciphers, nothing else.
inline constexpr const char *k_tls12_ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";

class ServerPolicy {
public:
    // `stapler` may be null (stapling off). Both must outlive every SSL_CTX
    // this policy is applied to, as must the policy itself.
    ServerPolicy(config::TlsConfig config, std::shared_ptr<CertificateStore> store,
                 std::shared_ptr<OcspStapler> stapler);

    // Configures `ctx`; errors name the setting OpenSSL refused.
    [[nodiscard]] Status apply(SSL_CTX *ctx);

private:
    static int on_certificate(SSL *ssl, void *arg);
    static int on_status_request(SSL *ssl, void *arg);
    static int on_ticket_key(SSL *ssl, unsigned char *key_name, unsigned char *iv,
                             EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, int encrypt);

    // Session-ticket keys live only in memory and rotate every 12 hours; the
    // previous key still decrypts, so a ticket lives at most 24 hours and a
    // restart invalidates all of them (RFC 8446 section 4.6.1 bounds ticket
    // lifetime at 7 days; ours is far shorter).
    struct TicketKey {
        std::array<unsigned char, 16> name{};
        std::array<unsigned char, 32> aes{};
        std::array<unsigned char, 32> hmac{};
        int64_t created = 0;
    };
    void rotate_ticket_keys_if_due(int64_t now);

    config::TlsConfig m_config;
    std::shared_ptr<CertificateStore> m_store;
    std::shared_ptr<OcspStapler> m_stapler;
    std::mutex m_ticket_mutex;
    TicketKey m_current_key, m_previous_key;
};

} // namespace rcommerce::tls
