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

#include <string_view>

namespace rcommerce::payments {

// Refunds `amount` of order `order_id`'s captured payment. `card` is the
// Stripe gateway (nullptr when Stripe is not enabled; a Stripe payment's
// refund is then refused with stripe_not_enabled). Before a new Stripe
// refund, refunds whose earlier call got no answer (marked `unanswered`)
// are sent again under their own keys, so they settle instead of holding
// their amount forever. Known gap: a process killed during the call leaves
// its refund pending and unmarked; only the refund's webhook (which finds
// it by metadata) settles it, and if Stripe never got the call nothing
// does and its amount stays held until a person marks the row failed.
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

} // namespace rcommerce::payments
