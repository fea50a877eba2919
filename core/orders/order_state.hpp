// The one table of order states and the transitions between them.
//
//   pending --> awaiting_payment --> paid --> fulfilled --> completed
//      |               |               |           |             |
//      +-------+-------+               +-----------+-------------+--> refunded
//              v
//          cancelled
//
// - `pending`: created, totals computed; stock is being reserved.
// - `awaiting_payment`: stock reserved, waiting for the payment flow.
// - `paid`: money captured (the reservations became a sale).
// - `cancelled`: only before payment (from `pending` or `awaiting_payment`).
//   A paid order is not cancelled: its money is given back by a refund
//   (core/payments), and the refund of everything captured makes it
//   `refunded`. So no state says "cancelled" while money is still held.
// - `refunded`: everything captured was refunded; allowed from `paid`,
//   `fulfilled` and `completed` (a return after delivery).
//
// Partial refunds are not a state: they are recorded on the order as a
// refunded amount while the order keeps its state (a paid order with 5.00 of
// 100.00 refunded can still be fulfilled). Only the refund that brings the
// refunded amount to the captured amount moves the order to `refunded`
// (see payments::order_state_after_payment). `cancelled` and `refunded` are
// terminal; `completed` only admits `refunded`.
#pragma once

#include "core/util/result.hpp"

#include <optional>
#include <span>
#include <string_view>

namespace rcommerce::orders {

enum class OrderState {
    pending,
    awaiting_payment,
    paid,
    fulfilled,
    completed,
    cancelled,
    refunded,
};

// Every state, in lifecycle order.
[[nodiscard]] std::span<const OrderState> all_order_states() noexcept;

// "awaiting_payment" etc., the names the API and the store use.
[[nodiscard]] std::string_view to_string(OrderState state) noexcept;

// The inverse of to_string; nullopt for anything else (case-sensitive).
[[nodiscard]] std::optional<OrderState> order_state_from_string(std::string_view text) noexcept;

// True when the table has an edge from -> to.
[[nodiscard]] bool can_transition(OrderState from, OrderState to) noexcept;

// The states reachable from `from` in one step (empty for terminal states).
[[nodiscard]] std::span<const OrderState> next_states(OrderState from) noexcept;

[[nodiscard]] bool is_terminal(OrderState state) noexcept;

// OK when the table allows from -> to. Otherwise ErrorKind::conflict with code
// "invalid_transition", a why naming the current state ("order is fulfilled;
// it cannot become cancelled") and a hint listing the allowed next states
// and how each is reached (a refused cancel after payment says to refund).
[[nodiscard]] Status check_transition(OrderState from, OrderState to);

} // namespace rcommerce::orders
