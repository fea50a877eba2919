#include "core/payments/stripe_payment.hpp"

#include "core/log/log.hpp"
#include "core/orders/order_service.hpp"
#include "core/payments/event_merge.hpp"
#include "core/payments/payment_rows.hpp"
#include "core/payments/stripe_gateway.hpp"
#include "core/payments/webhook.hpp"
#include "core/store/database.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

namespace rcommerce::payments {
namespace {

// Folds the gateway's answer into what we recorded, with event_merge's
// rules: amounts only grow, a capture releases the rest of the
// authorization, and a failure or cancellation counts only while no money
// moved.
GatewayPayment fold_reported(const GatewayPayment &recorded, const GatewayPayment &reported)
{
    GatewayPayment next = recorded;
    next.amounts.captured = std::max(recorded.amounts.captured, reported.amounts.captured);
    next.amounts.authorized =
        std::max({recorded.amounts.authorized, reported.amounts.authorized, next.amounts.captured});
    release_uncaptured(next.amounts);
    if (recorded.state == PaymentState::cancelled || reported.state == PaymentState::cancelled) {
        release_cancelled(next.amounts);
    }
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

// Writes `next` over the stored row (inside the caller's transaction): the
// amounts, any refund Stripe reports beyond every refund we know of (made in
// Stripe's Dashboard), then the state and the order's moves (settle).
Status record_reported(store::Connection &c, const config::InventoryConfig &inventory,
                       const Payment &row, const GatewayPayment &next, std::string_view event_type)
{
    int64_t known = row.refunded + row.refund_pending;
    if (next.amounts.refunded > known) {
        (void)rows::insert_refund(c, row, next.amounts.refunded - known, "refunded at Stripe",
                                  "succeeded");
    }
    c.execute("UPDATE payments SET authorized = ?, captured = ? WHERE id = ?",
              next.amounts.authorized, next.amounts.captured, row.id);
    int64_t converted = -1;
    if (auto settled = rows::settle(c, inventory, row.id, event_type, next.state, &converted);
        !settled) {
        return settled;
    }
    if (converted == 0) {
        // The money is taken either way; the missing stock needs a person.
        log::warn("paid order held no reservations", {{"order", row.order_id}});
    }
    return ok_status();
}

// Folds a gateway answer for payment `payment_id` of `order_id` into the
// store, in one transaction; the payment as recorded afterwards.
Result<Payment> record_answer(store::Database &db, const config::InventoryConfig &inventory,
                              int64_t order_id, int64_t payment_id, const GatewayPayment &answer,
                              std::string_view event_type)
{
    std::optional<Payment> recorded;
    Status done = orders::in_order_transaction(
        db, order_id, [&](store::Connection &c, const orders::Order &) {
            auto row = rows::load_payment(c, payment_id);
            GatewayPayment next = fold_reported(as_gateway(*row), answer);
            Status written = record_reported(c, inventory, *row, next, event_type);
            recorded = rows::load_payment(c, payment_id);
            return written;
        });
    if (!done) {
        return done.error();
    }
    return *recorded;
}

// refund.created / refund.updated / refund.failed: settles the refund row
// the event names. A refund we do not know was made outside rcommerce; its
// money arrives with charge.refunded, so it is not counted here too.
Result<bool> apply_refund_event(store::Connection &c, const config::InventoryConfig &inventory,
                                const Payment &payment, const WebhookEvent &event)
{
    int64_t refund_id = 0;
    c.query(
        "SELECT id FROM refunds WHERE payment_id = ? AND provider_reference = ?",
        [&](const store::Row &row) { refund_id = row.integer(0); }, payment.id, event.object_id);
    int64_t ours = 0;
    const std::string &text = event.refund_id;
    if (refund_id == 0 &&
        std::from_chars(text.data(), text.data() + text.size(), ours).ec == std::errc{}) {
        c.query(
            "SELECT id FROM refunds WHERE id = ? AND payment_id = ? AND provider_reference = ''",
            [&](const store::Row &row) { refund_id = row.integer(0); }, ours, payment.id);
    }
    if (refund_id == 0) {
        return false;
    }
    if (auto settled =
            rows::settle_refund(c, inventory, refund_id, event.object_id,
                                stripe::refund_state(event.status), "stripe." + event.type);
        !settled) {
        return settled.error();
    }
    return true;
}

} // namespace

GatewayPayment as_gateway(const Payment &row)
{
    GatewayPayment payment;
    payment.gateway = "stripe";
    payment.id = row.provider_reference;
    payment.order_id = std::to_string(row.order_id);
    payment.state = row.state;
    payment.amounts = refundable_amounts_of(row);
    return payment;
}

Result<StripePayment> pay_with_stripe(store::Database &db, const config::Config &config,
                                      Gateway &gateway, int64_t order_id,
                                      std::string_view payment_method,
                                      std::optional<CaptureMethod> capture)
{
    int64_t payment_id = 0;
    money::Money total;
    std::string intent;
    Status started = orders::in_order_transaction(
        db, order_id, [&](store::Connection &c, const orders::Order &order) -> Status {
            if (auto allowed = orders::check_transition(order.state, orders::OrderState::paid);
                !allowed) {
                return allowed;
            }
            total = {order.total, order.currency};
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
            return ok_status();
        });
    if (!started) {
        return started.error();
    }

    std::string order_key = std::to_string(order_id);
    if (intent.empty()) {
        PaymentRequest request{order_key, total, CaptureMethod::automatic, payment_id};
        if (capture) {
            request.capture = *capture;
        } else if (auto method = capture_method_from_string(config.payment.stripe.capture_method)) {
            request.capture = *method;
        }
        auto created = gateway.create_payment(request);
        if (!created) {
            return created.error();
        }
        // Two parallel calls create the same intent (same key): the first
        // to record it wins, the other reads it back.
        db.write([&](store::Connection &c) {
            c.execute("UPDATE payments SET provider_reference = ? WHERE id = ? AND "
                      "provider_reference = ''",
                      created->id, payment_id);
        });
    }
    GatewayPayment current = as_gateway(*rows::load_payment(*db.connection(), payment_id));

    ConfirmOptions options{std::string(payment_method), ""};
    auto confirmed = gateway.confirm(current, options, {order_key, "confirm", payment_id});
    if (!confirmed) {
        return confirmed.error();
    }
    auto recorded =
        record_answer(db, config.inventory, order_id, payment_id, *confirmed, "stripe.confirmed");
    if (!recorded) {
        return recorded.error();
    }
    GatewayPayment folded = fold_reported(current, *confirmed);
    return StripePayment{*recorded, current.id, confirmed->client_secret, folded.failure_code,
                         folded.failure_message};
}

Result<Payment> capture_stripe_payment(store::Database &db, const config::Config &config,
                                       Gateway &gateway, int64_t order_id,
                                       std::optional<money::Money> amount)
{
    std::optional<Payment> payment;
    Status checked = orders::in_order_transaction(
        db, order_id, [&](store::Connection &c, const orders::Order &order) -> Status {
            c.query(
                std::string(rows::k_payment_select) +
                    "WHERE p.order_id = ? AND p.gateway = 'stripe' AND p.state = 'authorized' "
                    "ORDER BY p.id DESC LIMIT 1",
                [&](const store::Row &row) { payment = rows::read_payment(row); }, order_id);
            if (!payment) {
                return make_error(ErrorKind::conflict, "nothing_to_capture",
                                  "capturing order " + order.number,
                                  "order is " + std::string(orders::to_string(order.state)) +
                                      " and has no authorized payment");
            }
            // An order whose reservations expired was cancelled without a
            // call to Stripe, so its authorization is still there; taking
            // the money would charge for an order that holds no stock.
            if (auto allowed = orders::check_transition(order.state, orders::OrderState::paid);
                !allowed) {
                Error error = allowed.error();
                error.what = "capturing order " + order.number;
                error.why += ", so its authorization is not captured";
                error.hint = "create the order again; cancel the order to release the "
                             "customer's hold at Stripe now (it lapses by itself after 7 days)";
                return error;
            }
            return check_capture(amounts_of(*payment), amount);
        });
    if (!checked) {
        return checked.error();
    }

    std::optional<int64_t> minor;
    if (amount) {
        minor = amount->amount;
    }
    auto captured = gateway.capture(as_gateway(*payment), minor,
                                    {std::to_string(order_id), "capture", payment->id});
    if (!captured) {
        return captured.error();
    }
    return record_answer(db, config.inventory, order_id, payment->id, *captured, "stripe.captured");
}

Result<bool> cancel_open_stripe_payment(store::Database &db, const config::Config &config,
                                        Gateway &gateway, int64_t order_id)
{
    std::optional<Payment> payment;
    {
        auto lease = db.connection();
        lease->query(
            std::string(rows::k_payment_select) +
                "WHERE p.order_id = ? AND p.gateway = 'stripe' AND p.state IN ('pending', "
                "'authorized') AND p.provider_reference <> '' ORDER BY p.id DESC LIMIT 1",
            [&](const store::Row &row) { payment = rows::read_payment(row); }, order_id);
    }
    if (!payment) {
        return false;
    }
    auto cancelled =
        gateway.cancel(as_gateway(*payment), {std::to_string(order_id), "cancel", payment->id});
    if (!cancelled) {
        Error error = std::move(cancelled).error();
        error.what = "cancelling the card payment of order " + std::to_string(order_id);
        if (error.hint.empty()) {
            error.hint = "if the payment was captured meanwhile, refund the order instead";
        }
        return error;
    }
    auto recorded =
        record_answer(db, config.inventory, order_id, payment->id, *cancelled, "stripe.cancelled");
    if (!recorded) {
        return recorded.error();
    }
    return true;
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
        if (event->kind == EventKind::refund_updated) {
            auto applied = apply_refund_event(c, config.inventory, *row, *event);
            if (!applied) {
                return applied.error();
            }
            outcome.applied = *applied;
        } else {
            auto merged = merge_event(as_gateway(*row), *event);
            if (!merged) {
                return merged.error();
            }
            if (auto written =
                    record_reported(c, config.inventory, *row, *merged, "stripe." + event->type);
                !written) {
                return written.error();
            }
            outcome.applied = true;
        }
    }
    transaction.commit();
    return outcome;
}

} // namespace rcommerce::payments
