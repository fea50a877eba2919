#include "core/tls/policy.hpp"

#include "core/util/time.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

namespace rcommerce::tls {
namespace {

constexpr int64_t k_ticket_key_lifetime = 12 * 3600;

int protocol_version(const std::string &text)
{
    return text == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
}

std::string join(const std::vector<std::string> &items, char separator)
{
    std::string out;
    for (const auto &item : items) {
        if (!out.empty()) {
            out += separator;
        }
        out += item;
    }
    return out;
}

Error refused(const std::string &setting, const std::string &value)
{
    unsigned long code = ERR_get_error();
    char reason[256] = "unknown";
    if (code != 0) {
        ERR_error_string_n(code, reason, sizeof reason);
    }
    ERR_clear_error();
    return make_error(ErrorKind::validation, "tls_policy", "applying " + setting + " = " + value,
                      std::string("OpenSSL refused it: ") + reason);
}

ServerPolicy *policy_of(SSL *ssl)
{
    return static_cast<ServerPolicy *>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

} // namespace

ServerPolicy::ServerPolicy(config::TlsConfig config, std::shared_ptr<CertificateStore> store,
                           std::shared_ptr<OcspStapler> stapler)
    : m_config(std::move(config)), m_store(std::move(store)), m_stapler(std::move(stapler))
{
}

Status ServerPolicy::apply(SSL_CTX *ctx)
{
    auto min_text = m_config.min_tls_version;
    auto max_text = m_config.max_tls_version;
    if (SSL_CTX_set_min_proto_version(ctx, protocol_version(min_text)) != 1) {
        return refused("tls.min_tls_version", min_text);
    }
    if (SSL_CTX_set_max_proto_version(ctx, protocol_version(max_text)) != 1) {
        return refused("tls.max_tls_version", max_text);
    }
    auto suites = join(m_config.ciphersuites, ':');
    if (SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1) {
        return refused("tls.ciphersuites", suites);
    }
    if (SSL_CTX_set_cipher_list(ctx, k_tls12_ciphers) != 1) {
        return refused("TLS 1.2 cipher list", k_tls12_ciphers);
    }
    auto groups = join(m_config.groups, ':');
    if (SSL_CTX_set1_groups_list(ctx, groups.c_str()) != 1) {
        return refused("tls.groups", groups);
    }

    // No compression (CRIME), no renegotiation of any kind, the server's
    // suite order, and a fresh ECDHE share per handshake.
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_clear_options(ctx, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
    SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 1);

    SSL_CTX_set_app_data(ctx, this);
    rotate_ticket_keys_if_due(util::unix_now());
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &ServerPolicy::on_ticket_key);
    SSL_CTX_set_cert_cb(ctx, &ServerPolicy::on_certificate, this);
    if (m_stapler) {
        SSL_CTX_set_tlsext_status_cb(ctx, &ServerPolicy::on_status_request);
        SSL_CTX_set_tlsext_status_arg(ctx, this);
    }
    return ok_status();
}

// Runs once per handshake, after the ClientHello is read: picks the
// certificate for the SNI name from the store as it is now, so a reloaded
// certificate reaches new connections while old ones keep theirs.
int ServerPolicy::on_certificate(SSL *ssl, void *arg)
{
    auto *self = static_cast<ServerPolicy *>(arg);
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    auto cert = self->m_store->select(name != nullptr ? name : "");
    if (!cert) {
        return 0;
    }
    return SSL_use_cert_and_key(ssl, cert->leaf(), cert->key(), cert->chain(), 1) == 1 ? 1 : 0;
}

int ServerPolicy::on_status_request(SSL *ssl, void *arg)
{
    auto *self = static_cast<ServerPolicy *>(arg);
    X509 *leaf = SSL_get_certificate(ssl);
    if (leaf == nullptr) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    std::string der = self->m_stapler->staple_for(leaf);
    if (der.empty()) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    // OpenSSL takes ownership of the buffer and frees it after sending.
    auto *copy = static_cast<unsigned char *>(OPENSSL_malloc(der.size()));
    if (copy == nullptr) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    std::memcpy(copy, der.data(), der.size());
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(der.size()));
    return SSL_TLSEXT_ERR_OK;
}

void ServerPolicy::rotate_ticket_keys_if_due(int64_t now)
{
    std::lock_guard lock(m_ticket_mutex);
    if (m_current_key.created != 0 && now - m_current_key.created < k_ticket_key_lifetime) {
        return;
    }
    m_previous_key = m_current_key;
    TicketKey fresh;
    RAND_bytes(fresh.name.data(), static_cast<int>(fresh.name.size()));
    RAND_bytes(fresh.aes.data(), static_cast<int>(fresh.aes.size()));
    RAND_bytes(fresh.hmac.data(), static_cast<int>(fresh.hmac.size()));
    fresh.created = now;
    m_current_key = fresh;
}

// The session-ticket key callback of SSL_CTX_set_tlsext_ticket_key_evp_cb:
// returns 1 to use the key, 2 to accept and re-issue a ticket under the
// current key, 0 to ignore an unknown ticket (full handshake), -1 on error.
int ServerPolicy::on_ticket_key(SSL *ssl, unsigned char *key_name, unsigned char *iv,
                                EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, int encrypt)
{
    auto *self = policy_of(ssl);
    self->rotate_ticket_keys_if_due(util::unix_now());
    TicketKey key;
    bool is_previous = false;
    {
        std::lock_guard lock(self->m_ticket_mutex);
        if (encrypt != 0) {
            key = self->m_current_key;
        } else if (std::memcmp(key_name, self->m_current_key.name.data(), 16) == 0) {
            key = self->m_current_key;
        } else if (self->m_previous_key.created != 0 &&
                   std::memcmp(key_name, self->m_previous_key.name.data(), 16) == 0) {
            key = self->m_previous_key;
            is_previous = true;
        } else {
            return 0;
        }
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac.data(), key.hmac.size()),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char *>("SHA256"), 0),
        OSSL_PARAM_construct_end()};
    if (encrypt != 0) {
        std::memcpy(key_name, key.name.data(), key.name.size());
        if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1 ||
            EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1 ||
            EVP_MAC_CTX_set_params(mac, params) != 1) {
            return -1;
        }
        return 1;
    }
    if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1 ||
        EVP_MAC_CTX_set_params(mac, params) != 1) {
        return -1;
    }
    return is_previous ? 2 : 1;
}

} // namespace rcommerce::tls
