#include "core/payments/manual_payment.hpp"

#include "core/orders/order_service.hpp"
#include "core/payments/payment_rows.hpp"
#include "core/store/database.hpp"

namespace rcommerce::payments {

PaymentAmounts amounts_of(const Payment &payment)
{
    return PaymentAmounts{payment.amount.currency, payment.amount.amount, payment.authorized,
                          payment.captured, payment.refunded};
}

PaymentAmounts refundable_amounts_of(const Payment &payment)
{
    PaymentAmounts amounts = amounts_of(payment);
    amounts.refunded += payment.refund_pending; // both bounded by captured: no overflow
    return amounts;
}

Result<Payment> pay_manually(store::Database &db, const config::InventoryConfig &config,
                             int64_t order_id)
{
    std::optional<Payment> payment;
    Status done = orders::in_order_transaction(
        db, order_id, [&](store::Connection &c, const orders::Order &order) -> Status {
            if (auto allowed = orders::check_transition(order.state, orders::OrderState::paid);
                !allowed) {
                return allowed;
            }
            c.execute("INSERT INTO payments (order_id, gateway, state, amount, currency, "
                      "authorized, captured) VALUES (?, 'manual', 'pending', ?, ?, ?, ?)",
                      order_id, order.total, order.currency.code(), order.total, order.total);
            int64_t payment_id = c.last_insert_id();
            rows::record_event(c, payment_id, "manual.created", std::nullopt, "pending");
            int64_t converted = 0;
            if (auto settled = rows::settle(c, config, payment_id, "manual.captured",
                                            PaymentState::pending, &converted);
                !settled) {
                return settled;
            }
            if (converted == 0) {
                return make_error(ErrorKind::conflict, "reservations_expired",
                                  "recording a payment for order " + order.number,
                                  "the order holds no reserved stock any more",
                                  "create the order again");
            }
            payment = rows::load_payment(c, payment_id);
            return ok_status();
        });
    if (!done) {
        return done.error();
    }
    return *payment;
}

Result<std::vector<Payment>> order_payments(store::Database &db, int64_t order_id)
{
    auto lease = db.connection();
    if (auto order = orders::load_order(*lease, order_id); !order) {
        return order.error();
    }
    std::vector<Payment> payments;
    lease->query(
        std::string(rows::k_payment_select) + "WHERE p.order_id = ? ORDER BY p.id",
        [&](const store::Row &row) { payments.push_back(rows::read_payment(row)); }, order_id);
    return payments;
}

} // namespace rcommerce::payments
