// The one table of payment states, the rules that derive a payment's state
// from its amounts, what the order becomes, and how much may be refunded.
//
//   pending ──▶ authorized ──▶ captured ──▶ partially_refunded ──▶ refunded
//    │  ▲  │         │            │  └──────────────────────────────▲
//    │  │  └─────────┼────────────┘ (automatic capture)
//    ▼  │            ▼
//   failed ──▶ cancelled ◀── (pending, authorized)
//
// - `pending`: created at the gateway, not yet paid (Stripe:
//   requires_payment_method / requires_confirmation / requires_action /
//   processing).
// - `authorized`: money held, not captured (Stripe: requires_capture).
// - `captured`: money taken, partly or wholly (Stripe: succeeded).
// - `failed`: the last attempt was declined. Not terminal: the customer may
//   retry with another card on the same payment (Stripe returns the intent
//   to requires_payment_method), so failed -> pending/authorized/captured.
// - `cancelled` (the schema's spelling; Stripe's status is "canceled"):
//   abandoned before capture; terminal.
// - `partially_refunded` / `refunded`: some / all of the captured amount
//   returned; `refunded` is terminal.
//
// Amounts always satisfy 0 <= refunded <= captured <= authorized <= amount
// once authorized; once anything is captured authorized == captured (the
// rest of the authorization is released, see release_uncaptured).
#pragma once

#include "core/money/money.hpp"
#include "core/orders/order_state.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rcommerce::payments {

enum class PaymentState {
    pending,
    authorized,
    captured,
    partially_refunded,
    refunded,
    failed,
    cancelled,
};

[[nodiscard]] std::span<const PaymentState> all_payment_states() noexcept;
[[nodiscard]] std::string_view to_string(PaymentState state) noexcept;
[[nodiscard]] std::optional<PaymentState> payment_state_from_string(std::string_view text) noexcept;

[[nodiscard]] bool can_transition(PaymentState from, PaymentState to) noexcept;
[[nodiscard]] std::span<const PaymentState> next_states(PaymentState from) noexcept;

// OK when the table allows from -> to, or when from == to for a state that
// may repeat (a second partial refund). Otherwise ErrorKind::conflict,
// code "invalid_payment_transition", naming the current state.
[[nodiscard]] Status check_transition(PaymentState from, PaymentState to);

// The money a payment has moved, in minor units of `currency`.
struct PaymentAmounts {
    money::Currency currency{"EUR", 2};
    int64_t amount = 0;     // what the order asked for
    int64_t authorized = 0; // held at the gateway
    int64_t captured = 0;   // taken
    int64_t refunded = 0;   // returned, sum of succeeded refunds
};

// Checks 0 <= refunded <= captured <= authorized <= amount (and amount > 0).
// ErrorKind::internal, code "inconsistent_payment": a gateway or store
// handed us amounts that cannot be.
[[nodiscard]] Status check_amounts(const PaymentAmounts &amounts);

// The state the amounts imply: refunded when everything captured was
// returned, partially_refunded when some was, captured when anything was
// captured, authorized when held, otherwise nullopt (the amounts alone cannot
// tell pending from failed or cancelled: those come from gateway events).
[[nodiscard]] std::optional<PaymentState> state_from_amounts(const PaymentAmounts &amounts);

// A capture is final: the gateway releases whatever part of the
// authorization it did not take (Stripe does on a partial capture). So once
// anything is captured, authorized becomes captured; before that it keeps the
// larger of what is recorded and what is reported.
void release_uncaptured(PaymentAmounts &amounts) noexcept;

// A cancelled PaymentIntent holds nothing: whatever was authorized and not
// captured is released (authorized becomes captured, 0 before any capture).
// Applied whenever either side (what we recorded, or what the gateway or an
// event reports) is cancelled, so a stale "authorized" answer arriving after
// the cancellation cannot bring the hold back.
void release_cancelled(PaymentAmounts &amounts) noexcept;

// captured - refunded.
[[nodiscard]] int64_t refundable(const PaymentAmounts &amounts) noexcept;

// A refund of `requested` is allowed only when it is positive, in the
// payment's currency, and no more than captured - refunded. The refusal is
// ErrorKind::conflict, code "refund_exceeds_refundable", and names what is
// still refundable with the currency's decimals: "at most 0.01 EUR is still
// refundable (captured 100.00, already refunded 99.99)". Call it in the same
// transaction that records the refund.
[[nodiscard]] Status check_refund(const PaymentAmounts &amounts, const money::Money &requested);

// A capture of `requested` (everything authorized when nullopt) is allowed
// only when it is positive, in the payment's currency and no more than the
// authorized amount. Refusal: ErrorKind::validation, code "invalid_amount",
// naming the authorized amount ("at most 80.00 EUR is authorized").
[[nodiscard]] Status check_capture(const PaymentAmounts &amounts,
                                   const std::optional<money::Money> &requested);

// What the order becomes when its payment reaches `payment` with `amounts`:
// - awaiting_payment + captured (or already partially/fully refunded, when
//   events arrive out of order) -> paid;
// - paid/fulfilled/completed + refunded (everything) -> refunded;
// - anything else -> nullopt (no change: pending, authorized, failed and
//   cancelled leave the order awaiting payment; a partial refund is recorded
//   on the order as its refunded amount and keeps its state).
// Repeated events are harmless: a paid order seeing `captured` again gets
// nullopt. Apply it until it returns nullopt: awaiting_payment + refunded
// takes two steps (paid, then refunded), each a legal order transition.
[[nodiscard]] std::optional<orders::OrderState> order_state_after_payment(orders::OrderState order,
                                                                          PaymentState payment);

} // namespace rcommerce::payments
