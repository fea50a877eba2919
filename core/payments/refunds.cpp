#include "core/payments/refunds.hpp"

#include "core/orders/order_service.hpp"
#include "core/payments/manual_gateway.hpp"
#include "core/payments/payment_rows.hpp"
#include "core/payments/stripe_payment.hpp"
#include "core/store/database.hpp"
#include "core/util/time.hpp"

#include <vector>

namespace rcommerce::payments {
namespace {

// A refund row waiting for the gateway, with the payment as it was before
// the refund (what the gateway checks the refund against).
struct PendingRefund {
    int64_t id = 0;
    money::Money amount;
    GatewayPayment before;
};

Error nothing_to_refund(const orders::Order &order)
{
    if (order.state == orders::OrderState::refunded) {
        return make_error(ErrorKind::conflict, "nothing_to_refund",
                          "refunding order " + order.number,
                          "everything captured for it has already been refunded",
                          "GET /api/v1/orders/" + std::to_string(order.id) +
                              "/payments lists its payments and refunds");
    }
    return make_error(ErrorKind::conflict, "nothing_to_refund", "refunding order " + order.number,
                      "order is " + std::string(orders::to_string(order.state)) +
                          " and has no captured payment",
                      "an order can be refunded once it is paid");
}

OperationKey refund_key(int64_t order_id, int64_t refund_id)
{
    return {std::to_string(order_id), "refund", refund_id};
}

// Sends one pending refund to Stripe and settles its row with the answer: a
// refusal (4xx) fails it, no answer leaves it pending.
Result<Refund> send_refund(store::Database &db, const config::InventoryConfig &inventory,
                           Gateway &card, int64_t order_id, const PendingRefund &pending)
{
    auto sent = card.refund(pending.before, pending.amount, refund_key(order_id, pending.id));
    bool answered = sent || sent.error().kind != ErrorKind::unavailable;

    std::optional<Refund> refund;
    Status recorded = orders::in_order_transaction(
        db, order_id, [&](store::Connection &c, const orders::Order &) {
            Status settled = ok_status();
            if (sent) {
                settled = rows::settle_refund(c, inventory, pending.id, sent->id, sent->status,
                                              "stripe.refunded");
            } else if (answered) {
                settled = rows::settle_refund(c, inventory, pending.id, "", "failed",
                                              "stripe.refund_failed");
            } else {
                c.execute("UPDATE refunds SET unanswered = 1 WHERE id = ?", pending.id);
            }
            refund = rows::load_refund(c, pending.id);
            return settled;
        });
    if (!recorded) {
        return recorded.error();
    }
    if (!sent) {
        Error error = sent.error();
        if (!answered) {
            error.hint = "refund " + std::to_string(pending.id) +
                         " is held as pending; Stripe's webhook or the next refund call "
                         "settles it";
        }
        return error;
    }
    return *refund;
}

// A refund row `r` still pending without an answer that nobody waits for:
// marked unanswered, or recorded before the one parameter (RFC 3339, UTC).
constexpr const char *k_orphaned = "r.state = 'pending' AND r.provider_reference = '' AND "
                                   "(r.unanswered = 1 OR r.created_at < ?)";

// Stripe refunds of `order_id` that nobody is waiting for any more: their
// call got no answer (`unanswered`), or they were recorded before
// `stale_before` (RFC 3339, UTC; "" for none) by a process that died during
// the call. Not those whose call is still in flight in another request.
std::vector<PendingRefund> orphaned(store::Database &db, int64_t order_id,
                                    const std::string &stale_before)
{
    auto lease = db.connection();
    auto payment = rows::captured_payment(*lease, order_id);
    std::vector<PendingRefund> found;
    if (!payment || payment->gateway != "stripe") {
        return found;
    }
    lease->query(
        std::string("SELECT id, amount FROM refunds r WHERE r.payment_id = ? AND ") + k_orphaned +
            " ORDER BY r.id",
        [&](const store::Row &row) {
            PendingRefund pending{row.integer(0), {row.integer(1), payment->amount.currency}, {}};
            pending.before = as_gateway(*payment);
            pending.before.amounts.refunded -= pending.amount.amount;
            found.push_back(std::move(pending));
        },
        payment->id, stale_before);
    return found;
}

} // namespace

int64_t resend_orphaned_refunds(store::Database &db, const config::InventoryConfig &inventory,
                                Gateway &card, int64_t now)
{
    std::string stale_before = util::format_rfc3339(now - k_refund_call_deadline_seconds);
    std::vector<int64_t> order_ids;
    db.connection()->query(
        std::string("SELECT DISTINCT r.order_id FROM refunds r JOIN payments p ON "
                    "p.id = r.payment_id WHERE p.gateway = 'stripe' AND ") +
            k_orphaned + " ORDER BY r.order_id",
        [&](const store::Row &row) { order_ids.push_back(row.integer(0)); }, stale_before);
    int64_t settled = 0;
    for (int64_t order_id : order_ids) {
        for (const auto &pending : orphaned(db, order_id, stale_before)) {
            auto resent = send_refund(db, inventory, card, order_id, pending);
            if (!resent && resent.error().kind == ErrorKind::unavailable) {
                // Stripe is still out of reach: the next pass tries again.
                return settled;
            }
            ++settled;
        }
    }
    return settled;
}

Result<Refund> refund_order(store::Database &db, const config::InventoryConfig &inventory,
                            Gateway *card, int64_t order_id, const money::Money &amount,
                            std::string_view reason)
{
    if (card != nullptr) {
        for (const auto &pending : orphaned(db, order_id, "")) {
            if (auto resent = send_refund(db, inventory, *card, order_id, pending);
                !resent && resent.error().kind == ErrorKind::unavailable) {
                return resent.error();
            }
        }
    }

    std::optional<Refund> done;
    std::optional<PendingRefund> pending;
    Status decided = orders::in_order_transaction(
        db, order_id, [&](store::Connection &c, const orders::Order &order) -> Status {
            auto payment = rows::captured_payment(c, order_id);
            if (!payment) {
                return nothing_to_refund(order);
            }
            if (auto allowed = check_refund(refundable_amounts_of(*payment), amount); !allowed) {
                return allowed;
            }
            if (payment->gateway == "stripe") {
                if (card == nullptr) {
                    return make_error(ErrorKind::unavailable, "stripe_not_enabled",
                                      "refunding order " + order.number,
                                      "the payment was taken through Stripe and "
                                      "[payment.stripe] is not enabled");
                }
                int64_t id = rows::insert_refund(c, *payment, amount.amount, reason, "pending");
                pending = PendingRefund{id, amount, as_gateway(*payment)};
                return ok_status();
            }
            // The manual gateway moves no money: the refund is recorded as done.
            ManualGateway manual;
            GatewayPayment before = as_gateway(*payment);
            before.gateway = "manual";
            int64_t id = rows::insert_refund(c, *payment, amount.amount, reason, "succeeded");
            if (auto checked = manual.refund(before, amount, refund_key(order_id, id)); !checked) {
                return checked.error();
            }
            if (auto settled =
                    rows::settle(c, inventory, payment->id, "manual.refunded", payment->state);
                !settled) {
                return settled;
            }
            done = rows::load_refund(c, id);
            return ok_status();
        });
    if (!decided) {
        return decided.error();
    }
    if (done) {
        return *done;
    }
    return send_refund(db, inventory, *card, order_id, *pending);
}

} // namespace rcommerce::payments
