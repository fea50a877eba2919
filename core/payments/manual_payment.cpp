#include "core/payments/manual_payment.hpp"
#include "core/payments/payment_rows.hpp"

#include "core/inventory/stock.hpp"
#include "core/orders/order_service.hpp"
#include "core/store/database.hpp"

namespace rcommerce::payments {
using rows::k_payment_select;
using rows::read_payment;
using rows::record_event;

Result<Payment> pay_manually(store::Database &db, const config::InventoryConfig &config,
                             int64_t order_id)
{
    auto lease = db.connection();
    auto &c = *lease;
    store::Transaction transaction(c);
    auto order = orders::load_order(c, order_id);
    if (!order) {
        return order.error();
    }
    if (auto allowed = orders::check_transition(order->state, orders::OrderState::paid); !allowed) {
        return allowed.error();
    }
    if (inventory::convert_order_reservations(c, config, order_id, "order " + order->number) == 0) {
        return make_error(ErrorKind::conflict, "reservations_expired",
                          "recording a payment for order " + order->number,
                          "the order holds no reserved stock any more", "create the order again");
    }
    c.execute("INSERT INTO payments (order_id, gateway, state, amount, currency) "
              "VALUES (?, 'manual', ?, ?, ?)",
              order_id, to_string(PaymentState::captured), order->total, order->currency.code());
    int64_t payment_id = c.last_insert_id();
    record_event(c, payment_id, "manual.captured", std::nullopt, to_string(PaymentState::captured));

    auto next = order_state_after_payment(order->state, PaymentState::captured);
    if (auto moved = orders::move_order(c, order_id, order->state, *next); !moved) {
        return moved.error();
    }
    std::optional<Payment> payment;
    c.query(
        std::string(k_payment_select) + "WHERE p.id = ?",
        [&](const store::Row &row) { payment = read_payment(row); }, payment_id);
    transaction.commit();
    return *payment;
}

Result<Refund> refund_manually(store::Database &db, int64_t order_id, const money::Money &amount,
                               std::string_view reason)
{
    auto lease = db.connection();
    auto &c = *lease;
    store::Transaction transaction(c);
    auto order = orders::load_order(c, order_id);
    if (!order) {
        return order.error();
    }
    std::optional<Payment> payment;
    c.query(
        std::string(k_payment_select) +
            "WHERE p.order_id = ? AND p.state IN ('captured', 'partially_refunded') "
            "ORDER BY p.id LIMIT 1",
        [&](const store::Row &row) { payment = read_payment(row); }, order_id);
    if (!payment) {
        return make_error(ErrorKind::conflict, "nothing_to_refund",
                          "refunding order " + order->number,
                          "order is " + std::string(orders::to_string(order->state)) +
                              " and has no captured payment");
    }
    PaymentAmounts amounts{payment->amount.currency, payment->amount.amount, payment->amount.amount,
                           payment->amount.amount, payment->refunded};
    if (auto allowed = check_refund(amounts, amount); !allowed) {
        return allowed.error();
    }

    c.execute("INSERT INTO refunds (payment_id, order_id, amount, currency, reason, state) "
              "VALUES (?, ?, ?, ?, ?, 'succeeded')",
              payment->id, order_id, amount.amount, amount.currency.code(), reason);
    int64_t refund_id = c.last_insert_id();
    amounts.refunded += amount.amount;
    auto payment_state = *state_from_amounts(amounts);
    c.execute("UPDATE payments SET state = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', "
              "'now') WHERE id = ?",
              to_string(payment_state), payment->id);
    record_event(c, payment->id, "manual.refunded", to_string(payment->state),
                 to_string(payment_state));
    c.execute("UPDATE orders SET refunded_amount = refunded_amount + ? WHERE id = ?", amount.amount,
              order_id);
    if (auto next = order_state_after_payment(order->state, payment_state)) {
        if (auto moved = orders::move_order(c, order_id, order->state, *next); !moved) {
            return moved.error();
        }
    }

    Refund refund;
    c.query(
        "SELECT id, payment_id, order_id, amount, currency, reason, state, created_at "
        "FROM refunds WHERE id = ?",
        [&](const store::Row &row) {
            refund =
                Refund{row.integer(0), row.integer(1),
                       row.integer(2), {row.integer(3), *money::find_currency(row.text_view(4))},
                       row.text(5),    row.text(6),
                       row.text(7)};
        },
        refund_id);
    transaction.commit();
    return refund;
}

Result<std::vector<Payment>> order_payments(store::Database &db, int64_t order_id)
{
    auto lease = db.connection();
    if (auto order = orders::load_order(*lease, order_id); !order) {
        return order.error();
    }
    std::vector<Payment> payments;
    lease->query(
        std::string(k_payment_select) + "WHERE p.order_id = ? ORDER BY p.id",
        [&](const store::Row &row) { payments.push_back(read_payment(row)); }, order_id);
    return payments;
}

} // namespace rcommerce::payments
