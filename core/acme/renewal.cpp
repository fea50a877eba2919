#include "core/acme/renewal.hpp"

#include "core/util/time.hpp"

#include <algorithm>

namespace rcommerce::acme {

namespace {

constexpr int64_t k_day = 86400;

std::string days_text(int64_t seconds)
{
    int64_t tenths = seconds * 10 / k_day;
    return std::to_string(tenths / 10) + "." + std::to_string(std::abs(tenths % 10)) + " days";
}

} // namespace

RenewalDecision decide_renewal(int64_t not_before, int64_t not_after, int64_t now,
                               int64_t renew_before_days, const std::optional<RenewalWindow> &ari)
{
    RenewalDecision out;
    if (now >= not_after) {
        return {true, not_after, "expired at " + util::format_rfc3339(not_after)};
    }
    if (ari) {
        out.due_at = ari->start;
        out.due = now >= ari->start;
        out.reason = std::string(out.due ? "inside" : "before") + " the CA's renewal window " +
                     util::format_rfc3339(ari->start) + " - " + util::format_rfc3339(ari->end);
        return out;
    }
    int64_t lifetime = std::max<int64_t>(not_after - not_before, 0);
    int64_t margin = std::min(renew_before_days * k_day, lifetime / 3);
    out.due_at = not_after - margin;
    out.due = now >= out.due_at;
    out.reason = days_text(not_after - now) + " left of " + days_text(lifetime) +
                 "; renewal due with " + days_text(margin) + " left";
    return out;
}

} // namespace rcommerce::acme
