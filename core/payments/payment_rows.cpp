#include "core/payments/payment_rows.hpp"

#include <string>

namespace rcommerce::payments::rows {

Payment read_payment(const store::Row &row)
{
    Payment payment;
    payment.id = row.integer(0);
    payment.order_id = row.integer(1);
    payment.gateway = row.text(2);
    payment.state = payment_state_from_string(row.text_view(3)).value_or(PaymentState::pending);
    payment.amount = {row.integer(4), *money::find_currency(row.text_view(5))};
    payment.refunded = row.integer(6);
    payment.created_at = row.text(7);
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

} // namespace rcommerce::payments::rows
