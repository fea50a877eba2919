// Folding verified Stripe events into a recorded payment so that the end
// state does not depend on the order events arrive in (Stripe does not
// promise an order, and an event may overtake our own confirm call).
//
// Amounts only grow: captured becomes max(recorded, amount_received),
// refunded max(recorded, the charge's amount_refunded), authorized at least
// captured, and exactly captured once anything is (a capture releases the
// rest, see release_uncaptured). Money that moved always wins over a failure
// or a cancellation: a `payment_failed` or `canceled` event changes the
// state only while nothing was captured, and a success after a recorded
// decline (another card) moves the payment on. Folding the same events in
// any order, or the same event twice, gives the same payment.
#pragma once

#include "core/payments/gateway.hpp"
#include "core/payments/webhook.hpp"

namespace rcommerce::payments {

// The payment after `event`. An event for another PaymentIntent, in another
// currency, or with amounts that break the payment's invariants is an error
// (ErrorKind::validation, code "event_mismatch"); unhandled kinds return the
// payment unchanged.
[[nodiscard]] Result<GatewayPayment> merge_event(const GatewayPayment &payment,
                                                 const WebhookEvent &event);

} // namespace rcommerce::payments
