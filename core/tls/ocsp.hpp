// OCSP stapling (RFC 6066 section 8, RFC 6960): for each served certificate
// whose leaf names an OCSP responder (Authority Information Access), fetch a
// response over HTTP, verify it, keep it, and hand it to handshakes that ask
// for certificate status. Refreshes at half the response's validity; if the
// responder is down the server keeps serving, without a staple once the old
// response has expired.
#pragma once

#include "core/tls/certificate.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace rcommerce::tls {

struct OcspResponse {
    std::string der;         // the whole OCSPResponse, as stapled
    int64_t this_update = 0; // Unix seconds
    int64_t next_update = 0; // 0: the responder gave none
};

// The responder URL in the leaf's AIA extension; empty when there is none.
[[nodiscard]] std::string ocsp_responder_url(const Certificate &cert);

// Asks the leaf's responder (http:// only, as RFC 6960 deployments use) and
// verifies the answer: signed by the issuer or a responder it delegated to,
// about this certificate, status good, inside thisUpdate..nextUpdate.
[[nodiscard]] Result<OcspResponse> fetch_ocsp_response(const Certificate &cert, int64_t now,
                                                       int timeout_seconds = 10);

class OcspStapler {
public:
    // Brings every certificate's staple up to date where due; drops staples
    // of certificates no longer served. Logs once, at info, per certificate
    // that names no responder. Returns the seconds until the next refresh is
    // due (at most 3600).
    int64_t refresh(const std::vector<CertificatePtr> &certs, int64_t now);

    // The DER staple for a served leaf, or empty. Safe from any thread.
    [[nodiscard]] std::string staple_for(const X509 *leaf) const;

private:
    struct Entry {
        CertificatePtr cert;
        OcspResponse response;
        int64_t refresh_at = 0;
    };
    mutable std::mutex m_mutex;
    std::map<const X509 *, Entry> m_entries;
};

} // namespace rcommerce::tls
