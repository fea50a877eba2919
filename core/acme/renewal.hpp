// When a certificate is due for renewal.
//
// A fixed "N days before expiry" renews a 90-day certificate at day 60, but
// a 6-day certificate would be "due" from the moment it is issued and be
// renewed on every run until the CA's rate limits stop it. So the margin is
// the smaller of `renew_before_days` and a third of the lifetime: 30 days
// for 90-day certificates, 15 for 45-day ones, 2 for 6-day ones. When the CA
// offers ACME Renewal Information (RFC 9773), its suggested window decides.
#pragma once

#include "core/acme/protocol.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace rcommerce::acme {

struct RenewalDecision {
    bool due = false;
    int64_t due_at = 0; // Unix seconds when it becomes (or became) due
    std::string reason; // for people: why it is or is not due
};

// `ari` is the CA's suggested window when it sent one. Renewal is due from
// the window's start (RFC 9773 section 4.2 lets a client pick any time in
// it; a scheduled job that runs rarely should not wait past the start).
[[nodiscard]] RenewalDecision decide_renewal(int64_t not_before, int64_t not_after, int64_t now,
                                             int64_t renew_before_days,
                                             const std::optional<RenewalWindow> &ari = {});

} // namespace rcommerce::acme
