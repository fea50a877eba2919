#include "core/acme/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace rcommerce::acme {

namespace {

constexpr int64_t k_max_due_jitter_seconds = 3600;

// `seconds` minus up to `fraction` of it, as `random01` picks.
int64_t shorten(int64_t seconds, double fraction, double random01)
{
    double r = std::clamp(random01, 0.0, 1.0);
    auto cut = static_cast<int64_t>(std::floor(static_cast<double>(seconds) * fraction * r));
    return seconds - cut;
}

} // namespace

int64_t retry_delay_seconds(int failures, const RetryPolicy &policy, double random01)
{
    int64_t cap = std::max<int64_t>(policy.max_seconds, 1);
    int64_t delay = std::clamp<int64_t>(policy.min_seconds, 1, cap);
    // Doubling stops at the cap, so no shift can overflow.
    for (int i = 1; i < failures && delay < cap; ++i) {
        delay = std::min(delay * 2, cap);
    }
    return std::max<int64_t>(shorten(delay, 0.2, random01), 1);
}

int64_t next_check_delay_seconds(int64_t interval_seconds, std::optional<int64_t> seconds_until_due,
                                 double random01)
{
    int64_t routine =
        std::max<int64_t>(shorten(std::max<int64_t>(interval_seconds, 1), 0.1, random01), 1);
    if (!seconds_until_due || *seconds_until_due >= routine) {
        return routine;
    }
    int64_t until = std::max<int64_t>(*seconds_until_due, 0) + 1;
    int64_t spread = std::min<int64_t>(until / 10, k_max_due_jitter_seconds);
    double r = std::clamp(random01, 0.0, 1.0);
    return std::min(until + static_cast<int64_t>(std::floor(static_cast<double>(spread) * r)),
                    routine);
}

} // namespace rcommerce::acme
