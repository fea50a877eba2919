#include "core/payments/manual_gateway.hpp"

#include <doctest/doctest.h>

using namespace rcommerce;
using namespace rcommerce::payments;
using money::Money;

namespace {
Money eur(int64_t amount)
{
    return Money{amount, money::parse_currency("EUR").value()};
}
} // namespace

TEST_CASE("manual gateway: an automatic payment is recorded as captured")
{
    ManualGateway gateway;
    auto payment = gateway.create_payment({"ord_1", eur(10000), CaptureMethod::automatic, 0});
    REQUIRE(payment);
    CHECK(payment->gateway == "manual");
    CHECK(payment->id == "manual_ord_1_0");
    CHECK(payment->state == PaymentState::captured);
    CHECK(payment->amounts.captured == 10000);
    CHECK(order_state_after_payment(orders::OrderState::awaiting_payment, payment->state) ==
          orders::OrderState::paid);
}

TEST_CASE("manual gateway: case 5 refunds, 99.99 then 5.00 refused naming 0.01")
{
    ManualGateway gateway;
    auto payment =
        gateway.create_payment({"ord_1", eur(10000), CaptureMethod::automatic, 0}).value();
    auto first = gateway.refund(payment, eur(9999), {"ord_1", "refund", 0});
    REQUIRE(first);
    CHECK(first->payment.state == PaymentState::partially_refunded);
    CHECK(first->payment.amounts.refunded == 9999);

    auto second = gateway.refund(first->payment, eur(500), {"ord_1", "refund", 1});
    REQUIRE_FALSE(second);
    CHECK(second.error().code == "refund_exceeds_refundable");
    CHECK(second.error().why.find("0.01 EUR") != std::string::npos);

    auto last = gateway.refund(first->payment, eur(1), {"ord_1", "refund", 1});
    REQUIRE(last);
    CHECK(last->payment.state == PaymentState::refunded);
    CHECK(order_state_after_payment(orders::OrderState::paid, last->payment.state) ==
          orders::OrderState::refunded);
}

TEST_CASE("manual gateway: manual capture waits, captures part, cancels only before capture")
{
    ManualGateway gateway;
    auto payment = gateway.create_payment({"ord_2", eur(5000), CaptureMethod::manual, 0}).value();
    CHECK(payment.state == PaymentState::pending);
    CHECK(gateway.confirm(payment, {}, {"ord_2", "confirm", 0}).value().state ==
          PaymentState::pending);

    CHECK_FALSE(gateway.capture(payment, 6000, {"ord_2", "capture", 0}));
    CHECK_FALSE(gateway.capture(payment, 0, {"ord_2", "capture", 0}));
    auto captured = gateway.capture(payment, 3000, {"ord_2", "capture", 0});
    REQUIRE(captured);
    CHECK(captured->state == PaymentState::captured);
    CHECK(captured->amounts.captured == 3000);
    CHECK(refundable(captured->amounts) == 3000);

    auto cancel_after = gateway.cancel(*captured, {"ord_2", "cancel", 0});
    REQUIRE_FALSE(cancel_after);
    CHECK(cancel_after.error().code == "invalid_payment_transition");
    CHECK(gateway.cancel(payment, {"ord_2", "cancel", 0}).value().state == PaymentState::cancelled);
}

TEST_CASE("manual gateway refuses non-positive payments")
{
    ManualGateway gateway;
    CHECK_FALSE(gateway.create_payment({"ord", eur(0), CaptureMethod::automatic, 0}));
    CHECK_FALSE(gateway.create_payment({"ord", eur(-5), CaptureMethod::automatic, 0}));
}
