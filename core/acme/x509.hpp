// The certificate side of ACME: CSRs for finalize (RFC 8555 section 7.4),
// reading issued chains, and the identifiers revocation and ACME Renewal
// Information need.
#pragma once

#include "core/acme/crypto.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rcommerce::acme {

// A DER PKCS#10 request for `names` (first is the subject CN, all are SANs),
// signed by `key`.
[[nodiscard]] Result<std::string> make_csr(EVP_PKEY *key, const std::vector<std::string> &names);

struct CertInfo {
    std::vector<std::string> names; // DNS SANs, in certificate order
    std::string subject;            // one-line form
    std::string issuer;             // one-line form
    std::string issuer_cn;
    std::string serial_hex; // lower-case, no separators
    int64_t not_before = 0;
    int64_t not_after = 0;
};

// The PEM blocks of a chain, leaf first, each with its own BEGIN/END lines.
[[nodiscard]] std::vector<std::string> split_pem_chain(std::string_view text);

[[nodiscard]] Result<CertInfo> read_certificate(std::string_view pem);

// The DER bytes of one PEM certificate.
[[nodiscard]] Result<std::string> certificate_der(std::string_view pem);

// RFC 9773 section 4.1 CertID: base64url(AKI keyIdentifier) "."
// base64url(serial DER content bytes).
[[nodiscard]] Result<std::string> ari_cert_id(std::string_view leaf_pem);

// The chain a CA returned, checked and put in serving order: the
// certificate for `key` first, then each issuer after the certificate it
// signed, then anything left over. Fails when no certificate carries `key`
// or the leaf lacks one of `names`: storing it would pair a key with a
// certificate it cannot serve, in place of one that works.
[[nodiscard]] Result<std::vector<std::string>>
order_issued_chain(const std::vector<std::string> &pems, EVP_PKEY *key,
                   const std::vector<std::string> &names);

// True when the private key belongs to the certificate.
[[nodiscard]] bool key_matches_certificate(std::string_view key_pem, std::string_view cert_pem);

} // namespace rcommerce::acme
