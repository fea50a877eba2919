// Reading and writing payment rows, shared by the manual and Stripe payment
// services (both run these inside their own write transaction).
#pragma once

#include "core/payments/manual_payment.hpp"
#include "core/store/database.hpp"

#include <optional>
#include <string_view>

namespace rcommerce::payments::rows {

// Columns: id, order_id, gateway, state, amount, currency, refunded (sum of
// succeeded refunds), created_at; append a WHERE clause.
inline constexpr const char *k_payment_select =
    "SELECT p.id, p.order_id, p.gateway, p.state, p.amount, p.currency, "
    "(SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = p.id AND "
    "state = 'succeeded'), p.created_at FROM payments p ";

[[nodiscard]] Payment read_payment(const store::Row &row);

[[nodiscard]] std::optional<Payment> load_payment(store::Connection &c, int64_t payment_id);

// Appends to the payment's audit trail.
void record_event(store::Connection &c, int64_t payment_id, std::string_view type,
                  std::optional<std::string_view> from, std::string_view to);

} // namespace rcommerce::payments::rows
