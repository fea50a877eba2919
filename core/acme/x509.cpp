#include "core/acme/x509.hpp"

#include "core/util/strings.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>

namespace rcommerce::acme {

namespace {

struct X509Free {
    void operator()(X509 *cert) const noexcept { X509_free(cert); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

Error x509_error(std::string what, std::string why)
{
    ERR_clear_error();
    return make_error(ErrorKind::internal, "certificate_invalid", std::move(what), std::move(why));
}

X509Ptr parse_pem(std::string_view pem)
{
    BIO *bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509 *cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    ERR_clear_error();
    return X509Ptr(cert);
}

std::string name_line(const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
    char *data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(size));
    BIO_free(bio);
    return out;
}

std::string common_name(const X509_NAME *name)
{
    int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0) {
        return {};
    }
    const ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    return std::string(reinterpret_cast<const char *>(ASN1_STRING_get0_data(data)),
                       static_cast<size_t>(ASN1_STRING_length(data)));
}

int64_t to_unix(const ASN1_TIME *time)
{
    std::tm tm{};
    if (ASN1_TIME_to_tm(time, &tm) != 1) {
        return 0;
    }
    return timegm(&tm);
}

std::vector<std::string> dns_names(X509 *cert)
{
    std::vector<std::string> names;
    auto *sans = static_cast<GENERAL_NAMES *>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(sans, i);
        if (name->type == GEN_DNS) {
            const ASN1_STRING *dns = name->d.dNSName;
            names.emplace_back(reinterpret_cast<const char *>(ASN1_STRING_get0_data(dns)),
                               static_cast<size_t>(ASN1_STRING_length(dns)));
        }
    }
    GENERAL_NAMES_free(sans);
    return names;
}

std::string to_der(X509 *cert)
{
    int size = i2d_X509(cert, nullptr);
    std::string out(static_cast<size_t>(std::max(size, 0)), '\0');
    auto *p = reinterpret_cast<unsigned char *>(out.data());
    i2d_X509(cert, &p);
    return out;
}

} // namespace

Result<std::string> make_csr(EVP_PKEY *key, const std::vector<std::string> &names)
{
    if (names.empty()) {
        return x509_error("building a CSR", "no names");
    }
    X509_REQ *req = X509_REQ_new();
    X509_NAME *subject = X509_REQ_get_subject_name(req);
    bool ok = X509_REQ_set_version(req, 0) == 1 &&
              X509_NAME_add_entry_by_NID(
                  subject, NID_commonName, MBSTRING_ASC,
                  reinterpret_cast<const unsigned char *>(names.front().c_str()), -1, -1, 0) == 1;
    // A CN is limited to 64 characters; a longer first name goes in the SAN only.
    if (!ok && names.front().size() > 64) {
        ERR_clear_error();
        ok = true;
    }
    std::string san;
    for (const auto &name : names) {
        san += (san.empty() ? "DNS:" : ",DNS:") + name;
    }
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str());
    ok = ok && ext != nullptr && sk_X509_EXTENSION_push(exts, ext) > 0 &&
         X509_REQ_add_extensions(req, exts) == 1 && X509_REQ_set_pubkey(req, key) == 1 &&
         X509_REQ_sign(req, key, EVP_sha256()) > 0;
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    std::string der;
    if (ok) {
        int size = i2d_X509_REQ(req, nullptr);
        der.resize(static_cast<size_t>(std::max(size, 0)));
        auto *p = reinterpret_cast<unsigned char *>(der.data());
        ok = size > 0 && i2d_X509_REQ(req, &p) == size;
    }
    X509_REQ_free(req);
    if (!ok) {
        return x509_error("building a CSR", "OpenSSL refused the request");
    }
    return der;
}

std::vector<std::string> split_pem_chain(std::string_view text)
{
    constexpr std::string_view begin = "-----BEGIN CERTIFICATE-----";
    constexpr std::string_view end = "-----END CERTIFICATE-----";
    std::vector<std::string> out;
    size_t pos = 0;
    while ((pos = text.find(begin, pos)) != std::string_view::npos) {
        size_t stop = text.find(end, pos);
        if (stop == std::string_view::npos) {
            break;
        }
        out.emplace_back(std::string(text.substr(pos, stop + end.size() - pos)) + "\n");
        pos = stop + end.size();
    }
    return out;
}

Result<CertInfo> read_certificate(std::string_view pem)
{
    X509Ptr cert = parse_pem(pem);
    if (!cert) {
        return x509_error("reading a certificate", "not a PEM certificate");
    }
    CertInfo info;
    info.names = dns_names(cert.get());
    info.subject = name_line(X509_get_subject_name(cert.get()));
    info.issuer = name_line(X509_get_issuer_name(cert.get()));
    info.issuer_cn = common_name(X509_get_issuer_name(cert.get()));
    info.not_before = to_unix(X509_get0_notBefore(cert.get()));
    info.not_after = to_unix(X509_get0_notAfter(cert.get()));
    BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
    char *hex = BN_bn2hex(serial);
    for (const char *c = hex; c != nullptr && *c != '\0'; ++c) {
        info.serial_hex += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
    }
    OPENSSL_free(hex);
    BN_free(serial);
    return info;
}

Result<std::string> certificate_der(std::string_view pem)
{
    X509Ptr cert = parse_pem(pem);
    if (!cert) {
        return x509_error("reading a certificate", "not a PEM certificate");
    }
    return to_der(cert.get());
}

Result<std::string> ari_cert_id(std::string_view leaf_pem)
{
    X509Ptr cert = parse_pem(leaf_pem);
    if (!cert) {
        return x509_error("reading a certificate", "not a PEM certificate");
    }
    const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(cert.get());
    if (aki == nullptr) {
        return x509_error("building an ARI certificate id", "no authority key identifier");
    }
    int size = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert.get()), nullptr);
    std::string der(static_cast<size_t>(std::max(size, 0)), '\0');
    auto *p = reinterpret_cast<unsigned char *>(der.data());
    i2d_ASN1_INTEGER(X509_get0_serialNumber(cert.get()), &p);
    // Serials are at most 20 octets (RFC 5280 4.1.2.2), so the DER length
    // is one byte and the content starts at offset 2.
    if (der.size() < 3 || static_cast<unsigned char>(der[1]) >= 0x80) {
        return x509_error("building an ARI certificate id", "unexpected serial encoding");
    }
    std::string key_id(reinterpret_cast<const char *>(ASN1_STRING_get0_data(aki)),
                       static_cast<size_t>(ASN1_STRING_length(aki)));
    return base64url_encode(key_id) + "." + base64url_encode(der.substr(2));
}

Result<std::vector<std::string>> order_issued_chain(const std::vector<std::string> &pems,
                                                    EVP_PKEY *key,
                                                    const std::vector<std::string> &names)
{
    std::vector<X509Ptr> certs;
    for (const auto &pem : pems) {
        certs.push_back(parse_pem(pem));
        if (!certs.back()) {
            return x509_error("reading the certificate the CA issued",
                              "a block of the chain is not a certificate");
        }
    }
    size_t leaf = certs.size();
    for (size_t i = 0; i < certs.size() && leaf == certs.size(); ++i) {
        if (X509_check_private_key(certs[i].get(), key) == 1) {
            leaf = i;
        }
    }
    ERR_clear_error();
    if (leaf == certs.size()) {
        return x509_error("checking the certificate the CA issued",
                          "no certificate in the chain carries the key of this order's CSR; "
                          "nothing was stored");
    }
    auto leaf_names = dns_names(certs[leaf].get());
    for (const auto &name : names) {
        bool found = std::any_of(leaf_names.begin(), leaf_names.end(),
                                 [&](const auto &n) { return util::iequals(n, name); });
        if (!found) {
            return x509_error("checking the certificate the CA issued",
                              "it does not name " + name + "; nothing was stored");
        }
    }
    std::vector<std::string> ordered{pems[leaf]};
    std::vector<bool> used(certs.size(), false);
    used[leaf] = true;
    for (size_t current = leaf;;) {
        size_t next = certs.size();
        for (size_t i = 0; i < certs.size() && next == certs.size(); ++i) {
            if (!used[i] && X509_NAME_cmp(X509_get_subject_name(certs[i].get()),
                                          X509_get_issuer_name(certs[current].get())) == 0) {
                next = i;
            }
        }
        if (next == certs.size()) {
            break;
        }
        used[next] = true;
        ordered.push_back(pems[next]);
        current = next;
    }
    for (size_t i = 0; i < certs.size(); ++i) {
        if (!used[i]) {
            ordered.push_back(pems[i]);
        }
    }
    return ordered;
}

bool key_matches_certificate(std::string_view key_pem, std::string_view cert_pem)
{
    auto key = load_private_key(key_pem);
    X509Ptr cert = parse_pem(cert_pem);
    bool ok = key && cert && X509_check_private_key(cert.get(), key->get()) == 1;
    ERR_clear_error();
    return ok;
}

} // namespace rcommerce::acme
