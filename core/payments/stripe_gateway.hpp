// The `stripe` gateway: PaymentIntents and Refunds through stripe::Client.
//
// Mapping of a PaymentIntent's status to our PaymentState:
//   requires_payment_method  -> failed when last_payment_error is set (a
//                               decline; the intent may be confirmed again),
//                               otherwise pending
//   requires_confirmation, requires_action, processing -> pending
//   requires_capture -> authorized (authorized = amount_capturable)
//   succeeded        -> captured   (captured = amount_received), or
//                       partially_refunded / refunded when the input payment
//                       already recorded refunds
//   canceled         -> canceled
// Amounts are converted from Stripe's units (stripe_form.hpp).
#pragma once

#include "core/payments/gateway.hpp"
#include "core/payments/stripe_client.hpp"

namespace rcommerce::payments::stripe {

// A PaymentIntent object -> GatewayPayment. `previous` supplies what the
// intent does not carry (our order id when metadata lacks it, refunds).
[[nodiscard]] Result<GatewayPayment> payment_from_intent(const nlohmann::json &intent,
                                                         const GatewayPayment &previous);

// A Refund object's status -> the refund row's state: "succeeded";
// "failed" for failed and canceled; "pending" for pending, requires_action
// and anything newer (money committed but not confirmed).
[[nodiscard]] std::string_view refund_state(std::string_view stripe_status) noexcept;

class StripeGateway final : public Gateway {
public:
    explicit StripeGateway(ClientOptions options) : m_client(std::move(options)) {}

    [[nodiscard]] std::string_view name() const noexcept override { return "stripe"; }

    [[nodiscard]] Result<GatewayPayment> create_payment(const PaymentRequest &request) override;
    [[nodiscard]] Result<GatewayPayment> confirm(const GatewayPayment &payment,
                                                 const ConfirmOptions &options,
                                                 const OperationKey &key) override;
    [[nodiscard]] Result<GatewayPayment> capture(const GatewayPayment &payment,
                                                 std::optional<int64_t> amount,
                                                 const OperationKey &key) override;
    [[nodiscard]] Result<GatewayPayment> cancel(const GatewayPayment &payment,
                                                const OperationKey &key) override;
    [[nodiscard]] Result<RefundResult> refund(const GatewayPayment &payment,
                                              const money::Money &amount,
                                              const OperationKey &key) override;
    [[nodiscard]] Result<GatewayPayment> retrieve(const GatewayPayment &payment) override;

private:
    [[nodiscard]] Result<GatewayPayment> intent_call(const GatewayPayment &payment,
                                                     std::string_view action,
                                                     const FormFields &fields,
                                                     const OperationKey &key);

    Client m_client;
};

} // namespace rcommerce::payments::stripe
