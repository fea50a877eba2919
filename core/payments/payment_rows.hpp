// Reading and writing payment and refund rows, shared by the manual and
// Stripe payment services. Everything here runs inside the caller's write
// transaction (orders::in_order_transaction).
//
// Refund rows are `pending` from the moment a refund is decided until the
// gateway confirms it, then `succeeded` (or `failed`). Pending refunds are
// held against the refundable amount, so two refunds racing for the same
// remainder cannot both pass the check; only succeeded refunds count as
// refunded for the payment's state and the order's refunded amount, so a
// refund that fails never has to be taken back.
#pragma once

#include "core/config/config.hpp"
#include "core/payments/manual_payment.hpp"
#include "core/store/database.hpp"

#include <optional>
#include <string_view>

namespace rcommerce::payments::rows {

// Columns: id, order_id, gateway, provider_reference, state, amount,
// currency, authorized, captured, refunded (succeeded refunds), refund_pending
// (pending refunds), created_at; append a WHERE clause.
inline constexpr const char *k_payment_select =
    "SELECT p.id, p.order_id, p.gateway, p.provider_reference, p.state, p.amount, p.currency, "
    "p.authorized, p.captured, "
    "(SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = p.id AND "
    "state = 'succeeded'), "
    "(SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = p.id AND "
    "state = 'pending'), p.created_at FROM payments p ";

[[nodiscard]] Payment read_payment(const store::Row &row);

[[nodiscard]] std::optional<Payment> load_payment(store::Connection &c, int64_t payment_id);

// The order's payment that money was taken on (captured or partly refunded).
[[nodiscard]] std::optional<Payment> captured_payment(store::Connection &c, int64_t order_id);

[[nodiscard]] std::optional<Refund> load_refund(store::Connection &c, int64_t refund_id);

// Appends to the payment's audit trail.
void record_event(store::Connection &c, int64_t payment_id, std::string_view type,
                  std::optional<std::string_view> from, std::string_view to);

// The state the stored amounts imply, `otherwise` when they imply none
// (pending, failed, cancelled come from the gateway, not from amounts).
// Writes it when it changed (recording `event_type`), brings the order's
// refunded amount up to the sum of its succeeded refunds, and moves the
// order as order_state_after_payment says; becoming paid converts the
// order's reservations into a sale, so that happens exactly once.
// `converted`, when given, receives how many reservations were converted.
[[nodiscard]] Status settle(store::Connection &c, const config::InventoryConfig &inventory,
                            int64_t payment_id, std::string_view event_type, PaymentState otherwise,
                            int64_t *converted = nullptr);

// Settles a pending refund: records the gateway's id (when it had none) and
// its new state ("pending", "succeeded" or "failed"), then settle()s the
// payment. A refund that is no longer pending is left as it is (the API
// answer and the webhook both report it; the first settles), except that a
// succeeded refund reported failed later is logged for a person: the money
// was counted as returned and the order may already be `refunded`.
[[nodiscard]] Status settle_refund(store::Connection &c, const config::InventoryConfig &inventory,
                                   int64_t refund_id, std::string_view provider_reference,
                                   std::string_view state, std::string_view event_type);

// Inserts a refund row and returns its id.
[[nodiscard]] int64_t insert_refund(store::Connection &c, const Payment &payment, int64_t amount,
                                    std::string_view reason, std::string_view state);

} // namespace rcommerce::payments::rows
