#include "core/payments/event_merge.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <vector>

using namespace rcommerce;
using namespace rcommerce::payments;

namespace {

GatewayPayment recorded(std::string_view code, int64_t amount)
{
    GatewayPayment payment;
    payment.gateway = "stripe";
    payment.id = "pi_1";
    payment.order_id = "ord_1";
    payment.amounts = PaymentAmounts{money::parse_currency(code).value(), amount, 0, 0, 0};
    return payment;
}

WebhookEvent event_of(EventKind kind, std::string_view code, int64_t received = 0,
                      int64_t refunded = 0)
{
    WebhookEvent event;
    event.id = "evt_" + std::to_string(static_cast<int>(kind)) + "_" + std::to_string(refunded);
    event.kind = kind;
    event.type = std::string(to_string(kind));
    event.payment_intent = "pi_1";
    event.currency = money::find_currency_any_case(code) ? *money::find_currency_any_case(code)
                                                         : money::Currency{"EUR", 2};
    event.amount_received = received;
    event.amount_refunded = refunded;
    return event;
}

GatewayPayment fold(GatewayPayment payment, const std::vector<WebhookEvent> &events)
{
    for (const auto &event : events) {
        payment = merge_event(payment, event).value();
    }
    return payment;
}

} // namespace

TEST_CASE("events in any order, repeated or not, give the same payment")
{
    std::vector<WebhookEvent> events = {
        event_of(EventKind::payment_intent_payment_failed, "EUR"),
        event_of(EventKind::payment_intent_succeeded, "EUR", 10000),
        event_of(EventKind::charge_refunded, "EUR", 0, 9999),
        event_of(EventKind::charge_refunded, "EUR", 0, 2500),
    };
    std::sort(events.begin(), events.end(),
              [](const auto &a, const auto &b) { return a.id < b.id; });
    int orders = 0;
    do {
        auto events_twice = events;
        events_twice.insert(events_twice.end(), events.begin(), events.end());
        GatewayPayment end = fold(recorded("EUR", 10000), events_twice);
        CHECK(end.state == PaymentState::partially_refunded);
        CHECK(end.amounts.captured == 10000);
        CHECK(end.amounts.refunded == 9999);
        ++orders;
    } while (std::next_permutation(events.begin(), events.end(),
                                   [](const auto &a, const auto &b) { return a.id < b.id; }));
    CHECK(orders == 24);
}

TEST_CASE("a failure or cancellation never undoes captured money")
{
    GatewayPayment paid =
        fold(recorded("EUR", 500), {event_of(EventKind::payment_intent_succeeded, "EUR", 500)});
    CHECK(paid.state == PaymentState::captured);
    CHECK(merge_event(paid, event_of(EventKind::payment_intent_payment_failed, "EUR"))
              .value()
              .state == PaymentState::captured);
    CHECK(merge_event(paid, event_of(EventKind::payment_intent_canceled, "EUR")).value().state ==
          PaymentState::captured);
}

TEST_CASE("a decline, then success, ends captured; cancel before money is final")
{
    GatewayPayment declined =
        fold(recorded("EUR", 500), {event_of(EventKind::payment_intent_payment_failed, "EUR")});
    CHECK(declined.state == PaymentState::failed);
    GatewayPayment paid =
        merge_event(declined, event_of(EventKind::payment_intent_succeeded, "EUR", 500)).value();
    CHECK(paid.state == PaymentState::captured);
    CHECK(check_transition(declined.state, paid.state));

    GatewayPayment canceled =
        fold(recorded("EUR", 500), {event_of(EventKind::payment_intent_canceled, "EUR"),
                                    event_of(EventKind::payment_intent_payment_failed, "EUR")});
    CHECK(canceled.state == PaymentState::cancelled);
}

TEST_CASE("cancelling a held authorization releases it and the payment stays cancelled")
{
    GatewayPayment held = recorded("EUR", 2500);
    held.state = PaymentState::authorized;
    held.amounts.authorized = 2500;

    GatewayPayment canceled =
        merge_event(held, event_of(EventKind::payment_intent_canceled, "EUR")).value();
    CHECK(canceled.state == PaymentState::cancelled);
    CHECK(canceled.amounts.authorized == 0);
    CHECK(check_transition(held.state, canceled.state));

    // A failure reported after the cancellation neither revives the hold nor
    // changes the terminal state.
    GatewayPayment later =
        merge_event(canceled, event_of(EventKind::payment_intent_payment_failed, "EUR")).value();
    CHECK(later.state == PaymentState::cancelled);
    CHECK(later.amounts.authorized == 0);
}

TEST_CASE("events are converted from Stripe's units and checked against the payment")
{
    GatewayPayment isk =
        fold(recorded("ISK", 5), {event_of(EventKind::payment_intent_succeeded, "ISK", 500)});
    CHECK(isk.amounts.captured == 5);

    auto other_intent = event_of(EventKind::payment_intent_succeeded, "EUR", 1);
    other_intent.payment_intent = "pi_2";
    CHECK(merge_event(recorded("EUR", 5), other_intent).error().code == "event_mismatch");
    CHECK(merge_event(recorded("EUR", 5), event_of(EventKind::payment_intent_succeeded, "USD", 1))
              .error()
              .code == "event_mismatch");
    CHECK(merge_event(recorded("EUR", 5), event_of(EventKind::payment_intent_succeeded, "EUR", 6))
              .error()
              .code == "event_mismatch");
    WebhookEvent unhandled;
    unhandled.kind = EventKind::unhandled;
    CHECK(merge_event(recorded("EUR", 5), unhandled).value().state == PaymentState::pending);
}
