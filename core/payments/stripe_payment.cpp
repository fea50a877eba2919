#include "core/payments/stripe_payment.hpp"

#include "core/inventory/stock.hpp"
#include "core/log/log.hpp"
#include "core/orders/order_service.hpp"
#include "core/payments/event_merge.hpp"
#include "core/payments/payment_rows.hpp"
#include "core/payments/webhook.hpp"
#include "core/store/database.hpp"

#include <algorithm>
#include <ctime>

namespace rcommerce::payments {
namespace {

bool is_captured(PaymentState state)
{
    return state == PaymentState::captured || state == PaymentState::partially_refunded ||
           state == PaymentState::refunded;
}

// A stored row as the gateway interface sees it. We record captures of the
// whole amount only (automatic capture, or a full manual capture).
GatewayPayment as_gateway(const Payment &row, const std::string &intent)
{
    GatewayPayment payment;
    payment.gateway = "stripe";
    payment.id = intent;
    payment.order_id = std::to_string(row.order_id);
    payment.state = row.state;
    payment.amounts.currency = row.amount.currency;
    payment.amounts.amount = row.amount.amount;
    bool captured = is_captured(row.state);
    payment.amounts.captured = captured ? row.amount.amount : 0;
    payment.amounts.authorized =
        captured || row.state == PaymentState::authorized ? row.amount.amount : 0;
    payment.amounts.refunded = row.refunded;
    return payment;
}

// Folds the gateway's answer into what we recorded, with event_merge's
// rules: amounts only grow, and a failure or cancellation counts only while
// no money moved.
GatewayPayment fold_reported(const GatewayPayment &recorded, const GatewayPayment &reported)
{
    GatewayPayment next = recorded;
    next.amounts.captured = std::max(recorded.amounts.captured, reported.amounts.captured);
    next.amounts.authorized =
        std::max({recorded.amounts.authorized, reported.amounts.authorized, next.amounts.captured});
    if (auto from_amounts = state_from_amounts(next.amounts)) {
        next.state = *from_amounts;
    } else if (reported.state == PaymentState::cancelled) {
        next.state = PaymentState::cancelled;
    } else if (reported.state == PaymentState::failed &&
               recorded.state != PaymentState::cancelled) {
        next.state = PaymentState::failed;
    }
    next.failure_code = reported.failure_code;
    next.failure_message = reported.failure_message;
    return next;
}

std::string intent_of(store::Connection &c, int64_t payment_id)
{
    std::string intent;
    c.query(
        "SELECT provider_reference FROM payments WHERE id = ?",
        [&](const store::Row &row) { intent = row.text(0); }, payment_id);
    return intent;
}

// Writes `next` over the stored row (inside the caller's transaction): the
// state, any refund Stripe reports beyond those we recorded, and the order's
// moves (awaiting_payment -> paid converts the reservations into a sale).
Status persist(store::Connection &c, const config::InventoryConfig &inventory, const Payment &row,
               const GatewayPayment &next, std::string_view event_type)
{
    if (next.amounts.refunded > row.refunded) {
        int64_t delta = next.amounts.refunded - row.refunded;
        c.execute("INSERT INTO refunds (payment_id, order_id, amount, currency, reason, state) "
                  "VALUES (?, ?, ?, ?, 'refunded at Stripe', 'succeeded')",
                  row.id, row.order_id, delta, row.amount.currency.code());
        c.execute("UPDATE orders SET refunded_amount = refunded_amount + ? WHERE id = ?", delta,
                  row.order_id);
    }
    if (next.state != row.state) {
        c.execute("UPDATE payments SET state = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', "
                  "'now') WHERE id = ?",
                  to_string(next.state), row.id);
        rows::record_event(c, row.id, event_type, to_string(row.state), to_string(next.state));
    }
    auto order = orders::load_order(c, row.order_id);
    if (!order) {
        return order.error();
    }
    orders::OrderState state = order->state;
    while (auto target = order_state_after_payment(state, next.state)) {
        if (*target == orders::OrderState::paid &&
            inventory::convert_order_reservations(c, inventory, row.order_id,
                                                  "order " + order->number) == 0) {
            // The money is taken either way; the missing stock needs a human.
            log::warn("paid order held no reservations", {{"order", order->number}});
        }
        if (auto moved = orders::move_order(c, row.order_id, state, *target); !moved) {
            return moved.error();
        }
        state = *target;
    }
    return ok_status();
}

} // namespace

Result<StripePayment> pay_with_stripe(store::Database &db, const config::Config &config,
                                      Gateway &gateway, int64_t order_id,
                                      std::string_view payment_method)
{
    int64_t payment_id = 0;
    money::Money total;
    std::string intent;
    {
        auto lease = db.connection();
        auto &c = *lease;
        store::Transaction transaction(c);
        auto order = orders::load_order(c, order_id);
        if (!order) {
            return order.error();
        }
        if (auto allowed = orders::check_transition(order->state, orders::OrderState::paid);
            !allowed) {
            return allowed.error();
        }
        total = {order->total, order->currency};
        c.query(
            "SELECT id, provider_reference FROM payments WHERE order_id = ? AND "
            "gateway = 'stripe' AND state NOT IN ('failed', 'cancelled') ORDER BY id DESC "
            "LIMIT 1",
            [&](const store::Row &row) {
                payment_id = row.integer(0);
                intent = row.text(1);
            },
            order_id);
        if (payment_id == 0) {
            c.execute("INSERT INTO payments (order_id, gateway, state, amount, currency) "
                      "VALUES (?, 'stripe', 'pending', ?, ?)",
                      order_id, total.amount, total.currency.code());
            payment_id = c.last_insert_id();
            rows::record_event(c, payment_id, "stripe.created", std::nullopt, "pending");
        }
        transaction.commit();
    }

    std::string order_key = std::to_string(order_id);
    GatewayPayment current;
    if (intent.empty()) {
        PaymentRequest request{order_key, total, CaptureMethod::automatic, payment_id};
        if (auto method = capture_method_from_string(config.payment.stripe.capture_method)) {
            request.capture = *method;
        }
        auto created = gateway.create_payment(request);
        if (!created) {
            return created.error();
        }
        current = *created;
        db.write([&](store::Connection &c) {
            c.execute("UPDATE payments SET provider_reference = ? WHERE id = ? AND "
                      "provider_reference = ''",
                      current.id, payment_id);
        });
        intent = intent_of(*db.connection(), payment_id);
    } else {
        auto lease = db.connection();
        current = as_gateway(*rows::load_payment(*lease, payment_id), intent);
    }
    current.id = intent;

    ConfirmOptions options{std::string(payment_method), ""};
    auto confirmed = gateway.confirm(current, options, {order_key, "confirm", payment_id});
    if (!confirmed) {
        return confirmed.error();
    }

    auto lease = db.connection();
    auto &c = *lease;
    store::Transaction transaction(c);
    auto row = rows::load_payment(c, payment_id);
    GatewayPayment next = fold_reported(as_gateway(*row, intent), *confirmed);
    if (auto written = persist(c, config.inventory, *row, next, "stripe.confirmed"); !written) {
        return written.error();
    }
    StripePayment result{*rows::load_payment(c, payment_id), intent, confirmed->client_secret,
                         next.failure_code, next.failure_message};
    transaction.commit();
    return result;
}

Result<WebhookOutcome> apply_stripe_webhook(store::Database &db, const config::Config &config,
                                            std::string_view signature_header,
                                            std::string_view raw_body)
{
    const auto &stripe = config.payment.stripe;
    VerifyOptions verify{stripe.webhook_tolerance_seconds,
                         [] { return static_cast<int64_t>(std::time(nullptr)); }};
    if (auto verified = verify_signature(signature_header, raw_body, stripe.webhook_secret, verify);
        !verified) {
        return verified.error();
    }
    auto event = parse_event(raw_body);
    if (!event) {
        return event.error();
    }
    WebhookOutcome outcome{event->id, event->type, false, false};

    auto lease = db.connection();
    auto &c = *lease;
    store::Transaction transaction(c);
    if (c.execute("INSERT OR IGNORE INTO processed_webhook_events (provider, event_id, "
                  "event_type) VALUES ('stripe', ?, ?)",
                  event->id, event->type) == 0) {
        outcome.duplicate = true;
        return outcome; // rolled back: nothing to do
    }
    if (event->kind != EventKind::unhandled) {
        std::optional<Payment> row;
        c.query(
            std::string(rows::k_payment_select) +
                "WHERE p.gateway = 'stripe' AND p.provider_reference = ?",
            [&](const store::Row &r) { row = rows::read_payment(r); }, event->payment_intent);
        if (!row) {
            return make_error(ErrorKind::not_found, "unknown_payment_intent",
                              "applying Stripe event " + event->id,
                              "no payment is recorded for " + event->payment_intent,
                              "Stripe retries the delivery; it applies once the pay call has "
                              "stored the PaymentIntent");
        }
        auto merged = merge_event(as_gateway(*row, event->payment_intent), *event);
        if (!merged) {
            return merged.error();
        }
        if (auto written = persist(c, config.inventory, *row, *merged, "stripe." + event->type);
            !written) {
            return written.error();
        }
        outcome.applied = true;
    }
    transaction.commit();
    return outcome;
}

} // namespace rcommerce::payments
