// When `serve`'s renewer looks at its certificates next.
//
// Routine checks run every `interval` (a day by default) with some jitter,
// and earlier when a certificate becomes due before then. A failed pass is
// retried with exponential backoff: many servers behind one CA that failed
// together (an outage) must not all come back at the same second, and a
// failing domain must not burn through the CA's failed-validation limit
// (Let's Encrypt: 5 per account, hostname and hour).
//
// Pure functions of their inputs, `random01` included, so the schedule is
// testable; the caller draws `random01` uniformly from [0, 1).
#pragma once

#include <cstdint>
#include <optional>

namespace rcommerce::acme {

struct RetryPolicy {
    int64_t min_seconds = 300;   // after the first failure
    int64_t max_seconds = 21600; // the cap the doubling stops at
};

// Seconds to wait after the `failures`-th failed pass in a row (1 for the
// first): min_seconds doubled per further failure, capped at max_seconds,
// then shortened by up to a fifth (jitter), so never above max_seconds.
// Never below 1.
[[nodiscard]] int64_t retry_delay_seconds(int failures, const RetryPolicy &policy, double random01);

// Seconds until the next routine check: `interval_seconds` shortened by up
// to a tenth (jitter); when a certificate becomes due in `seconds_until_due`
// before that, one second after it plus up to a tenth of that wait (at most
// an hour) of jitter. Never below 1.
[[nodiscard]] int64_t next_check_delay_seconds(int64_t interval_seconds,
                                               std::optional<int64_t> seconds_until_due,
                                               double random01);

} // namespace rcommerce::acme
