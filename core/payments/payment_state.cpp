#include "core/payments/payment_state.hpp"

#include <array>
#include <string>
#include <vector>

namespace rcommerce::payments {

namespace {

using P = PaymentState;

struct StateRow {
    PaymentState state;
    std::string_view name;
    std::vector<PaymentState> next;
};

// THE table. A state listed in its own `next` may repeat.
const std::array<StateRow, 7> &table()
{
    static const std::array<StateRow, 7> rows = {{
        {P::pending, "pending", {P::authorized, P::captured, P::failed, P::cancelled}},
        {P::authorized, "authorized", {P::captured, P::cancelled}},
        {P::captured, "captured", {P::partially_refunded, P::refunded}},
        {P::partially_refunded, "partially_refunded", {P::partially_refunded, P::refunded}},
        {P::refunded, "refunded", {}},
        {P::failed, "failed", {P::pending, P::authorized, P::captured, P::failed, P::cancelled}},
        {P::cancelled, "cancelled", {}},
    }};
    return rows;
}

const StateRow &row(PaymentState state)
{
    return table()[static_cast<size_t>(state)];
}

constexpr std::array k_states = {P::pending,  P::authorized, P::captured, P::partially_refunded,
                                 P::refunded, P::failed,     P::cancelled};

} // namespace

std::span<const PaymentState> all_payment_states() noexcept
{
    return k_states;
}

std::string_view to_string(PaymentState state) noexcept
{
    return row(state).name;
}

std::optional<PaymentState> payment_state_from_string(std::string_view text) noexcept
{
    for (const auto &r : table()) {
        if (r.name == text) {
            return r.state;
        }
    }
    return std::nullopt;
}

std::span<const PaymentState> next_states(PaymentState from) noexcept
{
    return row(from).next;
}

bool can_transition(PaymentState from, PaymentState to) noexcept
{
    for (PaymentState next : next_states(from)) {
        if (next == to) {
            return true;
        }
    }
    return false;
}

Status check_transition(PaymentState from, PaymentState to)
{
    if (can_transition(from, to)) {
        return ok_status();
    }
    return make_error(ErrorKind::conflict, "invalid_payment_transition",
                      "changing the payment's state",
                      "payment is " + std::string(to_string(from)) + "; it cannot become " +
                          std::string(to_string(to)));
}

Status check_amounts(const PaymentAmounts &a)
{
    bool consistent = a.amount > 0 && a.amount <= money::k_max_amount && a.refunded >= 0 &&
                      a.refunded <= a.captured && a.captured <= a.authorized &&
                      a.authorized <= a.amount;
    if (consistent) {
        return ok_status();
    }
    return make_error(ErrorKind::internal, "inconsistent_payment", "checking payment amounts",
                      "amount " + std::to_string(a.amount) + ", authorized " +
                          std::to_string(a.authorized) + ", captured " +
                          std::to_string(a.captured) + ", refunded " + std::to_string(a.refunded) +
                          " break 0 <= refunded <= captured <= authorized <= amount");
}

std::optional<PaymentState> state_from_amounts(const PaymentAmounts &a)
{
    if (a.captured > 0 && a.refunded >= a.captured) {
        return P::refunded;
    }
    if (a.refunded > 0) {
        return P::partially_refunded;
    }
    if (a.captured > 0) {
        return P::captured;
    }
    if (a.authorized > 0) {
        return P::authorized;
    }
    return std::nullopt;
}

void release_uncaptured(PaymentAmounts &a) noexcept
{
    if (a.captured > 0) {
        a.authorized = a.captured;
    }
}

void release_cancelled(PaymentAmounts &a) noexcept
{
    a.authorized = a.captured;
}

int64_t refundable(const PaymentAmounts &a) noexcept
{
    // Bounded amounts: the difference cannot overflow.
    return a.captured > a.refunded ? a.captured - a.refunded : 0;
}

Status check_refund(const PaymentAmounts &a, const money::Money &requested)
{
    auto refusal = [&](std::string code, std::string why) {
        Error error = make_error(ErrorKind::conflict, std::move(code), "refunding the payment",
                                 std::move(why));
        error.fields.push_back({"amount", error.why});
        return error;
    };

    if (!(requested.currency == a.currency)) {
        Error error = refusal("currency_mismatch",
                              "the payment is in " + std::string(a.currency.code()) +
                                  ", the refund in " + std::string(requested.currency.code()));
        error.kind = ErrorKind::validation;
        return error;
    }
    if (requested.amount <= 0) {
        Error error = refusal("invalid_amount", "a refund must be greater than zero");
        error.kind = ErrorKind::validation;
        return error;
    }

    int64_t remaining = refundable(a);
    if (requested.amount <= remaining) {
        return ok_status();
    }
    std::string code(a.currency.code());
    std::string why = "at most " + money::format_amount(remaining, a.currency) + " " + code +
                      " is still refundable (captured " +
                      money::format_amount(a.captured, a.currency) + ", already refunded " +
                      money::format_amount(a.refunded, a.currency) + "), asked for " +
                      money::format_amount(requested.amount, a.currency);
    return refusal("refund_exceeds_refundable", std::move(why));
}

Status check_capture(const PaymentAmounts &a, const std::optional<money::Money> &requested)
{
    if (!requested) {
        return ok_status();
    }
    std::string why;
    if (!(requested->currency == a.currency)) {
        why = "the payment is in " + std::string(a.currency.code()) + ", the capture in " +
              std::string(requested->currency.code());
    } else if (requested->amount <= 0 || requested->amount > a.authorized) {
        why = "at most " + money::format_amount(a.authorized, a.currency) + " " +
              std::string(a.currency.code()) + " is authorized, asked for " +
              money::format_amount(requested->amount, a.currency);
    } else {
        return ok_status();
    }
    Error error = make_error(ErrorKind::validation, "invalid_amount", "capturing the payment", why);
    error.fields.push_back({"amount", std::move(why)});
    return error;
}

std::optional<orders::OrderState> order_state_after_payment(orders::OrderState order,
                                                            PaymentState payment)
{
    using O = orders::OrderState;
    // Events may arrive out of order: a payment already (partly) refunded
    // was captured first, so the order is paid before anything else.
    bool money_taken =
        payment == P::captured || payment == P::partially_refunded || payment == P::refunded;
    if (order == O::awaiting_payment && money_taken) {
        return O::paid;
    }
    bool after_paid = order == O::paid || order == O::fulfilled || order == O::completed;
    if (after_paid && payment == P::refunded) {
        return O::refunded;
    }
    return std::nullopt;
}

} // namespace rcommerce::payments
