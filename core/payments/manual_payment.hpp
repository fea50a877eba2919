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

// A payment as stored. Amounts are minor units of amount.currency.
struct Payment {
    int64_t id = 0;
    int64_t order_id = 0;
    std::string gateway;
    std::string provider_reference; // Stripe's PaymentIntent id; empty for manual
    PaymentState state = PaymentState::pending;
    money::Money amount;        // what the order asked for
    int64_t authorized = 0;     // held at the gateway
    int64_t captured = 0;       // taken (less than amount after a partial capture)
    int64_t refunded = 0;       // sum of succeeded refunds
    int64_t refund_pending = 0; // sum of refunds sent to the gateway, not yet settled
    std::string created_at;
};

// The stored payment's amounts; `refunded` counts succeeded refunds only.
[[nodiscard]] PaymentAmounts amounts_of(const Payment &payment);

// What a new refund is checked against: pending refunds count as refunded,
// so two refunds racing for the same remainder cannot both pass.
[[nodiscard]] PaymentAmounts refundable_amounts_of(const Payment &payment);

struct Refund {
    int64_t id = 0;
    int64_t payment_id = 0;
    int64_t order_id = 0;
    money::Money amount;
    std::string reason;
    std::string state;              // pending, succeeded, failed
    std::string provider_reference; // Stripe's refund id (re_...); empty for manual
    std::string created_at;
};

// Records a captured manual payment of the order total and moves the order
// awaiting_payment -> paid, converting its reservations into a sale. Fails
// with invalid_transition (409, naming the state) for any other state, and
// with reservations_expired (409) when the reservations are gone.
[[nodiscard]] Result<Payment> pay_manually(store::Database &db,
                                           const config::InventoryConfig &config, int64_t order_id);

[[nodiscard]] Result<std::vector<Payment>> order_payments(store::Database &db, int64_t order_id);

} // namespace rcommerce::payments
