// Orders in the store: creation with all-or-nothing stock reservation, and
// the moves along the state table (order_state.hpp).
//
// create_order() runs in ONE BEGIN IMMEDIATE transaction: it prices every
// line from the store (never from the client), inserts the order and its
// lines, reserves every line and moves the order to awaiting_payment; if any
// line cannot be reserved the whole transaction rolls back and nothing,
// not even the order, remains. SQLite's single writer serialises concurrent
// checkouts, so two of them can never both see the same free units.
//
// Every state change reads the current state inside its write transaction
// and checks the table there, so two concurrent cancels cannot both release.
#pragma once

#include "core/config/config.hpp"
#include "core/money/money.hpp"
#include "core/orders/order_state.hpp"
#include "core/util/page.hpp"
#include "core/util/result.hpp"
#include "core/util/validation.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rcommerce::store {
class Database;
class Connection;
} // namespace rcommerce::store

namespace rcommerce::orders {

inline constexpr int64_t k_max_line_quantity = 1'000'000;
inline constexpr size_t k_max_lines = 500;

struct OrderLine {
    int64_t id = 0;
    int64_t variant_id = 0;
    std::string sku;
    std::string title;
    int64_t quantity = 0;
    int64_t unit_price = 0; // minor units of the order currency
    int64_t line_total = 0;
};

struct Order {
    int64_t id = 0;
    std::string number; // "R000001"
    std::optional<int64_t> customer_id;
    OrderState state = OrderState::pending;
    money::Currency currency{"EUR", 2};
    int64_t subtotal = 0;
    int64_t total = 0;
    int64_t refunded = 0;
    std::vector<OrderLine> lines;
    std::optional<std::string> reservations_expire_at; // while awaiting payment
    std::string created_at;
    std::string updated_at;
};

struct LineInput {
    std::string sku;
    int64_t quantity = 0;
};

// The shape rules of an order's lines (at least one, at most k_max_lines,
// SKU 1 to 100 characters, quantity 1 to k_max_line_quantity), added to
// `errors` so that a handler reports them with every other field problem.
// `lines[i]` must be the request's i-th line.
void check_lines(const std::vector<LineInput> &lines, util::FieldErrors &errors);

struct OrderInput {
    std::optional<int64_t> customer_id;
    money::Currency currency{"EUR", 2};
    std::vector<LineInput> lines;
    // false keeps the order `pending` without reserving (a draft); it
    // reserves later through place_order().
    bool reserve = true;
};

// Creates an order; see the file comment. Errors: validation_failed (no
// lines, bad quantity, naming "lines[i].quantity"), sku_not_found and
// customer_not_found (422: the request names something that does not
// exist), currency_mismatch (a SKU priced in another currency),
// product_archived, amount_overflow, insufficient_stock (409).
[[nodiscard]] Result<Order> create_order(store::Database &db, const config::InventoryConfig &config,
                                         const OrderInput &input);

// Reserves a pending order's lines: pending -> awaiting_payment, all or none.
[[nodiscard]] Result<Order> place_order(store::Database &db, const config::InventoryConfig &config,
                                        int64_t id);

[[nodiscard]] Result<Order> get_order(store::Database &db, int64_t id);
[[nodiscard]] Result<util::Page<Order>> list_orders(store::Database &db,
                                                    const util::PageRequest &page,
                                                    std::optional<OrderState> state = {});

// -> cancelled, releasing the order's active reservations (none for a
// pending order; none the second time). A paid order must be refunded
// first: cancelling it is refused with invalid_transition naming "paid".
[[nodiscard]] Result<Order> cancel_order(store::Database &db, const config::InventoryConfig &config,
                                         int64_t id);
// paid -> fulfilled.
[[nodiscard]] Result<Order> fulfil_order(store::Database &db, const config::InventoryConfig &config,
                                         int64_t id);
// fulfilled -> completed.
[[nodiscard]] Result<Order> complete_order(store::Database &db, int64_t id);

// --- Inside a caller's transaction -------------------------------------------

// The order as stored, or order_not_found.
[[nodiscard]] Result<Order> load_order(store::Connection &connection, int64_t id);

// Runs `work` on order `id`, read inside one write transaction (BEGIN
// IMMEDIATE), and commits only when work succeeds; an error, an exception or
// a missing order (order_not_found) rolls everything back. Every change to an
// order or its payments goes through here, so each sees the order as it is.
using OrderWork = std::function<Status(store::Connection &, const Order &)>;
[[nodiscard]] Status in_order_transaction(store::Database &db, int64_t id, const OrderWork &work);

// Checks the table and writes the new state (no other effect).
[[nodiscard]] Status move_order(store::Connection &connection, int64_t id, OrderState from,
                                OrderState to);

} // namespace rcommerce::orders
