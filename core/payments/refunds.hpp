// Refunds of an order's captured payment, through the gateway that took it.
//
// The bound (never more than captured minus already refunded) is checked in
// the same write transaction that records the refund, and a refund sent to
// Stripe is recorded `pending` *before* the call, so it is held against the
// remainder while the call is in flight: of two refunds racing for the same
// remainder exactly one passes, whatever the gateway. The Stripe call
// happens outside any transaction (the store is not locked during network
// I/O) with an Idempotency-Key derived from the refund row's id
// ("rcommerce-<order>-refund-<refund id>"), so a retry, after a 500 or a
// timeout, is the same refund at Stripe. Its answer, or the refund's
// webhook, whichever comes first, settles the row; the other finds it
// settled and changes nothing.
#pragma once

#include "core/config/config.hpp"
#include "core/money/money.hpp"
#include "core/payments/gateway.hpp"
#include "core/payments/manual_payment.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <string_view>

namespace rcommerce::payments {

// Refunds `amount` of order `order_id`'s captured payment. `card` is the
// Stripe gateway (nullptr when Stripe is not enabled; a Stripe payment's
// refund is then refused with stripe_not_enabled). Before a new Stripe
// refund, refunds whose earlier call got no answer (marked `unanswered`)
// are sent again under their own keys, so they settle instead of holding
// their amount forever. (A refund left pending by a process killed during
// the call is found by resend_orphaned_refunds.)
//
// Errors: nothing_to_refund (409) when nothing was captured;
// refund_exceeds_refundable (409) naming what is still refundable;
// invalid_amount / currency_mismatch (422); Stripe's 4xx as
// stripe::error_from_api maps them (type and message in the why; the refund
// is recorded failed); stripe_unavailable (503) after the client's retries
// (the refund stays pending, holding its amount, until Stripe's webhook or
// the next refund call settles it).
// The refund that returns everything moves the order to `refunded`.
[[nodiscard]] Result<Refund> refund_order(store::Database &db,
                                          const config::InventoryConfig &inventory, Gateway *card,
                                          int64_t order_id, const money::Money &amount,
                                          std::string_view reason);

// How long a refund call to Stripe may take, retries included, before a
// refund still pending with no answer is taken for one whose process died
// during the call. Far above the client's own deadline, so a call that is
// merely slow is never sent twice concurrently (and if it were, the shared
// Idempotency-Key would make it the same refund at Stripe).
inline constexpr int64_t k_refund_call_deadline_seconds = 15 * 60;

// Sends again, each under its own Idempotency-Key, every Stripe refund still
// pending without an answer: those marked `unanswered`, and those recorded
// more than k_refund_call_deadline_seconds before `now` (their process was
// killed during the call, so nothing else would ever settle them). Stripe
// answers a key it has seen with the refund it made, or makes the refund if
// the first call never reached it; either way the row settles. Stops at the
// first refund Stripe cannot be reached for (the next pass retries). Returns
// how many refunds it settled. serve's background jobs call it.
int64_t resend_orphaned_refunds(store::Database &db, const config::InventoryConfig &inventory,
                                Gateway &card, int64_t now);

} // namespace rcommerce::payments
