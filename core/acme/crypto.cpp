#include "core/acme/crypto.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <array>

namespace rcommerce::acme {

namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

Error crypto_error(std::string what)
{
    std::string why = "OpenSSL reported no reason";
    if (unsigned long code = ERR_get_error(); code != 0) {
        std::array<char, 256> buffer{};
        ERR_error_string_n(code, buffer.data(), buffer.size());
        why = buffer.data();
    }
    ERR_clear_error();
    return make_error(ErrorKind::internal, "crypto_failed", std::move(what), std::move(why));
}

struct BnFree {
    void operator()(BIGNUM *bn) const noexcept { BN_free(bn); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

std::optional<std::string> bn_param(EVP_PKEY *key, const char *name, int pad)
{
    BIGNUM *raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
        return std::nullopt;
    }
    Bn bn(raw);
    int size = pad > 0 ? pad : BN_num_bytes(bn.get());
    std::string out(static_cast<size_t>(size), '\0');
    if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char *>(out.data()), size) != size) {
        return std::nullopt;
    }
    return out;
}

// DER ECDSA-Sig-Value -> the fixed-width r||s JOSE wants (RFC 7518 3.4).
std::optional<std::string> der_to_raw(std::string_view der, int half)
{
    const auto *p = reinterpret_cast<const unsigned char *>(der.data());
    ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    if (sig == nullptr) {
        return std::nullopt;
    }
    std::string out(static_cast<size_t>(2 * half), '\0');
    auto *bytes = reinterpret_cast<unsigned char *>(out.data());
    bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), bytes, half) == half &&
              BN_bn2binpad(ECDSA_SIG_get0_s(sig), bytes + half, half) == half;
    ECDSA_SIG_free(sig);
    return ok ? std::optional(out) : std::nullopt;
}

} // namespace

std::string base64url_encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char ch : bytes) {
        buffer = (buffer << 8) | ch;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += k_alphabet[(buffer >> bits) & 0x3f];
        }
    }
    if (bits > 0) {
        out += k_alphabet[(buffer << (6 - bits)) & 0x3f];
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text)
{
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (char ch : text) {
        auto index = k_alphabet.find(ch);
        if (index == std::string_view::npos) {
            return std::nullopt;
        }
        buffer = (buffer << 6) | static_cast<uint32_t>(index);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    // Leftover bits must be zero, or two texts would decode the same.
    if ((buffer & ((1u << bits) - 1)) != 0) {
        return std::nullopt;
    }
    return out;
}

std::string sha256(std::string_view bytes)
{
    std::string out(SHA256_DIGEST_LENGTH, '\0');
    SHA256(reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size(),
           reinterpret_cast<unsigned char *>(out.data()));
    return out;
}

std::optional<KeyType> parse_key_type(std::string_view text)
{
    for (auto type :
         {KeyType::ecdsa_p256, KeyType::ecdsa_p384, KeyType::rsa_2048, KeyType::rsa_4096}) {
        if (key_type_name(type) == text) {
            return type;
        }
    }
    return std::nullopt;
}

std::string_view key_type_name(KeyType type)
{
    switch (type) {
    case KeyType::ecdsa_p256:
        return "ecdsa-p256";
    case KeyType::ecdsa_p384:
        return "ecdsa-p384";
    case KeyType::rsa_2048:
        return "rsa-2048";
    case KeyType::rsa_4096:
        return "rsa-4096";
    }
    return "unknown";
}

Result<PKey> generate_key(KeyType type)
{
    EVP_PKEY *key = nullptr;
    switch (type) {
    case KeyType::ecdsa_p256:
        key = EVP_EC_gen("P-256");
        break;
    case KeyType::ecdsa_p384:
        key = EVP_EC_gen("P-384");
        break;
    case KeyType::rsa_2048:
        key = EVP_RSA_gen(2048);
        break;
    case KeyType::rsa_4096:
        key = EVP_RSA_gen(4096);
        break;
    }
    if (key == nullptr) {
        return crypto_error("generating a " + std::string(key_type_name(type)) + " key");
    }
    return PKey(key);
}

Result<PKey> load_private_key(std::string_view pem)
{
    BIO *bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (key == nullptr) {
        return crypto_error("reading a PEM private key");
    }
    return PKey(key);
}

std::string private_key_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char *data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(size));
    BIO_free(bio);
    return out;
}

Result<AccountKey> AccountKey::generate(KeyType type)
{
    auto key = generate_key(type);
    if (!key) {
        return std::move(key).error();
    }
    return wrap(std::move(*key));
}

Result<AccountKey> AccountKey::from_pem(std::string_view pem)
{
    auto key = load_private_key(pem);
    if (!key) {
        return std::move(key).error();
    }
    return wrap(std::move(*key));
}

Result<AccountKey> AccountKey::wrap(PKey key)
{
    AccountKey out;
    int id = EVP_PKEY_get_base_id(key.get());
    int bits = EVP_PKEY_get_bits(key.get());
    if (id == EVP_PKEY_EC && (bits == 256 || bits == 384)) {
        int half = bits / 8;
        auto x = bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, half);
        auto y = bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, half);
        if (!x || !y) {
            return crypto_error("reading the EC account key's public point");
        }
        out.m_alg = bits == 256 ? "ES256" : "ES384";
        out.m_jwk = {{"crv", bits == 256 ? "P-256" : "P-384"},
                     {"kty", "EC"},
                     {"x", base64url_encode(*x)},
                     {"y", base64url_encode(*y)}};
    } else if (id == EVP_PKEY_RSA && bits >= 2048) {
        auto n = bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, 0);
        auto e = bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, 0);
        if (!n || !e) {
            return crypto_error("reading the RSA account key's modulus");
        }
        out.m_alg = "RS256";
        out.m_jwk = {{"e", base64url_encode(*e)}, {"kty", "RSA"}, {"n", base64url_encode(*n)}};
    } else {
        return make_error(ErrorKind::validation, "unsupported_account_key", "account key",
                          "only ECDSA P-256/P-384 and RSA (2048 bits or more) keys can sign",
                          "remove the account folder to create a new account key");
    }
    out.m_key = std::move(key);
    return out;
}

std::string AccountKey::thumbprint() const
{
    // nlohmann::json keeps object members sorted and dump() adds no spaces,
    // which is exactly the canonical form of RFC 7638 section 3.
    return base64url_encode(sha256(m_jwk.dump()));
}

Result<std::string> AccountKey::sign(std::string_view signing_input) const
{
    const EVP_MD *md = m_alg == "ES384" ? EVP_sha384() : EVP_sha256();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t size = 0;
    std::string signature;
    bool ok = EVP_DigestSignInit(ctx, nullptr, md, nullptr, m_key.get()) == 1 &&
              EVP_DigestSign(ctx, nullptr, &size,
                             reinterpret_cast<const unsigned char *>(signing_input.data()),
                             signing_input.size()) == 1;
    if (ok) {
        signature.resize(size);
        ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(signature.data()), &size,
                            reinterpret_cast<const unsigned char *>(signing_input.data()),
                            signing_input.size()) == 1;
        signature.resize(size);
    }
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return crypto_error("signing an ACME request");
    }
    if (m_alg == "RS256") {
        return signature;
    }
    auto raw = der_to_raw(signature, m_alg == "ES256" ? 32 : 48);
    if (!raw) {
        return crypto_error("converting an ECDSA signature to r||s");
    }
    return *raw;
}

Result<nlohmann::json> make_jws(const AccountKey &key, Signer signer, const std::string &kid,
                                const std::string &nonce, const std::string &url,
                                const nlohmann::json &payload)
{
    nlohmann::json header = {{"alg", key.alg()}, {"nonce", nonce}, {"url", url}};
    if (signer == Signer::jwk) {
        header["jwk"] = key.jwk();
    } else {
        header["kid"] = kid;
    }
    std::string protected_b64 = base64url_encode(header.dump());
    std::string payload_b64 = payload.is_null() ? "" : base64url_encode(payload.dump());
    auto signature = key.sign(protected_b64 + "." + payload_b64);
    if (!signature) {
        return std::move(signature).error();
    }
    return nlohmann::json{{"protected", protected_b64},
                          {"payload", payload_b64},
                          {"signature", base64url_encode(*signature)}};
}

Result<nlohmann::json> make_eab(const AccountKey &key, const std::string &eab_kid,
                                const std::string &mac_key_b64url, const std::string &url)
{
    auto mac_key = base64url_decode(mac_key_b64url);
    if (!mac_key || mac_key->empty()) {
        return make_error(ErrorKind::validation, "invalid_eab_key", "external account binding",
                          "the HMAC key is not unpadded base64url",
                          "copy the key exactly as the CA issued it");
    }
    nlohmann::json header = {{"alg", "HS256"}, {"kid", eab_kid}, {"url", url}};
    std::string protected_b64 = base64url_encode(header.dump());
    std::string payload_b64 = base64url_encode(key.jwk().dump());
    std::string input = protected_b64 + "." + payload_b64;
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_size = 0;
    if (HMAC(EVP_sha256(), mac_key->data(), static_cast<int>(mac_key->size()),
             reinterpret_cast<const unsigned char *>(input.data()), input.size(), mac.data(),
             &mac_size) == nullptr) {
        return crypto_error("computing the external account binding MAC");
    }
    std::string mac_bytes(reinterpret_cast<const char *>(mac.data()), mac_size);
    return nlohmann::json{{"protected", protected_b64},
                          {"payload", payload_b64},
                          {"signature", base64url_encode(mac_bytes)}};
}

} // namespace rcommerce::acme
