#include "core/payments/manual_gateway.hpp"

namespace rcommerce::payments {

namespace {

Status move_to(GatewayPayment &payment, PaymentState next)
{
    if (auto status = check_transition(payment.state, next); !status) {
        return status;
    }
    payment.state = next;
    return ok_status();
}

} // namespace

Result<GatewayPayment> ManualGateway::create_payment(const PaymentRequest &request)
{
    if (request.amount.amount <= 0 || request.amount.amount > money::k_max_amount) {
        return make_error(ErrorKind::validation, "invalid_amount", "creating a manual payment",
                          "the amount must be positive, got " +
                              money::format_money(request.amount));
    }
    GatewayPayment payment;
    payment.gateway = "manual";
    payment.id = "manual_" + request.order_id + "_" + std::to_string(request.attempt);
    payment.order_id = request.order_id;
    payment.capture = request.capture;
    payment.amounts = PaymentAmounts{request.amount.currency, request.amount.amount, 0, 0, 0};
    if (request.capture == CaptureMethod::automatic) {
        payment.amounts.authorized = request.amount.amount;
        payment.amounts.captured = request.amount.amount;
        payment.state = PaymentState::captured;
    }
    return payment;
}

Result<GatewayPayment> ManualGateway::confirm(const GatewayPayment &payment, const ConfirmOptions &,
                                              const OperationKey &)
{
    // Nothing to confirm by hand: the admin's capture records the money.
    return payment;
}

Result<GatewayPayment> ManualGateway::capture(const GatewayPayment &payment,
                                              std::optional<int64_t> amount, const OperationKey &)
{
    GatewayPayment next = payment;
    int64_t captured = amount.value_or(payment.amounts.amount);
    if (captured <= 0 || captured > payment.amounts.amount) {
        return make_error(
            ErrorKind::validation, "invalid_amount", "capturing a manual payment",
            "the capture must be between 0.00 and the payment amount " +
                money::format_amount(payment.amounts.amount, payment.amounts.currency) + ", got " +
                money::format_amount(captured, payment.amounts.currency));
    }
    if (auto status = move_to(next, PaymentState::captured); !status) {
        return status.error();
    }
    next.amounts.captured = captured;
    release_uncaptured(next.amounts); // the rest of the authorization is let go
    return next;
}

Result<GatewayPayment> ManualGateway::cancel(const GatewayPayment &payment, const OperationKey &)
{
    GatewayPayment next = payment;
    if (auto status = move_to(next, PaymentState::cancelled); !status) {
        return status.error();
    }
    next.amounts.authorized = 0;
    return next;
}

Result<RefundResult> ManualGateway::refund(const GatewayPayment &payment,
                                           const money::Money &amount, const OperationKey &key)
{
    if (auto status = check_refund(payment.amounts, amount); !status) {
        return status.error();
    }
    GatewayPayment next = payment;
    next.amounts.refunded += amount.amount; // bounded by captured: no overflow
    PaymentState state = state_from_amounts(next.amounts).value_or(payment.state);
    if (auto status = move_to(next, state); !status) {
        return status.error();
    }
    std::string id = "manual_refund_" + key.order_id + "_" + std::to_string(key.generation);
    return RefundResult{std::move(id), amount, "succeeded", std::move(next)};
}

Result<GatewayPayment> ManualGateway::retrieve(const GatewayPayment &payment)
{
    return payment;
}

} // namespace rcommerce::payments
