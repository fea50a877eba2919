#include "core/tls/ocsp.hpp"

#include "core/log/log.hpp"
#include "core/util/time.hpp"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>

namespace rcommerce::tls {
namespace {

constexpr int64_t k_retry_seconds = 300;
constexpr int64_t k_max_sleep = 3600;

Error ocsp_error(const std::string &why)
{
    ERR_clear_error();
    return make_error(ErrorKind::unavailable, "ocsp_failed", "fetching an OCSP response", why);
}

int64_t generalized_to_unix(const ASN1_GENERALIZEDTIME *time)
{
    struct tm parts = {};
    if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
        return 0;
    }
    return static_cast<int64_t>(timegm(&parts));
}

// The certificate in `chain` that issued `leaf`.
X509 *find_issuer(X509 *leaf, STACK_OF(X509) * chain)
{
    for (int i = 0; i < sk_X509_num(chain); ++i) {
        X509 *candidate = sk_X509_value(chain, i);
        if (X509_check_issued(candidate, leaf) == X509_V_OK) {
            return candidate;
        }
    }
    return nullptr;
}

struct OcspDeleter {
    void operator()(OCSP_REQUEST *p) const { OCSP_REQUEST_free(p); }
    void operator()(OCSP_RESPONSE *p) const { OCSP_RESPONSE_free(p); }
    void operator()(OCSP_BASICRESP *p) const { OCSP_BASICRESP_free(p); }
    void operator()(OCSP_CERTID *p) const { OCSP_CERTID_free(p); }
    void operator()(X509_STORE *p) const { X509_STORE_free(p); }
};
template <typename T> using Owned = std::unique_ptr<T, OcspDeleter>;

// Verifies a DER OCSPResponse for `cert` per RFC 6960 section 3.2.
Result<OcspResponse> verify_response(const std::string &der, const Certificate &cert, X509 *issuer,
                                     int64_t now)
{
    const auto *bytes = reinterpret_cast<const unsigned char *>(der.data());
    Owned<OCSP_RESPONSE> response(d2i_OCSP_RESPONSE(nullptr, &bytes, long(der.size())));
    if (!response) {
        return ocsp_error("the responder's answer is not an OCSP response");
    }
    int status = OCSP_response_status(response.get());
    if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        return ocsp_error(std::string("the responder answered ") +
                          OCSP_response_status_str(status));
    }
    Owned<OCSP_BASICRESP> basic(OCSP_response_get1_basic(response.get()));
    Owned<X509_STORE> store(X509_STORE_new());
    if (!basic || !store) {
        return ocsp_error("the response has no basic response");
    }
    // Trust anchors here are the certificate's own issuer: the staple only
    // has to prove what the issuer says about its certificate.
    X509_STORE_add_cert(store.get(), issuer);
    X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
    if (OCSP_basic_verify(basic.get(), cert.chain(), store.get(), OCSP_TRUSTOTHER) != 1) {
        return ocsp_error("the response's signature does not verify against the issuer");
    }
    Owned<OCSP_CERTID> id(OCSP_cert_to_id(nullptr, cert.leaf(), issuer));
    int cert_status = 0, reason = 0;
    ASN1_GENERALIZEDTIME *revoked = nullptr, *this_update = nullptr, *next_update = nullptr;
    if (OCSP_resp_find_status(basic.get(), id.get(), &cert_status, &reason, &revoked, &this_update,
                              &next_update) != 1) {
        return ocsp_error("the response does not cover this certificate");
    }
    if (OCSP_check_validity(this_update, next_update, 300, -1) != 1) {
        return ocsp_error("the response is outside its validity period");
    }
    if (cert_status != V_OCSP_CERTSTATUS_GOOD) {
        return ocsp_error(std::string("the responder says the certificate is ") +
                          OCSP_cert_status_str(cert_status));
    }
    OcspResponse out{der, generalized_to_unix(this_update), generalized_to_unix(next_update)};
    if (out.next_update != 0 && out.next_update <= now) {
        return ocsp_error("the response expired at " + std::to_string(out.next_update));
    }
    return out;
}

} // namespace

std::string ocsp_responder_url(const Certificate &cert)
{
    STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(cert.leaf());
    std::string url;
    if (urls != nullptr && sk_OPENSSL_STRING_num(urls) > 0) {
        url = sk_OPENSSL_STRING_value(urls, 0);
    }
    X509_email_free(urls);
    return url;
}

Result<OcspResponse> fetch_ocsp_response(const Certificate &cert, int64_t now, int timeout_seconds)
{
    std::string url = ocsp_responder_url(cert);
    if (url.rfind("http://", 0) != 0) {
        return ocsp_error("responder URL \"" + url + "\" is not http://");
    }
    X509 *issuer = find_issuer(cert.leaf(), cert.chain());
    if (issuer == nullptr) {
        return ocsp_error("the certificate file holds no issuer certificate after the leaf");
    }

    Owned<OCSP_REQUEST> request(OCSP_REQUEST_new());
    OCSP_CERTID *id = OCSP_cert_to_id(nullptr, cert.leaf(), issuer);
    if (!request || id == nullptr || OCSP_request_add0_id(request.get(), id) == nullptr) {
        return ocsp_error("cannot build the OCSP request");
    }
    unsigned char *request_der = nullptr;
    int request_length = i2d_OCSP_REQUEST(request.get(), &request_der);
    if (request_length <= 0) {
        return ocsp_error("cannot encode the OCSP request");
    }
    std::string body(reinterpret_cast<char *>(request_der), size_t(request_length));
    OPENSSL_free(request_der);

    // RFC 6960 appendix A.1: POST application/ocsp-request to the URL.
    auto rest = url.substr(7);
    auto slash = rest.find('/');
    std::string origin = "http://" + rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
    httplib::Client client(origin);
    client.set_connection_timeout(timeout_seconds);
    client.set_read_timeout(timeout_seconds);
    auto reply = client.Post(path.c_str(), body, "application/ocsp-request");
    if (!reply) {
        return ocsp_error("responder " + url +
                          " unreachable: " + httplib::to_string(reply.error()));
    }
    if (reply->status != 200) {
        return ocsp_error("responder " + url + " answered HTTP " + std::to_string(reply->status));
    }
    return verify_response(reply->body, cert, issuer, now);
}

int64_t OcspStapler::refresh(const std::vector<CertificatePtr> &certs, int64_t now)
{
    std::vector<CertificatePtr> due;
    {
        std::lock_guard lock(m_mutex);
        std::map<const X509 *, Entry> kept;
        for (const auto &cert : certs) {
            auto it = m_entries.find(cert->leaf());
            if (it != m_entries.end()) {
                kept.emplace(it->first, std::move(it->second));
                continue;
            }
            if (ocsp_responder_url(*cert).empty()) {
                log::info("certificate names no OCSP responder; serving without a staple",
                          {{"names", cert->names()}});
                kept.emplace(cert->leaf(), Entry{cert, {}, std::numeric_limits<int64_t>::max()});
                continue;
            }
            kept.emplace(cert->leaf(), Entry{cert, {}, 0});
        }
        m_entries = std::move(kept);
        for (const auto &[leaf, entry] : m_entries) {
            if (entry.refresh_at <= now) {
                due.push_back(entry.cert);
            }
        }
    }

    // Network calls happen without the lock; handshakes keep the old staple.
    for (const auto &cert : due) {
        auto fetched = fetch_ocsp_response(*cert, now);
        std::lock_guard lock(m_mutex);
        auto it = m_entries.find(cert->leaf());
        if (it == m_entries.end()) {
            continue;
        }
        Entry &entry = it->second;
        if (!fetched) {
            log::warn("OCSP refresh failed; keeping the previous staple until it expires",
                      {{"names", cert->names()}, {"why", fetched.error().why}});
            entry.refresh_at = now + k_retry_seconds;
            if (entry.response.next_update != 0 && entry.response.next_update <= now) {
                entry.response = {};
            }
            continue;
        }
        entry.response = *fetched;
        int64_t lifetime =
            fetched->next_update > now ? fetched->next_update - now : 2 * k_max_sleep;
        entry.refresh_at = now + std::max<int64_t>(60, lifetime / 2);
        log::info("stapling a fresh OCSP response",
                  {{"names", cert->names()}, {"next_update", fetched->next_update}});
    }

    std::lock_guard lock(m_mutex);
    int64_t next = now + k_max_sleep;
    for (const auto &[leaf, entry] : m_entries) {
        next = std::min(next, entry.refresh_at);
    }
    return std::max<int64_t>(1, next - now);
}

std::string OcspStapler::staple_for(const X509 *leaf) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(leaf);
    if (it == m_entries.end()) {
        return {};
    }
    // An expired response must not be stapled: clients would reject it.
    const auto &response = it->second.response;
    if (response.next_update != 0 && response.next_update <= util::unix_now()) {
        return {};
    }
    return response.der;
}

} // namespace rcommerce::tls
