// The manual gateway: an operator records that an order was paid (cash, bank
// transfer) or refunded outside rcommerce. It moves the same payment and order
// state tables as a card gateway would, in one transaction with the stock
// effect: paying converts the order's reservations into a sale.
#pragma once

#include "core/config/config.hpp"
#include "core/money/money.hpp"
#include "core/payments/payment_state.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rcommerce::store {
class Database;
} // namespace rcommerce::store

namespace rcommerce::payments {

struct Payment {
    int64_t id = 0;
    int64_t order_id = 0;
    std::string gateway;
    PaymentState state = PaymentState::pending;
    money::Money amount;
    int64_t refunded = 0;
    std::string created_at;
};

struct Refund {
    int64_t id = 0;
    int64_t payment_id = 0;
    int64_t order_id = 0;
    money::Money amount;
    std::string reason;
    std::string state;
    std::string created_at;
};

// Records a captured manual payment of the order total and moves the order
// awaiting_payment -> paid, converting its reservations into a sale. Fails
// with invalid_transition (409, naming the state) for any other state, and
// with reservations_expired (409) when the reservations are gone.
[[nodiscard]] Result<Payment> pay_manually(store::Database &db,
                                           const config::InventoryConfig &config, int64_t order_id);

// Refunds `amount` of an order's captured manual payment. Refused with
// refund_exceeds_refundable naming what is still refundable; the refund
// that returns everything moves the order to `refunded`.
[[nodiscard]] Result<Refund> refund_manually(store::Database &db, int64_t order_id,
                                             const money::Money &amount, std::string_view reason);

[[nodiscard]] Result<std::vector<Payment>> order_payments(store::Database &db, int64_t order_id);

} // namespace rcommerce::payments
