// Card payments, captures and refunds against the store, with a scripted
// gateway standing in for Stripe so that a test can deliver a webhook while
// one of our calls is "in flight", hold a refund call open while another
// races it, or make Stripe refuse. (The real client meets the fake Stripe in
// stripe_fake_test.cpp and in the integration tests.)
#include "core/payments/refunds.hpp"
#include "core/payments/stripe_client.hpp"
#include "core/payments/stripe_payment.hpp"
#include "core/payments/webhook.hpp"
#include "core/util/time.hpp"

#include "tests/unit/shop.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

using namespace rcommerce;
using namespace rcommerce::payments;
using nlohmann::json;
using rcommerce::test::Shop;

namespace {

constexpr const char *k_secret = "whsec_payment_flow_test";

// Answers like Stripe from memory. The `during_*` hooks run in the middle of
// a call, after Stripe "did" the work and before we hear back.
class ScriptedGateway final : public Gateway {
public:
    std::function<void(const GatewayPayment &)> during_create;
    std::function<void(const GatewayPayment &)> during_confirm;
    std::function<void(const GatewayPayment &, const OperationKey &)> during_refund;
    std::optional<Error> refund_answer; // an error instead of a refund
    std::atomic<int> refund_calls{0};
    std::atomic<int> capture_calls{0};
    std::vector<std::string> refund_keys; // under m_mutex

    std::string_view name() const noexcept override { return "stripe"; }

    Result<GatewayPayment> create_payment(const PaymentRequest &request) override
    {
        GatewayPayment payment;
        payment.gateway = "stripe";
        payment.id = "pi_" + request.order_id + "_" + std::to_string(request.attempt);
        payment.order_id = request.order_id;
        payment.capture = request.capture;
        m_capture = request.capture;
        payment.amounts = {request.amount.currency, request.amount.amount, 0, 0, 0};
        if (during_create) {
            during_create(payment);
        }
        return payment;
    }

    Result<GatewayPayment> confirm(const GatewayPayment &payment, const ConfirmOptions &,
                                   const OperationKey &) override
    {
        GatewayPayment next = payment;
        next.amounts.authorized = next.amounts.amount;
        next.state = PaymentState::authorized;
        if (m_capture == CaptureMethod::automatic) {
            next.amounts.captured = next.amounts.amount;
            next.state = PaymentState::captured;
        }
        if (during_confirm) {
            during_confirm(next);
        }
        return next;
    }

    Result<GatewayPayment> capture(const GatewayPayment &payment, std::optional<int64_t> amount,
                                   const OperationKey &) override
    {
        ++capture_calls;
        GatewayPayment next = payment;
        next.amounts.captured = amount.value_or(payment.amounts.authorized);
        release_uncaptured(next.amounts);
        next.state = PaymentState::captured;
        return next;
    }

    Result<GatewayPayment> cancel(const GatewayPayment &payment, const OperationKey &) override
    {
        GatewayPayment next = payment;
        next.state = PaymentState::cancelled;
        return next;
    }

    Result<RefundResult> refund(const GatewayPayment &payment, const money::Money &amount,
                                const OperationKey &key) override
    {
        ++refund_calls;
        {
            std::lock_guard lock(m_mutex);
            refund_keys.push_back(idempotency_key(key));
        }
        if (auto allowed = check_refund(payment.amounts, amount); !allowed) {
            return allowed.error();
        }
        if (refund_answer) {
            return *refund_answer;
        }
        if (during_refund) {
            during_refund(payment, key);
        }
        GatewayPayment next = payment;
        next.amounts.refunded += amount.amount;
        return RefundResult{refund_id(key), amount, "succeeded", next};
    }

    Result<GatewayPayment> retrieve(const GatewayPayment &payment) override { return payment; }

    static std::string refund_id(const OperationKey &key)
    {
        return "re_" + key.order_id + "_" + std::to_string(key.generation);
    }

private:
    std::mutex m_mutex;
    CaptureMethod m_capture = CaptureMethod::automatic; // a real intent remembers it
};

struct CardShop : Shop {
    config::Config config;
    ScriptedGateway gateway;
    money::Currency eur = *money::find_currency("EUR");

    CardShop()
    {
        config.inventory = inventory;
        config.payment.stripe.enabled = true;
        config.payment.stripe.webhook_secret = k_secret;
    }

    Result<WebhookOutcome> deliver(const json &event)
    {
        std::string body = event.dump(2);
        std::string header = sign_payload(body, k_secret, util::unix_now());
        return apply_stripe_webhook(*db, config, header, body);
    }

    int64_t query(const std::string &sql, int64_t id)
    {
        return db->connection()->query_integer(sql, id).value_or(-1);
    }

    orders::Order order_of(int64_t id) { return orders::get_order(*db, id).value(); }

    Payment payment_of(int64_t order_id) { return order_payments(*db, order_id).value().back(); }

    Result<Refund> refund(int64_t order_id, int64_t amount)
    {
        return refund_order(*db, inventory, &gateway, order_id, {amount, eur}, "");
    }

    // An order of one unit of a fresh SKU (stock 5) at `price`, paid by card.
    int64_t paid_order(const std::string &sku_name, int64_t price)
    {
        sku(sku_name, 5, price);
        int64_t id = order({{sku_name, 1}}).value().id;
        REQUIRE(pay_with_stripe(*db, config, gateway, id, "pm_card_visa").ok());
        return id;
    }
};

json event(const std::string &id, const std::string &type, json object)
{
    return {{"id", id}, {"object", "event"}, {"type", type}, {"data", {{"object", object}}}};
}

json intent_event(const std::string &id, const std::string &intent, int64_t received)
{
    return event(id, "payment_intent.succeeded",
                 {{"id", intent},
                  {"object", "payment_intent"},
                  {"status", "succeeded"},
                  {"currency", "eur"},
                  {"amount", received},
                  {"amount_received", received}});
}

json charge_refunded(const std::string &id, const std::string &intent, int64_t refunded)
{
    return event(id, "charge.refunded",
                 {{"id", "ch_" + intent},
                  {"object", "charge"},
                  {"payment_intent", intent},
                  {"currency", "eur"},
                  {"amount_refunded", refunded}});
}

json refund_updated(const std::string &id, const std::string &refund, const std::string &intent,
                    int64_t amount, const std::string &status, int64_t ours)
{
    return event(id, "refund.updated",
                 {{"id", refund},
                  {"object", "refund"},
                  {"payment_intent", intent},
                  {"currency", "eur"},
                  {"amount", amount},
                  {"status", status},
                  {"metadata", {{"rcommerce_refund_id", std::to_string(ours)}}}});
}

const char *k_captures = "SELECT count(*) FROM payment_events pe JOIN payments p ON "
                         "p.id = pe.payment_id WHERE p.order_id = ? AND pe.to_state = 'captured'";
const char *k_sales = "SELECT count(*) FROM stock_movements WHERE reason = 'sale' AND "
                      "reference = 'order ' || (SELECT number FROM orders WHERE id = ?)";

} // namespace

TEST_CASE("payment_intent.succeeded arriving during our confirm call: paid once, one sale")
{
    CardShop shop;
    shop.sku("W", 5, 10000);
    int64_t id = shop.order({{"W", 1}}).value().id;
    shop.gateway.during_confirm = [&](const GatewayPayment &intent) {
        auto applied = shop.deliver(intent_event("evt_during", intent.id, 10000));
        REQUIRE(applied.ok());
        CHECK(applied->applied);
        CHECK(shop.order_of(id).state == orders::OrderState::paid);
    };
    auto paid = pay_with_stripe(*shop.db, shop.config, shop.gateway, id, "pm_card_visa");
    REQUIRE(paid.ok());
    CHECK(paid->payment.state == PaymentState::captured);
    CHECK(paid->payment.captured == 10000);
    CHECK(shop.order_of(id).state == orders::OrderState::paid);
    CHECK(shop.query("SELECT count(*) FROM payments WHERE order_id = ?", id) == 1);
    CHECK(shop.query(k_captures, id) == 1);
    CHECK(shop.query(k_sales, id) == 1);
    CHECK(shop.level("W").on_hand == 4);
    CHECK(shop.level("W").reserved == 0);
    CHECK(shop.deliver(intent_event("evt_during", paid->intent_id, 10000))->duplicate);
}

TEST_CASE("payment_intent.succeeded before the intent is recorded: refused, applied on retry")
{
    CardShop shop;
    shop.sku("B", 5, 2500);
    int64_t id = shop.order({{"B", 1}}).value().id;
    std::string intent;
    shop.gateway.during_create = [&](const GatewayPayment &created) {
        intent = created.id;
        auto early = shop.deliver(intent_event("evt_early", intent, 2500));
        REQUIRE_FALSE(early.ok());
        CHECK(early.error().code == "unknown_payment_intent");
        CHECK(early.error().kind == ErrorKind::not_found);
    };
    REQUIRE(pay_with_stripe(*shop.db, shop.config, shop.gateway, id, "pm_card_visa").ok());
    CHECK(shop.count("processed_webhook_events") == 0);

    // Stripe retries the delivery that got a 404: applied, nothing moves twice.
    auto retried = shop.deliver(intent_event("evt_early", intent, 2500));
    REQUIRE(retried.ok());
    CHECK(retried->applied);
    CHECK(shop.order_of(id).state == orders::OrderState::paid);
    CHECK(shop.payment_of(id).captured == 2500);
    CHECK(shop.query(k_captures, id) == 1);
    CHECK(shop.query(k_sales, id) == 1);
    CHECK(shop.level("B").on_hand == 4);
}

TEST_CASE("a Stripe refund larger than the remainder is refused naming it, before any call")
{
    CardShop shop;
    int64_t id = shop.paid_order("R", 10000);
    auto first = shop.refund(id, 9999);
    REQUIRE(first.ok());
    CHECK(first->state == "succeeded");
    CHECK(first->provider_reference ==
          "re_" + std::to_string(id) + "_" + std::to_string(first->id));
    auto refused = shop.refund(id, 500);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "refund_exceeds_refundable");
    CHECK(refused.error().why.find("at most 0.01 EUR") != std::string::npos);
    CHECK(shop.gateway.refund_calls == 1);
    CHECK(shop.order_of(id).refunded == 9999);
    CHECK(shop.payment_of(id).state == PaymentState::partially_refunded);

    REQUIRE(shop.refund(id, 1).ok());
    CHECK(shop.order_of(id).state == orders::OrderState::refunded);
    CHECK(shop.payment_of(id).state == PaymentState::refunded);
    auto again = shop.refund(id, 1);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == "nothing_to_refund");
    CHECK(again.error().why == "everything captured for it has already been refunded");
}

TEST_CASE("two threads refunding the same remainder: exactly one succeeds, for either gateway")
{
    CardShop shop;
    int64_t card = shop.paid_order("T", 10000);
    shop.sku("M", 5, 10000);
    int64_t cash = shop.order({{"M", 1}}).value().id;
    REQUIRE(pay_manually(*shop.db, shop.inventory, cash).ok());
    // Hold the Stripe call open so the second refund decides while the first
    // is in flight.
    shop.gateway.during_refund = [](const GatewayPayment &, const OperationKey &) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    };

    for (int64_t id : {card, cash}) {
        CAPTURE(id);
        std::vector<Result<Refund>> results(2, Result<Refund>(Refund{}));
        std::vector<std::thread> threads;
        for (size_t i = 0; i < 2; ++i) {
            threads.emplace_back([&, i] { results[i] = shop.refund(id, 6000); });
        }
        for (auto &thread : threads) {
            thread.join();
        }
        int ok = 0;
        for (const auto &result : results) {
            if (result) {
                ++ok;
            } else {
                CHECK(result.error().code == "refund_exceeds_refundable");
                CHECK(result.error().why.find("at most 40.00 EUR") != std::string::npos);
            }
        }
        CHECK(ok == 1);
        CHECK(shop.order_of(id).refunded == 6000);
        CHECK(shop.query("SELECT count(*) FROM refunds WHERE order_id = ?", id) == 1);
    }
    CHECK(shop.gateway.refund_calls == 1);
}

TEST_CASE("a refund's webhooks arriving while our refund call is in flight count once")
{
    CardShop shop;
    int64_t id = shop.paid_order("H", 10000);
    std::string intent = shop.payment_of(id).provider_reference;
    shop.gateway.during_refund = [&](const GatewayPayment &, const OperationKey &key) {
        REQUIRE(shop.deliver(charge_refunded("evt_ch_1", intent, 3000)).ok());
        auto settled = shop.deliver(refund_updated("evt_re_1", ScriptedGateway::refund_id(key),
                                                   intent, 3000, "succeeded", key.generation));
        REQUIRE(settled.ok());
        CHECK(settled->applied);
    };
    auto refund = shop.refund(id, 3000);
    REQUIRE(refund.ok());
    CHECK(refund->state == "succeeded");
    CHECK(shop.query("SELECT count(*) FROM refunds WHERE order_id = ?", id) == 1);
    CHECK(shop.order_of(id).refunded == 3000);
    CHECK(shop.payment_of(id).state == PaymentState::partially_refunded);

    // The same reports again, and a refund made in Stripe's Dashboard (the
    // charge's total refunded grows by 2000 that we never asked for).
    CHECK(shop.deliver(charge_refunded("evt_ch_1", intent, 3000))->duplicate);
    REQUIRE(shop.deliver(charge_refunded("evt_ch_2", intent, 3000)).ok());
    CHECK(shop.order_of(id).refunded == 3000);
    REQUIRE(shop.deliver(charge_refunded("evt_ch_3", intent, 5000)).ok());
    CHECK(shop.order_of(id).refunded == 5000);
    CHECK(shop.query("SELECT count(*) FROM refunds WHERE order_id = ?", id) == 2);
    auto unknown =
        shop.deliver(refund_updated("evt_re_9", "re_dashboard", intent, 2000, "succeeded", 0));
    REQUIRE(unknown.ok());
    CHECK_FALSE(unknown->applied);
    CHECK(shop.order_of(id).refunded == 5000);
}

TEST_CASE("Stripe refusing a refund reports its type and message and frees the amount")
{
    CardShop shop;
    int64_t id = shop.paid_order("F", 10000);
    stripe::ApiError api{400,
                         "invalid_request_error",
                         "charge_disputed",
                         "",
                         "Charge ch_1 has been charged back; cannot issue a refund.",
                         {}};
    shop.gateway.refund_answer = stripe::error_from_api(api);
    auto refused = shop.refund(id, 10000);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "stripe_invalid_request");
    CHECK(refused.error().why.find("invalid_request_error") != std::string::npos);
    CHECK(refused.error().why.find("charged back") != std::string::npos);
    CHECK(shop.query("SELECT count(*) FROM refunds WHERE order_id = ? AND state = 'failed'", id) ==
          1);
    CHECK(shop.payment_of(id).refund_pending == 0);

    shop.gateway.refund_answer.reset();
    CHECK(shop.refund(id, 10000).ok());
    CHECK(shop.order_of(id).state == orders::OrderState::refunded);
}

TEST_CASE("a refund whose call got no answer holds its amount and is re-sent under its key")
{
    CardShop shop;
    int64_t id = shop.paid_order("N", 10000);
    shop.gateway.refund_answer = make_error(ErrorKind::unavailable, "stripe_unavailable",
                                            "calling Stripe", "network error after 4 attempts");
    auto lost = shop.refund(id, 4000);
    REQUIRE_FALSE(lost.ok());
    CHECK(lost.error().code == "stripe_unavailable");
    CHECK(lost.error().hint.find("pending") != std::string::npos);
    CHECK(shop.payment_of(id).refund_pending == 4000);
    CHECK(shop.order_of(id).refunded == 0);

    shop.gateway.refund_answer.reset();
    auto more = shop.refund(id, 7000);
    REQUIRE_FALSE(more.ok());
    CHECK(more.error().why.find("at most 60.00 EUR") != std::string::npos);
    CHECK(shop.order_of(id).refunded == 4000);
    REQUIRE(shop.gateway.refund_keys.size() == 2);
    CHECK(shop.gateway.refund_keys[0] == shop.gateway.refund_keys[1]);
}

TEST_CASE("a refund left pending by a process killed during the call is sent again once stale")
{
    CardShop shop;
    int64_t id = shop.paid_order("K", 10000);
    // The process "dies" after Stripe made the refund and before the answer
    // is recorded: the row stays pending, not marked unanswered.
    shop.gateway.during_refund = [](const GatewayPayment &, const OperationKey &) {
        throw std::runtime_error("killed during the call");
    };
    CHECK_THROWS(static_cast<void>(shop.refund(id, 3000)));
    shop.gateway.during_refund = nullptr;
    CHECK(shop.payment_of(id).refund_pending == 3000);

    int64_t now = util::unix_now();
    // Within the deadline the call may still be in flight: left alone.
    CHECK(resend_orphaned_refunds(*shop.db, shop.inventory, shop.gateway, now) == 0);
    CHECK(shop.gateway.refund_calls == 1);
    CHECK(shop.payment_of(id).refund_pending == 3000);

    int64_t later = now + k_refund_call_deadline_seconds + 60;
    CHECK(resend_orphaned_refunds(*shop.db, shop.inventory, shop.gateway, later) == 1);
    CHECK(shop.payment_of(id).refund_pending == 0);
    CHECK(shop.order_of(id).refunded == 3000);
    REQUIRE(shop.gateway.refund_keys.size() == 2);
    CHECK(shop.gateway.refund_keys[0] == shop.gateway.refund_keys[1]);
    CHECK(resend_orphaned_refunds(*shop.db, shop.inventory, shop.gateway, later + 3600) == 0);
    CHECK(shop.gateway.refund_calls == 2);
}

TEST_CASE("orphaned refunds wait while Stripe is unreachable and settle when it is back")
{
    CardShop shop;
    int64_t id = shop.paid_order("U", 10000);
    shop.gateway.refund_answer = make_error(ErrorKind::unavailable, "stripe_unavailable",
                                            "calling Stripe", "network error after 4 attempts");
    REQUIRE_FALSE(shop.refund(id, 2500).ok());
    int64_t now = util::unix_now();
    CHECK(resend_orphaned_refunds(*shop.db, shop.inventory, shop.gateway, now) == 0);
    CHECK(shop.payment_of(id).refund_pending == 2500);
    shop.gateway.refund_answer.reset();
    // `unanswered` rows need no deadline: nothing is waiting for them.
    CHECK(resend_orphaned_refunds(*shop.db, shop.inventory, shop.gateway, now) == 1);
    CHECK(shop.order_of(id).refunded == 2500);
    CHECK(shop.payment_of(id).refund_pending == 0);
}

TEST_CASE("a partial capture records what was captured and releases the rest")
{
    CardShop shop;
    shop.sku("C", 5, 10000);
    int64_t id = shop.order({{"C", 1}}).value().id;
    auto held = pay_with_stripe(*shop.db, shop.config, shop.gateway, id, "pm_card_visa",
                                CaptureMethod::manual);
    REQUIRE(held.ok());
    CHECK(held->payment.state == PaymentState::authorized);
    CHECK(held->payment.authorized == 10000);
    CHECK(held->payment.captured == 0);
    CHECK(shop.order_of(id).state == orders::OrderState::awaiting_payment);
    CHECK(shop.refund(id, 100).error().code == "nothing_to_refund");

    auto eur = shop.eur;
    auto too_much =
        capture_stripe_payment(*shop.db, shop.config, shop.gateway, id, money::Money{10001, eur});
    REQUIRE_FALSE(too_much.ok());
    CHECK(too_much.error().code == "invalid_amount");
    CHECK(too_much.error().why.find("at most 100.00 EUR is authorized") != std::string::npos);

    auto captured =
        capture_stripe_payment(*shop.db, shop.config, shop.gateway, id, money::Money{6000, eur});
    REQUIRE(captured.ok());
    CHECK(captured->captured == 6000);
    CHECK(captured->authorized == 6000);
    CHECK(captured->amount.amount == 10000);
    CHECK(captured->state == PaymentState::captured);
    CHECK(shop.order_of(id).state == orders::OrderState::paid);
    CHECK(shop.query(k_sales, id) == 1);

    // Stripe's webhook for the capture says the same: nothing changes.
    REQUIRE(shop.deliver(intent_event("evt_cap", held->intent_id, 6000)).ok());
    CHECK(shop.payment_of(id).captured == 6000);
    CHECK(shop.payment_of(id).authorized == 6000);

    auto again = capture_stripe_payment(*shop.db, shop.config, shop.gateway, id, std::nullopt);
    CHECK(again.error().code == "nothing_to_capture");
    auto over = shop.refund(id, 6001);
    REQUIRE_FALSE(over.ok());
    CHECK(over.error().why.find("at most 60.00 EUR") != std::string::npos);
    REQUIRE(shop.refund(id, 6000).ok());
    CHECK(shop.order_of(id).state == orders::OrderState::refunded);
}

TEST_CASE("an authorization whose order expired is not captured")
{
    CardShop shop;
    shop.sku("X", 5, 10000);
    int64_t id = shop.order({{"X", 2}}).value().id;
    auto held = pay_with_stripe(*shop.db, shop.config, shop.gateway, id, "pm_card_visa",
                                CaptureMethod::manual);
    REQUIRE(held.ok());
    REQUIRE(held->payment.state == PaymentState::authorized);
    // The reservations run out before anyone captures: the order is
    // cancelled and its stock is free for other orders.
    int64_t later = util::unix_now() + (shop.inventory.reservation_ttl_minutes + 1) * 60;
    REQUIRE(inventory::expire_reservations(*shop.db, shop.inventory, later) == 1);
    REQUIRE(shop.order_of(id).state == orders::OrderState::cancelled);

    auto captured = capture_stripe_payment(*shop.db, shop.config, shop.gateway, id, std::nullopt);
    REQUIRE_FALSE(captured.ok());
    CHECK(captured.error().code == "invalid_transition");
    CHECK(captured.error().why.find("cancelled") != std::string::npos);
    CHECK(shop.gateway.capture_calls == 0);
    CHECK(shop.payment_of(id).state == PaymentState::authorized);
    CHECK(shop.payment_of(id).captured == 0);
    CHECK(shop.order_of(id).state == orders::OrderState::cancelled);
    CHECK(shop.query(k_sales, id) == 0);
    CHECK(captured.error().hint.find("cancel the order") != std::string::npos);

    // What the hint offers: cancelling releases the hold at Stripe.
    auto released = cancel_open_stripe_payment(*shop.db, shop.config, shop.gateway, id);
    REQUIRE(released.ok());
    CHECK(*released);
    CHECK(shop.payment_of(id).state == PaymentState::cancelled);
    CHECK(*cancel_open_stripe_payment(*shop.db, shop.config, shop.gateway, id) == false);
}
