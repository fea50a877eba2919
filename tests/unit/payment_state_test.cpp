#include "core/payments/payment_state.hpp"

#include <doctest/doctest.h>

using namespace rcommerce;
using namespace rcommerce::payments;
using money::Money;
using O = orders::OrderState;
using P = PaymentState;

namespace {
money::Currency cur(std::string_view code)
{
    return money::parse_currency(code).value();
}

PaymentAmounts paid(std::string_view currency, int64_t amount, int64_t refunded = 0)
{
    return PaymentAmounts{cur(currency), amount, amount, amount, refunded};
}
} // namespace

TEST_CASE("payment states round-trip through their names")
{
    for (PaymentState state : all_payment_states()) {
        CHECK(payment_state_from_string(to_string(state)) == state);
    }
    CHECK_FALSE(payment_state_from_string("succeeded"));
}

TEST_CASE("the payment table allows the lifecycle and refuses the rest")
{
    CHECK(check_transition(P::pending, P::authorized));
    CHECK(check_transition(P::pending, P::captured));
    CHECK(check_transition(P::authorized, P::captured));
    CHECK(check_transition(P::captured, P::partially_refunded));
    CHECK(check_transition(P::partially_refunded, P::partially_refunded));
    CHECK(check_transition(P::partially_refunded, P::refunded));
    CHECK(check_transition(P::failed, P::captured)); // a retry with a good card
    CHECK(check_transition(P::failed, P::pending));

    CHECK_FALSE(can_transition(P::captured, P::cancelled));
    CHECK_FALSE(can_transition(P::refunded, P::captured));
    CHECK_FALSE(can_transition(P::cancelled, P::captured));
    CHECK_FALSE(can_transition(P::captured, P::failed));
    CHECK_FALSE(can_transition(P::authorized, P::refunded));
    auto status = check_transition(P::cancelled, P::captured);
    REQUIRE_FALSE(status);
    CHECK(status.error().code == "invalid_payment_transition");
    CHECK(status.error().why.find("cancelled") != std::string::npos);
}

TEST_CASE("payment state is derived from amounts")
{
    PaymentAmounts a{cur("EUR"), 10000, 0, 0, 0};
    CHECK_FALSE(state_from_amounts(a));
    a.authorized = 10000;
    CHECK(state_from_amounts(a) == P::authorized);
    a.captured = 6000; // partial capture
    CHECK(state_from_amounts(a) == P::captured);
    a.refunded = 1;
    CHECK(state_from_amounts(a) == P::partially_refunded);
    a.refunded = 6000;
    CHECK(state_from_amounts(a) == P::refunded);
    CHECK(check_amounts(a));
    a.refunded = 6001;
    CHECK(check_amounts(a).error().code == "inconsistent_payment");
    CHECK_FALSE(check_amounts(PaymentAmounts{cur("EUR"), 100, 50, 60, 0}));
    CHECK_FALSE(check_amounts(PaymentAmounts{cur("EUR"), 0, 0, 0, 0}));
}

TEST_CASE("case 5: 100.00 paid, refund 99.99 then 5.00 is refused naming 0.01")
{
    PaymentAmounts amounts = paid("EUR", 10000);
    CHECK(check_refund(amounts, Money{9999, cur("EUR")}));
    amounts.refunded = 9999;

    auto second = check_refund(amounts, Money{500, cur("EUR")});
    REQUIRE_FALSE(second);
    CHECK(second.error().kind == ErrorKind::conflict);
    CHECK(second.error().code == "refund_exceeds_refundable");
    CHECK(second.error().why.find("at most 0.01 EUR is still refundable") != std::string::npos);
    CHECK(second.error().fields.at(0).field == "amount");

    CHECK(check_refund(amounts, Money{1, cur("EUR")}));
    CHECK(refundable(amounts) == 1);
}

TEST_CASE("refunds use the currency's decimals and must be positive and same-currency")
{
    auto jpy = check_refund(paid("JPY", 1000, 400), Money{700, cur("JPY")});
    REQUIRE_FALSE(jpy);
    CHECK(jpy.error().why.find("at most 600 JPY") != std::string::npos);

    auto kwd = check_refund(paid("KWD", 1234), Money{1235, cur("KWD")});
    REQUIRE_FALSE(kwd);
    CHECK(kwd.error().why.find("at most 1.234 KWD") != std::string::npos);

    CHECK(check_refund(paid("EUR", 100), Money{0, cur("EUR")}).error().code == "invalid_amount");
    CHECK(check_refund(paid("EUR", 100), Money{-1, cur("EUR")}).error().code == "invalid_amount");
    CHECK(check_refund(paid("EUR", 100), Money{1, cur("USD")}).error().code == "currency_mismatch");

    PaymentAmounts authorized_only{cur("EUR"), 100, 100, 0, 0};
    CHECK_FALSE(check_refund(authorized_only, Money{1, cur("EUR")}));
}

TEST_CASE("a capture takes at most what is authorized and releases the rest")
{
    PaymentAmounts held{cur("EUR"), 10000, 10000, 0, 0};
    CHECK(check_capture(held, std::nullopt).ok());
    CHECK(check_capture(held, Money{10000, cur("EUR")}).ok());
    for (int64_t amount : {int64_t{0}, int64_t{-1}, int64_t{10001}}) {
        auto refused = check_capture(held, Money{amount, cur("EUR")});
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code == "invalid_amount");
        CHECK(refused.error().why.find("at most 100.00 EUR is authorized") != std::string::npos);
    }
    CHECK(check_capture(held, Money{500, cur("USD")}).error().why.find("USD") != std::string::npos);

    PaymentAmounts taken = held;
    release_uncaptured(taken);
    CHECK(taken.authorized == 10000); // nothing captured yet: the hold stays
    taken.captured = 6000;
    release_uncaptured(taken);
    CHECK(taken.authorized == 6000);
    CHECK(state_from_amounts(taken) == P::captured);
    CHECK(refundable(taken) == 6000);
}

TEST_CASE("the order follows its payment")
{
    CHECK(order_state_after_payment(O::awaiting_payment, P::captured) == O::paid);
    CHECK(order_state_after_payment(O::awaiting_payment, P::authorized) == std::nullopt);
    CHECK(order_state_after_payment(O::awaiting_payment, P::failed) == std::nullopt);
    CHECK(order_state_after_payment(O::awaiting_payment, P::cancelled) == std::nullopt);
    CHECK(order_state_after_payment(O::paid, P::captured) == std::nullopt); // replay
    CHECK(order_state_after_payment(O::paid, P::partially_refunded) == std::nullopt);
    CHECK(order_state_after_payment(O::paid, P::refunded) == O::refunded);
    CHECK(order_state_after_payment(O::fulfilled, P::refunded) == O::refunded);
    CHECK(order_state_after_payment(O::completed, P::refunded) == O::refunded);
    CHECK(order_state_after_payment(O::refunded, P::refunded) == std::nullopt);
    CHECK(order_state_after_payment(O::cancelled, P::captured) == std::nullopt);
}

TEST_CASE("out-of-order events reach the same order state, each step legal")
{
    O order = O::awaiting_payment;
    while (auto next = order_state_after_payment(order, P::refunded)) {
        REQUIRE(orders::check_transition(order, *next));
        order = *next;
    }
    CHECK(order == O::refunded);
}
