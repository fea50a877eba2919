// Unit tests for core/acme/schedule: the retry backoff and the routine
// check times of `serve`'s renewer.
#include "core/acme/schedule.hpp"

#include <doctest/doctest.h>

using namespace rcommerce::acme;

TEST_CASE("retries double from the minimum up to the cap")
{
    RetryPolicy policy{300, 21600};
    CHECK(retry_delay_seconds(1, policy, 0.0) == 300);
    CHECK(retry_delay_seconds(2, policy, 0.0) == 600);
    CHECK(retry_delay_seconds(3, policy, 0.0) == 1200);
    CHECK(retry_delay_seconds(7, policy, 0.0) == 19200);
    CHECK(retry_delay_seconds(8, policy, 0.0) == 21600);
    CHECK(retry_delay_seconds(1000000, policy, 0.0) == 21600);
}

TEST_CASE("retry jitter shortens by at most a fifth and never passes the cap")
{
    RetryPolicy policy{300, 21600};
    for (double r : {0.0, 0.25, 0.5, 0.999999, 1.0}) {
        for (int failures : {1, 2, 5, 9, 60}) {
            int64_t plain = retry_delay_seconds(failures, policy, 0.0);
            int64_t jittered = retry_delay_seconds(failures, policy, r);
            CHECK(jittered <= plain);
            CHECK(jittered >= plain - plain / 5);
            CHECK(jittered <= policy.max_seconds);
        }
    }
    CHECK(retry_delay_seconds(1, policy, 0.5) == 270);
    // Two servers that failed together draw different randoms and part.
    CHECK(retry_delay_seconds(4, policy, 0.1) != retry_delay_seconds(4, policy, 0.9));
}

TEST_CASE("retry delays stay at least a second whatever the policy")
{
    CHECK(retry_delay_seconds(1, RetryPolicy{1, 1}, 0.99) == 1);
    CHECK(retry_delay_seconds(0, RetryPolicy{5, 100}, 0.0) == 5);
    CHECK(retry_delay_seconds(3, RetryPolicy{0, 0}, 0.5) == 1);
    CHECK(retry_delay_seconds(2, RetryPolicy{50, 10}, 0.0) == 10); // min above cap: cap
}

TEST_CASE("routine checks come once per interval, less up to a tenth")
{
    CHECK(next_check_delay_seconds(86400, std::nullopt, 0.0) == 86400);
    CHECK(next_check_delay_seconds(86400, std::nullopt, 0.5) == 82080);
    CHECK(next_check_delay_seconds(86400, std::nullopt, 1.0) == 77760);
    CHECK(next_check_delay_seconds(0, std::nullopt, 0.5) == 1);
    // Due after the next routine check: the routine check it is.
    CHECK(next_check_delay_seconds(86400, 5 * 86400, 0.0) == 86400);
}

TEST_CASE("a certificate due before the next check is looked at when due")
{
    CHECK(next_check_delay_seconds(86400, 100, 0.0) == 101);
    CHECK(next_check_delay_seconds(86400, 100, 0.999) == 101 + 9);
    CHECK(next_check_delay_seconds(86400, 0, 0.5) == 1);
    CHECK(next_check_delay_seconds(86400, -50, 0.5) == 1); // overdue: at once
    // The spread is at most an hour, and never past the routine check.
    CHECK(next_check_delay_seconds(86400, 80000, 0.999) <= 86400);
    CHECK(next_check_delay_seconds(864000, 200000, 0.999) <= 200001 + 3600);
}
