// Keys, base64url and JSON Web Signatures for ACME (RFC 8555 section 6.2,
// RFC 7515, RFC 7518, RFC 7638).
//
// An account key signs every request. ECDSA P-256 keys sign with ES256 and
// RSA keys with RS256; an ECDSA signature goes on the wire as the raw
// fixed-size r||s pair (RFC 7518 section 3.4), never as OpenSSL's DER.
#pragma once

#include "core/util/result.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rcommerce::acme {

// Unpadded URL-safe base64 (RFC 4648 section 5), as JOSE uses it.
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
// Strict: rejects padding, whitespace and characters outside the alphabet.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

[[nodiscard]] std::string sha256(std::string_view bytes);

enum class KeyType { ecdsa_p256, ecdsa_p384, rsa_2048, rsa_4096 };
[[nodiscard]] std::optional<KeyType> parse_key_type(std::string_view text);
[[nodiscard]] std::string_view key_type_name(KeyType type);

struct PKeyFree {
    void operator()(EVP_PKEY *key) const noexcept { EVP_PKEY_free(key); }
};
using PKey = std::unique_ptr<EVP_PKEY, PKeyFree>;

[[nodiscard]] Result<PKey> generate_key(KeyType type);
[[nodiscard]] Result<PKey> load_private_key(std::string_view pem);
[[nodiscard]] std::string private_key_pem(EVP_PKEY *key);

// The key that signs ACME requests.
class AccountKey {
public:
    // Only ecdsa_p256 (ES256), ecdsa_p384 (ES384) and RSA (RS256) keys.
    [[nodiscard]] static Result<AccountKey> generate(KeyType type);
    [[nodiscard]] static Result<AccountKey> from_pem(std::string_view pem);

    [[nodiscard]] const std::string &alg() const { return m_alg; }
    // The public JWK, members sorted as RFC 7638 section 3.2 wants.
    [[nodiscard]] const nlohmann::json &jwk() const { return m_jwk; }
    // RFC 7638 thumbprint: base64url(SHA-256(canonical JWK)).
    [[nodiscard]] std::string thumbprint() const;
    [[nodiscard]] std::string pem() const { return private_key_pem(m_key.get()); }
    [[nodiscard]] EVP_PKEY *pkey() const { return m_key.get(); }

    // The JWS signature over `signing_input`, in JOSE form.
    [[nodiscard]] Result<std::string> sign(std::string_view signing_input) const;

private:
    AccountKey() = default;
    [[nodiscard]] static Result<AccountKey> wrap(PKey key);

    PKey m_key;
    std::string m_alg;
    nlohmann::json m_jwk;
};

// Who the JWS says signed it: the JWK itself (newAccount, revokeCert by
// certificate key) or the account URL (everything else), RFC 8555 6.2.
enum class Signer { jwk, kid };

// A flattened JSON JWS (RFC 7515 section 7.2.2). A null `payload` means
// POST-as-GET (RFC 8555 section 6.3): the payload is the empty string.
[[nodiscard]] Result<nlohmann::json> make_jws(const AccountKey &key, Signer signer,
                                              const std::string &kid, const std::string &nonce,
                                              const std::string &url,
                                              const nlohmann::json &payload);

// External Account Binding (RFC 8555 section 7.3.4): an HS256 JWS over the
// account's public JWK, keyed with the CA-issued MAC key (base64url).
[[nodiscard]] Result<nlohmann::json> make_eab(const AccountKey &key, const std::string &eab_kid,
                                              const std::string &mac_key_b64url,
                                              const std::string &url);

} // namespace rcommerce::acme
