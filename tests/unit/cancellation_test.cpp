// Unit tests for core/util/cancellation: the interruptible waits `serve`'s
// renewer and the ACME order flow use.
#include "core/util/cancellation.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace rcommerce;

TEST_CASE("cancellation wakes a sleeper at once and later sleeps return at once")
{
    util::Cancellation cancel;
    CHECK(cancel.sleep_for(std::chrono::milliseconds(1)));
    auto start = std::chrono::steady_clock::now();
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        cancel.cancel();
    });
    CHECK_FALSE(cancel.sleep_for(std::chrono::seconds(30)));
    stopper.join();
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    CHECK(cancel.cancelled());
    CHECK_FALSE(cancel.sleep_for(std::chrono::seconds(30)));
}
