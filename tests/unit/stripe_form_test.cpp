#include "core/payments/stripe_form.hpp"

#include <doctest/doctest.h>

using namespace rcommerce;
using namespace rcommerce::payments;
using namespace rcommerce::payments::stripe;
using money::Money;

namespace {
Money m(int64_t amount, std::string_view code)
{
    return Money{amount, money::parse_currency(code).value()};
}
} // namespace

TEST_CASE("Stripe amounts: two-decimal and zero-decimal currencies pass unchanged")
{
    CHECK(to_stripe_amount(m(1299, "EUR")).value() == 1299);
    CHECK(to_stripe_amount(m(1000, "JPY")).value() == 1000);
    CHECK(to_stripe_amount(m(50000, "KRW")).value() == 50000);
    CHECK(from_stripe_amount(1000, m(0, "JPY").currency).value() == 1000);
}

TEST_CASE("Stripe amounts: three-decimal currencies need a trailing zero")
{
    CHECK(to_stripe_amount(m(1230, "KWD")).value() == 1230);
    auto odd = to_stripe_amount(m(1234, "KWD"));
    REQUIRE_FALSE(odd);
    CHECK(odd.error().code == "unsupported_amount");
    CHECK(odd.error().what.find("1.234 KWD") != std::string::npos);
    CHECK(to_stripe_amount(m(5000, "BHD")).value() == 5000);
    CHECK_FALSE(to_stripe_amount(m(1000, "IQD"))); // ISO three decimals, not on Stripe
    CHECK_FALSE(to_stripe_amount(m(1, "CLF")));
}

TEST_CASE("Stripe amounts: ISK is two-decimal on the wire, MGA whole units")
{
    CHECK(to_stripe_amount(m(5, "ISK")).value() == 500);
    CHECK(from_stripe_amount(500, m(0, "ISK").currency).value() == 5);
    CHECK_FALSE(from_stripe_amount(501, m(0, "ISK").currency));
    CHECK(to_stripe_amount(m(1200, "MGA")).value() == 12);
    CHECK_FALSE(to_stripe_amount(m(1250, "MGA")));
    CHECK(from_stripe_amount(12, m(0, "MGA").currency).value() == 1200);
    CHECK_FALSE(to_stripe_amount(m(money::k_max_amount, "ISK")));
}

TEST_CASE("currency codes are lower-case on the wire")
{
    CHECK(wire_currency(m(0, "EUR").currency) == "eur");
    CHECK(wire_currency(m(0, "JPY").currency) == "jpy");
}

TEST_CASE("form encoding keeps brackets in keys and percent-encodes the rest")
{
    CHECK(percent_encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
    CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
    FormFields fields = {{"amount", "1000"},
                         {"metadata[order_id]", "ord 1&x=2"},
                         {"payment_method_types[0]", "card"}};
    CHECK(form_encode(fields) ==
          "amount=1000&metadata[order_id]=ord%201%26x%3D2&payment_method_types[0]=card");
    CHECK(form_decode(form_encode(fields)) == fields);
    CHECK(form_decode("a=1&&b=%zz&c+d=e+f&g") ==
          FormFields{{"a", "1"}, {"b", "%zz"}, {"c d", "e f"}, {"g", ""}});
}

TEST_CASE("create form: JPY 1000 is amount=1000 with the order id in metadata")
{
    PaymentRequest request{"ord_42", m(1000, "JPY"), CaptureMethod::automatic, 0};
    auto form = create_payment_intent_form(request);
    REQUIRE(form);
    CHECK(form_encode(*form) == "amount=1000&currency=jpy&capture_method=automatic&"
                                "metadata[order_id]=ord_42&metadata[attempt]=0");
    request.amount = m(1234, "KWD");
    CHECK_FALSE(create_payment_intent_form(request));
}

TEST_CASE("capture, confirm and refund forms")
{
    CHECK(capture_form(m(0, "EUR").currency, std::nullopt).value().empty());
    CHECK(form_encode(capture_form(m(0, "EUR").currency, 600).value()) == "amount_to_capture=600");
    CHECK(form_encode(confirm_form({"pm_card_visa", ""})) == "payment_method=pm_card_visa");
    CHECK(confirm_form({}).empty());

    GatewayPayment payment;
    payment.id = "pi_1";
    payment.order_id = "ord_1";
    CHECK(
        form_encode(refund_form(payment, m(500, "EUR"), "7").value()) ==
        "payment_intent=pi_1&amount=500&metadata[order_id]=ord_1&metadata[rcommerce_refund_id]=7");
}

TEST_CASE("idempotency keys are derived from our operation, deterministically")
{
    OperationKey key{"ord_42", "create", 0};
    CHECK(idempotency_key(key) == "rcommerce-ord_42-create-0");
    CHECK(idempotency_key(key) == idempotency_key(OperationKey{"ord_42", "create", 0}));
    CHECK(idempotency_key(key) != idempotency_key(OperationKey{"ord_42", "create", 1}));
    CHECK(idempotency_key(key) != idempotency_key(OperationKey{"ord_42", "refund", 0}));
    std::string hashed = idempotency_key(OperationKey{"odd id/with spaces", "create", 0});
    CHECK(hashed.starts_with("rcommerce-"));
    CHECK(hashed.size() == 10 + 64);
}
