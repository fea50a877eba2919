#include "core/payments/payment_rows.hpp"

#include "core/inventory/stock.hpp"
#include "core/log/log.hpp"
#include "core/orders/order_service.hpp"

#include <string>

namespace rcommerce::payments::rows {

Payment read_payment(const store::Row &row)
{
    Payment payment;
    payment.id = row.integer(0);
    payment.order_id = row.integer(1);
    payment.gateway = row.text(2);
    payment.provider_reference = row.text(3);
    payment.state = payment_state_from_string(row.text_view(4)).value_or(PaymentState::pending);
    payment.amount = {row.integer(5), *money::find_currency(row.text_view(6))};
    payment.authorized = row.integer(7);
    payment.captured = row.integer(8);
    payment.refunded = row.integer(9);
    payment.refund_pending = row.integer(10);
    payment.created_at = row.text(11);
    return payment;
}

std::optional<Payment> load_payment(store::Connection &c, int64_t payment_id)
{
    std::optional<Payment> payment;
    c.query(
        std::string(k_payment_select) + "WHERE p.id = ?",
        [&](const store::Row &row) { payment = read_payment(row); }, payment_id);
    return payment;
}

std::optional<Payment> captured_payment(store::Connection &c, int64_t order_id)
{
    std::optional<Payment> payment;
    c.query(
        std::string(k_payment_select) +
            "WHERE p.order_id = ? AND p.state IN ('captured', 'partially_refunded') "
            "ORDER BY p.id LIMIT 1",
        [&](const store::Row &row) { payment = read_payment(row); }, order_id);
    return payment;
}

std::optional<Refund> load_refund(store::Connection &c, int64_t refund_id)
{
    std::optional<Refund> refund;
    c.query(
        "SELECT id, payment_id, order_id, amount, currency, reason, state, provider_reference, "
        "created_at FROM refunds WHERE id = ?",
        [&](const store::Row &row) {
            refund =
                Refund{row.integer(0), row.integer(1),
                       row.integer(2), {row.integer(3), *money::find_currency(row.text_view(4))},
                       row.text(5),    row.text(6),
                       row.text(7),    row.text(8)};
        },
        refund_id);
    return refund;
}

void record_event(store::Connection &c, int64_t payment_id, std::string_view type,
                  std::optional<std::string_view> from, std::string_view to)
{
    std::optional<std::string> from_text;
    if (from) {
        from_text = std::string(*from);
    }
    c.execute("INSERT INTO payment_events (payment_id, type, from_state, to_state) "
              "VALUES (?, ?, ?, ?)",
              payment_id, type, from_text, to);
}

namespace {

// Moves the order along after its payment reached `state`, one legal step at
// a time (awaiting_payment + refunded is paid, then refunded).
Status follow_payment(store::Connection &c, const config::InventoryConfig &inventory,
                      int64_t order_id, PaymentState state, int64_t *converted)
{
    auto order = orders::load_order(c, order_id);
    if (!order) {
        return order.error();
    }
    orders::OrderState current = order->state;
    while (auto target = order_state_after_payment(current, state)) {
        if (*target == orders::OrderState::paid) {
            int64_t count = inventory::convert_order_reservations(c, inventory, order_id,
                                                                  "order " + order->number);
            if (converted != nullptr) {
                *converted = count;
            }
        }
        if (auto moved = orders::move_order(c, order_id, current, *target); !moved) {
            return moved;
        }
        // Everything paid went back: units still backordered for the order
        // are no longer owed to anyone.
        if (*target == orders::OrderState::refunded) {
            inventory::release_order_reservations(c, inventory, order_id);
        }
        current = *target;
    }
    return ok_status();
}

// Money can arrive for an order that was cancelled meanwhile: a capture at
// Stripe (Dashboard, or a confirm that outlived the reservations) reported
// after the expiry job freed the order's stock. The order stays cancelled,
// since its stock may be sold again, so a person must refund or ship.
void warn_if_order_cancelled(store::Connection &c, const Payment &payment, int64_t captured)
{
    auto order = orders::load_order(c, payment.order_id);
    if (order && order->state == orders::OrderState::cancelled) {
        log::error("money was captured for a cancelled order; refund it (POST "
                   "/api/v1/orders/{id}/refunds) or reopen the sale by hand",
                   {{"order", order->number},
                    {"order_id", payment.order_id},
                    {"payment", payment.id},
                    {"captured_minor_units", captured}});
    }
}

} // namespace

Status settle(store::Connection &c, const config::InventoryConfig &inventory, int64_t payment_id,
              std::string_view event_type, PaymentState otherwise, int64_t *converted)
{
    auto payment = load_payment(c, payment_id);
    if (!payment) {
        return make_error(ErrorKind::internal, "payment_not_found", "settling a payment",
                          "no payment has id " + std::to_string(payment_id));
    }
    PaymentAmounts amounts = amounts_of(*payment);
    if (auto consistent = check_amounts(amounts); !consistent) {
        return consistent;
    }
    PaymentState next = state_from_amounts(amounts).value_or(otherwise);
    if (next != payment->state) {
        if (auto allowed = check_transition(payment->state, next); !allowed) {
            return allowed;
        }
        c.execute("UPDATE payments SET state = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', "
                  "'now') WHERE id = ?",
                  to_string(next), payment_id);
        record_event(c, payment_id, event_type, to_string(payment->state), to_string(next));
        if (next == PaymentState::captured) {
            warn_if_order_cancelled(c, *payment, amounts.captured);
        }
    }
    c.execute("UPDATE orders SET refunded_amount = (SELECT COALESCE(SUM(amount), 0) FROM refunds "
              "WHERE order_id = ? AND state = 'succeeded') WHERE id = ?",
              payment->order_id, payment->order_id);
    return follow_payment(c, inventory, payment->order_id, next, converted);
}

Status settle_refund(store::Connection &c, const config::InventoryConfig &inventory,
                     int64_t refund_id, std::string_view provider_reference, std::string_view state,
                     std::string_view event_type)
{
    auto refund = load_refund(c, refund_id);
    if (!refund) {
        return make_error(ErrorKind::internal, "refund_not_found", "settling a refund",
                          "no refund has id " + std::to_string(refund_id));
    }
    if (refund->state != "pending") {
        if (refund->state == "succeeded" && state == "failed") {
            log::warn("a refund failed after it succeeded; the order needs a person",
                      {{"refund", refund_id}, {"order", refund->order_id}});
        }
        return ok_status();
    }
    c.execute("UPDATE refunds SET state = ?, provider_reference = CASE WHEN provider_reference = "
              "'' THEN ? ELSE provider_reference END, updated_at = "
              "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
              state, provider_reference, refund_id);
    auto payment = load_payment(c, refund->payment_id);
    return settle(c, inventory, refund->payment_id, event_type, payment->state);
}

int64_t insert_refund(store::Connection &c, const Payment &payment, int64_t amount,
                      std::string_view reason, std::string_view state)
{
    c.execute("INSERT INTO refunds (payment_id, order_id, amount, currency, reason, state) "
              "VALUES (?, ?, ?, ?, ?, ?)",
              payment.id, payment.order_id, amount, payment.amount.currency.code(), reason, state);
    return c.last_insert_id();
}

} // namespace rcommerce::payments::rows
