#include "core/payments/webhook.hpp"

#include <doctest/doctest.h>
#include <string>

using namespace rcommerce;
using namespace rcommerce::payments;

namespace {

constexpr std::string_view k_secret = "whsec_test_secret";
constexpr int64_t k_now = 1'780'000'000;

VerifyOptions at(int64_t now, int64_t tolerance = 300)
{
    return VerifyOptions{tolerance, [now] { return now; }};
}

SignatureFailure failure_of(std::string_view header, std::string_view body,
                            const VerifyOptions &options = at(k_now))
{
    SignatureFailure failure{};
    auto result = verify_signature(header, body, k_secret, options, &failure);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == "invalid_signature");
    CHECK(result.error().why.find(k_secret) == std::string::npos);
    return failure;
}

const std::string k_body = R"({"id":"evt_1","type":"payment_intent.succeeded"})";

} // namespace

TEST_CASE("a Stripe signature of the body verifies")
{
    std::string header = sign_payload(k_body, k_secret, k_now - 10);
    CHECK(verify_signature(header, k_body, k_secret, at(k_now)).value() == k_now - 10);
}

TEST_CASE("the HMAC matches a value computed independently")
{
    // openssl dgst -sha256 -hmac whsec_abc <<< "1700000000.{}" (without newline)
    CHECK(sign_payload("{}", "whsec_abc", 1700000000) ==
          "t=1700000000,v1=bad9ac117e973d721c232d46744158d75e3f1b44e36771e13d01b9e6a580bc72");
}

TEST_CASE("a re-serialised body, another secret or a changed timestamp do not verify")
{
    std::string header = sign_payload(k_body, k_secret, k_now);
    std::string reserialised = R"({"id": "evt_1", "type": "payment_intent.succeeded"})";
    CHECK(failure_of(header, reserialised) == SignatureFailure::no_match);
    CHECK(failure_of(sign_payload(k_body, "whsec_other", k_now), k_body) ==
          SignatureFailure::no_match);

    std::string moved = header;
    moved.replace(2, 10, std::to_string(k_now - 1));
    CHECK(failure_of(moved, k_body) == SignatureFailure::no_match);
}

TEST_CASE("timestamps beyond the tolerance are refused even with a good signature")
{
    CHECK(failure_of(sign_payload(k_body, k_secret, k_now - 301), k_body) ==
          SignatureFailure::timestamp_outside);
    CHECK(
        verify_signature(sign_payload(k_body, k_secret, k_now - 300), k_body, k_secret, at(k_now)));
    CHECK(failure_of(sign_payload(k_body, k_secret, k_now + 301), k_body) ==
          SignatureFailure::timestamp_outside);
    CHECK(verify_signature(sign_payload(k_body, k_secret, k_now - 1000), k_body, k_secret,
                           at(k_now, 3600)));
}

TEST_CASE("several v1 values: one correct is enough, v0 is ignored")
{
    std::string good = sign_payload(k_body, k_secret, k_now);
    std::string good_hex = good.substr(good.find("v1=") + 3);
    std::string wrong_hex(64, 'a');
    std::string rotated =
        "t=" + std::to_string(k_now) + ",v1=" + wrong_hex + ",v1=" + good_hex + ",v0=" + wrong_hex;
    CHECK(verify_signature(rotated, k_body, k_secret, at(k_now)));

    std::string only_v0 = "t=" + std::to_string(k_now) + ",v0=" + good_hex;
    CHECK(failure_of(only_v0, k_body) == SignatureFailure::malformed);

    std::string two_wrong =
        "t=" + std::to_string(k_now) + ",v1=" + wrong_hex + ",v1=" + std::string(64, 'b');
    CHECK(failure_of(two_wrong, k_body) == SignatureFailure::no_match);
}

TEST_CASE("missing and malformed headers are told apart")
{
    CHECK(failure_of("", k_body) == SignatureFailure::missing_header);
    CHECK(failure_of("   ", k_body) == SignatureFailure::missing_header);
    for (const char *bad : {"t=", "v1=abcd", "t=abc,v1=abcd", "t=1,t=2,v1=ab", "t=1,v1=xyz",
                            "t=1,v1=abc", "t=-5,v1=ab", "t=12345678901234567890,v1=ab", "garbage",
                            ",,,,", "t=1,v1=", "t=1 2,v1=ab"}) {
        CHECK_MESSAGE(failure_of(bad, k_body) == SignatureFailure::malformed, bad);
    }
    std::string many = "t=1";
    for (int i = 0; i < 17; ++i) {
        many += ",v1=" + std::string(64, 'a');
    }
    CHECK(failure_of(many, k_body) == SignatureFailure::malformed);
    CHECK(failure_of(std::string(9000, 'a'), k_body) == SignatureFailure::malformed);
}

TEST_CASE("spaces around items are tolerated")
{
    std::string header = sign_payload(k_body, k_secret, k_now);
    header.insert(header.find(','), " ");
    header.insert(header.find(',') + 1, " ");
    CHECK(verify_signature(header, k_body, k_secret, at(k_now)));
}

TEST_CASE("a payment_intent.succeeded event parses into typed fields")
{
    auto event = parse_event(R"({
      "id": "evt_123", "type": "payment_intent.succeeded", "created": 1780000000,
      "livemode": false,
      "data": {"object": {"id": "pi_1", "object": "payment_intent", "amount": 1000,
        "amount_received": 1000, "amount_capturable": 0, "currency": "jpy",
        "status": "succeeded", "metadata": {"order_id": "ord_9"}}}})");
    REQUIRE(event);
    CHECK(event->kind == EventKind::payment_intent_succeeded);
    CHECK(event->id == "evt_123");
    CHECK(event->object_id == "pi_1");
    CHECK(event->payment_intent == "pi_1");
    CHECK(event->order_id == "ord_9");
    CHECK(event->amount == 1000);
    CHECK(event->amount_received == 1000);
    REQUIRE(event->currency);
    CHECK(event->currency->code() == "JPY");
    CHECK(event->status == "succeeded");
    CHECK(event->created == 1780000000);
}

TEST_CASE("payment_failed carries the decline, charge.refunded its intent and refund")
{
    auto failed = parse_event(R"({"id": "evt_2", "type": "payment_intent.payment_failed",
      "data": {"object": {"id": "pi_2", "object": "payment_intent", "amount": 500,
        "currency": "eur", "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds",
                               "message": "Your card has insufficient funds."}}}})");
    REQUIRE(failed);
    CHECK(failed->kind == EventKind::payment_intent_payment_failed);
    CHECK(failed->failure_code == "insufficient_funds");
    CHECK(failed->failure_message == "Your card has insufficient funds.");

    auto refunded = parse_event(R"({"id": "evt_3", "type": "charge.refunded",
      "data": {"object": {"id": "ch_3", "object": "charge", "amount": 10000,
        "amount_refunded": 9999, "currency": "eur", "payment_intent": "pi_3"}}})");
    REQUIRE(refunded);
    CHECK(refunded->kind == EventKind::charge_refunded);
    CHECK(refunded->object_id == "ch_3");
    CHECK(refunded->payment_intent == "pi_3");
    CHECK(refunded->amount_refunded == 9999);
}

TEST_CASE("refund.created, refund.updated and refund.failed are one kind, naming our refund")
{
    for (std::string type : {"refund.created", "refund.updated", "refund.failed"}) {
        CAPTURE(type);
        auto event = parse_event(R"({"id": "evt_5", "type": ")" + type + R"(",
          "data": {"object": {"id": "re_5", "object": "refund", "amount": 3000,
            "currency": "eur", "payment_intent": "pi_5", "status": "pending",
            "metadata": {"order_id": "12", "rcommerce_refund_id": "34"}}}})");
        REQUIRE(event);
        CHECK(event->kind == EventKind::refund_updated);
        CHECK(event->type == type);
        CHECK(event->object_id == "re_5");
        CHECK(event->payment_intent == "pi_5");
        CHECK(event->amount == 3000);
        CHECK(event->status == "pending");
        CHECK(event->refund_id == "34");
    }
}

TEST_CASE("unknown event types are unhandled but keep id and type")
{
    auto event = parse_event(R"({"id": "evt_4", "type": "customer.created", "data": 5})");
    REQUIRE(event);
    CHECK(event->kind == EventKind::unhandled);
    CHECK(event->type == "customer.created");
}

TEST_CASE("broken events are refused naming the field")
{
    CHECK(parse_event("not json").error().code == "invalid_event");
    CHECK(parse_event("[]").error().code == "invalid_event");
    CHECK(parse_event(R"({"type": "charge.refunded"})").error().fields[0].field == "id");
    CHECK(parse_event(R"({"id": "e", "type": "charge.refunded"})").error().fields[0].field ==
          "data.object");
    auto bad_amount = parse_event(R"({"id": "e", "type": "payment_intent.succeeded",
      "data": {"object": {"id": "pi", "amount": 10.5}}})");
    REQUIRE_FALSE(bad_amount);
    CHECK(bad_amount.error().fields[0].field == "data.object.amount");
    CHECK_FALSE(parse_event(R"({"id": "e", "type": "payment_intent.succeeded",
      "data": {"object": {"id": "pi", "amount": -1}}})"));
    CHECK_FALSE(parse_event(R"({"id": "e", "type": "payment_intent.succeeded",
      "data": {"object": {"id": "pi", "currency": "zzz"}}})"));
}
