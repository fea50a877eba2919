// Obtaining, renewing and revoking certificates: the order flow of RFC 8555
// section 7 on top of Client, ChallengeResponder and CertStore.
//
// These are the entry points `rcommerce cert` and `serve` call.
#pragma once

#include "core/acme/challenge.hpp"
#include "core/acme/crypto.hpp"
#include "core/acme/renewal.hpp"
#include "core/acme/store.hpp"
#include "core/config/config.hpp"
#include "core/util/cancellation.hpp"
#include "core/util/result.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rcommerce::acme {

inline constexpr std::string_view k_letsencrypt_production =
    "https://acme-v02.api.letsencrypt.org/directory";
inline constexpr std::string_view k_letsencrypt_staging =
    "https://acme-staging-v02.api.letsencrypt.org/directory";

struct IssueRequest {
    std::vector<std::string> domains; // as given; converted to A-labels
    std::string email;
    std::string directory_url;
    std::string ca_file;
    std::filesystem::path cache_dir;
    ChallengeSettings challenge; // shared_dir is filled in from cache_dir
    KeyType key_type = KeyType::ecdsa_p256;
    std::string preferred_chain; // issuer CN of the chain's top certificate
    std::string eab_kid;
    std::string eab_hmac_key;
    std::chrono::seconds deadline{300}; // for all polling of one order
    std::string replaces;               // RFC 9773 CertID of the certificate replaced
    // Allows replacing a stored certificate of the same first name that came
    // from another CA (staging over production) or names more than this
    // request; without it such a request is refused and nothing is ordered.
    bool replace = false;
    // When cancelled, the order stops at its next request or wait and fails
    // with `acme_cancelled`; nothing is written. May be null.
    const util::Cancellation *cancel = nullptr;
};

struct Issued {
    std::filesystem::path folder;
    CertMeta meta;
};

// Orders, validates, finalizes and stores one certificate under the
// certificate's lock. Nothing is written to the certificate folder unless
// the whole order succeeded. Errors name the failing domain and the CA's
// problem (type, detail, subproblems).
[[nodiscard]] Result<Issued> issue_certificate(const IssueRequest &request);

// Whether a stored certificate is due, asking the CA for ACME Renewal
// Information when its directory offers it (falling back to the lifetime
// rule when that request fails).
[[nodiscard]] RenewalDecision renewal_decision(const StoredCertificate &cert,
                                               int64_t renew_before_days,
                                               const std::string &ca_file);

struct RenewRequest {
    std::filesystem::path cache_dir;
    bool force = false;
    int64_t renew_before_days = 30;
    std::string deploy_hook;
    // Overrides of what meta.json recorded at issuance; empty/nullopt: keep.
    // HTTP settings apply to certificates validated with http-01 and the
    // hook to those validated with dns-01, so one `renew --http-port` does
    // not break the wildcard certificates in the same store.
    std::string ca_file;
    std::optional<ChallengeType> challenge_type;
    std::optional<HttpMode> http_mode;
    std::optional<int> http_port;
    std::string webroot;
    std::string dns_hook;
    std::string eab_kid;
    std::string eab_hmac_key;
    std::chrono::seconds hook_timeout{600}; // DNS and deploy hooks
    // Stops the pass: the certificate in progress fails as cancelled and
    // no further one is looked at. May be null.
    const util::Cancellation *cancel = nullptr;
};

enum class RenewOutcome { renewed, not_due, busy, failed };

struct RenewReport {
    std::filesystem::path folder;
    std::vector<std::string> names;
    RenewOutcome outcome = RenewOutcome::not_due;
    std::string detail; // decision reason, or the error
    int64_t due_at = 0; // when it becomes due (Unix seconds); 0 when unknown
};

// Renews every stored certificate that is due (all with `force`), each under
// its lock, and runs the deploy hook after each successful renewal with
// RCOMMERCE_RENEWED_DOMAINS (space-separated) and RCOMMERCE_RENEWED_PATH.
[[nodiscard]] std::vector<RenewReport> renew_certificates(const RenewRequest &request);

// Runs `hook` (if not empty) for a certificate just obtained or renewed,
// with RCOMMERCE_RENEWED_DOMAINS (space-separated) and RCOMMERCE_RENEWED_PATH.
[[nodiscard]] Status run_deploy_hook(const std::string &hook, const Issued &issued,
                                     std::chrono::seconds timeout = std::chrono::seconds(600),
                                     const util::Cancellation *cancel = nullptr);

// The directory [tls.lets_encrypt] selects: directory_url when set, else
// Let's Encrypt staging (use_staging) or production.
[[nodiscard]] std::string configured_directory_url(const config::LetsEncryptConfig &le);

// RFC 5280 reason names: unspecified, keyCompromise, affiliationChanged,
// superseded, cessationOfOperation.
[[nodiscard]] std::optional<int> parse_revocation_reason(std::string_view name);

// Revokes the stored certificate whose first name is `domain`, signed with
// the account key that ordered it (RFC 8555 section 7.6), and marks it
// revoked in meta.json.
[[nodiscard]] Status revoke_certificate(const std::filesystem::path &cache_dir,
                                        const std::string &domain, int reason,
                                        const std::string &ca_file);

} // namespace rcommerce::acme
