// Store-backed card payments through Stripe: the pay call and the webhook.
//
// Paying records our payment row first, inside a BEGIN IMMEDIATE
// transaction, at most one per order that is neither failed nor cancelled:
// two parallel pay calls find the same row, derive the same Idempotency-Keys
// from its id ("rcommerce-<order>-create-<payment id>", "...-confirm-..."),
// and so Stripe makes one PaymentIntent and charges once. A declined card
// leaves that row `failed`; the next pay call starts a fresh row (and intent).
//
// The confirm answer and every webhook are folded into the row with the same
// rules (event_merge.hpp: amounts only grow, money that moved wins), so the
// end state does not depend on which arrives first. The order becomes `paid`
// the first time the payment is captured, converting its reservations into
// a sale in the same transaction, so exactly once.
#pragma once

#include "core/config/config.hpp"
#include "core/payments/gateway.hpp"
#include "core/payments/manual_payment.hpp"
#include "core/util/result.hpp"

#include <string>
#include <string_view>

namespace rcommerce::payments {

struct StripePayment {
    Payment payment;
    std::string intent_id;       // pi_...
    std::string client_secret;   // for the customer's browser (requires_action); never logged
    std::string failure_code;    // set when the card was declined
    std::string failure_message; // Stripe's text for it
};

// Creates (or reuses) the order's payment and PaymentIntent and confirms it
// with `payment_method`. `capture` chooses automatic or manual capture for a
// new PaymentIntent ([payment.stripe] capture_method when nullopt). Errors:
// the order's state forbids paying (invalid_transition, 409); Stripe
// unreachable (503, the row stays pending and a retry reuses it and its
// keys); a decline is not an error.
[[nodiscard]] Result<StripePayment>
pay_with_stripe(store::Database &db, const config::Config &config, Gateway &gateway,
                int64_t order_id, std::string_view payment_method,
                std::optional<CaptureMethod> capture = std::nullopt);

// Captures `amount` (all of it when nullopt) of the order's authorized
// Stripe payment. The payment records what was captured, the rest of the
// authorization is released (Stripe lets it go), and the order becomes paid,
// converting its reservations into a sale. Errors: nothing_to_capture (409)
// when the order has no authorized payment; invalid_amount (422) for an
// amount that is not positive, in another currency or over the authorized
// amount (naming it); Stripe's refusals as stripe::error_from_api says.
[[nodiscard]] Result<Payment> capture_stripe_payment(store::Database &db,
                                                     const config::Config &config, Gateway &gateway,
                                                     int64_t order_id,
                                                     std::optional<money::Money> amount);

// Before an order is cancelled: cancels its open Stripe PaymentIntent (one
// not yet captured: pending or authorized), so the customer's authorization
// is released now rather than when Stripe lets it lapse after 7 days, and
// records the payment as cancelled. No open intent: nothing to do. Stripe
// refusing (the intent was captured meanwhile) is returned, so the caller
// does not cancel an order whose money has moved; refund it instead.
// True when an intent was cancelled.
[[nodiscard]] Result<bool> cancel_open_stripe_payment(store::Database &db,
                                                      const config::Config &config,
                                                      Gateway &gateway, int64_t order_id);

// The stored payment as the gateway interface sees it: the PaymentIntent id
// and amounts, with refunds still pending counted as refunded (money
// committed to go back).
[[nodiscard]] GatewayPayment as_gateway(const Payment &payment);

struct WebhookOutcome {
    std::string event_id;
    std::string type;
    bool duplicate = false; // already processed: nothing changed
    bool applied = false;   // a payment was found and folded
};

// Verifies a Stripe webhook delivery (`Stripe-Signature` with
// [payment.stripe] webhook_secret and webhook_tolerance_seconds, over the raw
// body bytes), records its event id once in processed_webhook_events and
// applies handled types to the payment whose provider reference is the
// event's PaymentIntent. refund.* events settle the refund row they name
// (by Stripe's id or our metadata id); charge.refunded records only money
// refunded beyond every refund we know of (pending ones included), so a
// refund we made is never counted twice whichever report comes first. Failures change nothing:
// invalid_signature / invalid_event / event_mismatch (validation, 400); unknown_payment_intent
// (not_found: not recorded, so Stripe's retry is applied once our pay call
// has stored the intent id).
[[nodiscard]] Result<WebhookOutcome> apply_stripe_webhook(store::Database &db,
                                                          const config::Config &config,
                                                          std::string_view signature_header,
                                                          std::string_view raw_body);

} // namespace rcommerce::payments
