#include "core/payments/event_merge.hpp"

#include "core/payments/stripe_form.hpp"

#include <algorithm>

namespace rcommerce::payments {

namespace {

Error mismatch(const WebhookEvent &event, std::string why)
{
    return make_error(ErrorKind::validation, "event_mismatch", "applying event " + event.id,
                      std::move(why));
}

Result<int64_t> ours(const WebhookEvent &event, int64_t stripe_amount,
                     const money::Currency &currency)
{
    auto converted = stripe::from_stripe_amount(stripe_amount, currency);
    if (!converted) {
        return mismatch(event, converted.error().why);
    }
    return *converted;
}

} // namespace

Result<GatewayPayment> merge_event(const GatewayPayment &payment, const WebhookEvent &event)
{
    if (event.kind == EventKind::unhandled) {
        return payment;
    }
    if (event.payment_intent != payment.id) {
        return mismatch(event, "it is for " + event.payment_intent + ", not " + payment.id);
    }
    const money::Currency &currency = payment.amounts.currency;
    if (event.currency && !(*event.currency == currency)) {
        return mismatch(event, "it is in " + std::string(event.currency->code()) +
                                   ", the payment in " + std::string(currency.code()));
    }

    GatewayPayment next = payment;
    PaymentAmounts &amounts = next.amounts;
    switch (event.kind) {
    case EventKind::payment_intent_succeeded: {
        auto received = ours(event, event.amount_received, currency);
        if (!received) {
            return received.error();
        }
        amounts.captured = std::max(amounts.captured, *received);
        break;
    }
    case EventKind::charge_refunded: {
        auto refunded = ours(event, event.amount_refunded, currency);
        if (!refunded) {
            return refunded.error();
        }
        amounts.refunded = std::max(amounts.refunded, *refunded);
        // A refund proves at least that much was captured, even if the
        // capture's own event has not arrived yet.
        amounts.captured = std::max(amounts.captured, amounts.refunded);
        break;
    }
    case EventKind::payment_intent_payment_failed:
        next.failure_code = event.failure_code;
        next.failure_message = event.failure_message;
        break;
    case EventKind::payment_intent_canceled:
    case EventKind::refund_updated: // a refund row's business (stripe_payment.cpp)
    case EventKind::unhandled:
        break;
    }
    amounts.authorized = std::max(amounts.authorized, amounts.captured);
    release_uncaptured(amounts);
    if (event.kind == EventKind::payment_intent_canceled ||
        payment.state == PaymentState::cancelled) {
        release_cancelled(amounts);
    }

    if (auto consistent = check_amounts(amounts); !consistent) {
        return mismatch(event, consistent.error().why);
    }

    if (auto from_amounts = state_from_amounts(amounts)) {
        // Money moved: the amounts decide, whatever failed or canceled first.
        next.state = *from_amounts;
    } else if (event.kind == EventKind::payment_intent_canceled) {
        next.state = PaymentState::cancelled;
    } else if (event.kind == EventKind::payment_intent_payment_failed &&
               payment.state != PaymentState::cancelled) {
        next.state = PaymentState::failed;
    }
    return next;
}

} // namespace rcommerce::payments
