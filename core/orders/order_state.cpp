#include "core/orders/order_state.hpp"

#include <array>
#include <string>
#include <vector>

namespace rcommerce::orders {

namespace {

struct StateRow {
    OrderState state;
    std::string_view name;
    // How an order reaches this state, for the hints of refused moves.
    std::string_view how;
    std::vector<OrderState> next;
};

using S = OrderState;

// THE table. Change lifecycle rules here and nowhere else.
// A paid order is never cancelled: its money was taken, and only a refund
// (core/payments) gives it back; refunding everything captured moves the
// order to `refunded`, so the money and the state cannot disagree.
const std::array<StateRow, 7> &table()
{
    static const std::array<StateRow, 7> rows = {{
        {S::pending,
         "pending",
         "create it with reserve false",
         {S::awaiting_payment, S::cancelled}},
        {S::awaiting_payment, "awaiting_payment", "place it", {S::paid, S::cancelled}},
        {S::paid, "paid", "pay it", {S::fulfilled, S::refunded}},
        {S::fulfilled, "fulfilled", "fulfil it", {S::completed, S::refunded}},
        {S::completed, "completed", "complete it", {S::refunded}},
        {S::cancelled, "cancelled", "cancel it", {}},
        {S::refunded, "refunded", "refund everything captured", {}},
    }};
    return rows;
}

const StateRow &row(OrderState state)
{
    return table()[static_cast<size_t>(state)];
}

constexpr std::array k_states = {S::pending,   S::awaiting_payment, S::paid,    S::fulfilled,
                                 S::completed, S::cancelled,        S::refunded};

} // namespace

std::span<const OrderState> all_order_states() noexcept
{
    return k_states;
}

std::string_view to_string(OrderState state) noexcept
{
    return row(state).name;
}

std::optional<OrderState> order_state_from_string(std::string_view text) noexcept
{
    for (const auto &r : table()) {
        if (r.name == text) {
            return r.state;
        }
    }
    return std::nullopt;
}

std::span<const OrderState> next_states(OrderState from) noexcept
{
    return row(from).next;
}

bool can_transition(OrderState from, OrderState to) noexcept
{
    for (OrderState next : next_states(from)) {
        if (next == to) {
            return true;
        }
    }
    return false;
}

bool is_terminal(OrderState state) noexcept
{
    return next_states(state).empty();
}

Status check_transition(OrderState from, OrderState to)
{
    if (can_transition(from, to)) {
        return ok_status();
    }

    std::string allowed;
    for (OrderState next : next_states(from)) {
        allowed += (allowed.empty() ? "" : ", ") + std::string(to_string(next)) + " (" +
                   std::string(row(next).how) + ")";
    }
    std::string hint = allowed.empty() ? "a " + std::string(to_string(from)) + " order is final"
                                       : "from " + std::string(to_string(from)) +
                                             " an order can become: " + allowed;
    // Cancelling is how a client says "undo this order"; once money was
    // taken that means a refund, so say so first.
    if (to == OrderState::cancelled && can_transition(from, OrderState::refunded)) {
        hint = "money was taken: refund it instead; " + hint;
    }
    return make_error(ErrorKind::conflict, "invalid_transition", "changing the order's state",
                      "order is " + std::string(to_string(from)) + "; it cannot become " +
                          std::string(to_string(to)),
                      std::move(hint));
}

} // namespace rcommerce::orders
