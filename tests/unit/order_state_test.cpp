#include "core/orders/order_state.hpp"

#include <doctest/doctest.h>
#include <set>
#include <string>

using namespace rcommerce;
using namespace rcommerce::orders;
using O = OrderState;

TEST_CASE("order states round-trip through their names")
{
    std::set<std::string> names;
    for (OrderState state : all_order_states()) {
        auto name = to_string(state);
        names.insert(std::string(name));
        CHECK(order_state_from_string(name) == state);
    }
    CHECK(names.size() == all_order_states().size());
    CHECK(to_string(O::awaiting_payment) == "awaiting_payment");
    CHECK_FALSE(order_state_from_string("Paid"));
    CHECK_FALSE(order_state_from_string(""));
    CHECK_FALSE(order_state_from_string("partially_refunded"));
}

TEST_CASE("the happy path is pending, awaiting_payment, paid, fulfilled, completed")
{
    CHECK(check_transition(O::pending, O::awaiting_payment));
    CHECK(check_transition(O::awaiting_payment, O::paid));
    CHECK(check_transition(O::paid, O::fulfilled));
    CHECK(check_transition(O::fulfilled, O::completed));
}

TEST_CASE("cancelled is reachable only before payment: a paid order is refunded instead")
{
    CHECK(can_transition(O::pending, O::cancelled));
    CHECK(can_transition(O::awaiting_payment, O::cancelled));
    CHECK_FALSE(can_transition(O::paid, O::cancelled));
    CHECK_FALSE(can_transition(O::fulfilled, O::cancelled));
    CHECK_FALSE(can_transition(O::completed, O::cancelled));
    CHECK_FALSE(can_transition(O::refunded, O::cancelled));
    CHECK_FALSE(can_transition(O::cancelled, O::cancelled));
}

TEST_CASE("refunded is reachable only after paid")
{
    CHECK(can_transition(O::paid, O::refunded));
    CHECK(can_transition(O::fulfilled, O::refunded));
    CHECK(can_transition(O::completed, O::refunded));
    CHECK_FALSE(can_transition(O::pending, O::refunded));
    CHECK_FALSE(can_transition(O::awaiting_payment, O::refunded));
    CHECK_FALSE(can_transition(O::cancelled, O::refunded));
}

TEST_CASE("skipping steps or going back is refused")
{
    CHECK_FALSE(can_transition(O::pending, O::paid));
    CHECK_FALSE(can_transition(O::awaiting_payment, O::fulfilled));
    CHECK_FALSE(can_transition(O::paid, O::awaiting_payment));
    CHECK_FALSE(can_transition(O::completed, O::fulfilled));
    CHECK_FALSE(can_transition(O::paid, O::paid));
}

TEST_CASE("cancelled and refunded are terminal")
{
    CHECK(is_terminal(O::cancelled));
    CHECK(is_terminal(O::refunded));
    CHECK_FALSE(is_terminal(O::completed));
    for (OrderState to : all_order_states()) {
        CHECK_FALSE(can_transition(O::cancelled, to));
        CHECK_FALSE(can_transition(O::refunded, to));
    }
}

TEST_CASE("an illegal transition is a conflict naming the current state")
{
    auto status = check_transition(O::fulfilled, O::cancelled);
    REQUIRE_FALSE(status);
    const Error &error = status.error();
    CHECK(error.kind == ErrorKind::conflict);
    CHECK(error.code == "invalid_transition");
    CHECK(error.why == "order is fulfilled; it cannot become cancelled");
    CHECK(error.hint.find("completed") != std::string::npos);

    auto final_state = check_transition(O::cancelled, O::paid);
    REQUIRE_FALSE(final_state);
    CHECK(final_state.error().hint.find("final") != std::string::npos);
}

TEST_CASE("cancelling a paid order is refused with a hint to refund")
{
    auto status = check_transition(O::paid, O::cancelled);
    REQUIRE_FALSE(status);
    CHECK(status.error().why == "order is paid; it cannot become cancelled");
    CHECK(status.error().hint.rfind("money was taken: refund it instead", 0) == 0);
    CHECK(status.error().hint.find("fulfilled (fulfil it)") != std::string::npos);
    CHECK(status.error().hint.find("refunded (refund everything captured)") != std::string::npos);
}

TEST_CASE("a refused move's hint lists only the moves the table allows")
{
    for (OrderState from : all_order_states()) {
        for (OrderState to : all_order_states()) {
            auto status = check_transition(from, to);
            if (status) {
                continue;
            }
            const std::string &hint = status.error().hint;
            CAPTURE(hint);
            for (OrderState listed : all_order_states()) {
                bool named =
                    hint.find(" " + std::string(to_string(listed)) + " (") != std::string::npos ||
                    hint.find(": " + std::string(to_string(listed)) + " (") != std::string::npos;
                CHECK(named == can_transition(from, listed));
            }
        }
    }
}
