// The `manual` gateway: bank transfer, cash on delivery, anything an admin
// records by hand. No money moves through us, so every operation is a pure
// function of the recorded payment: creating with automatic capture records
// the whole amount as received; with manual capture the payment waits,
// `pending`, until an admin captures (all or part of) it. Refunds are
// recorded after check_refund. Nothing here can fail for network reasons.
#pragma once

#include "core/payments/gateway.hpp"

namespace rcommerce::payments {

class ManualGateway final : public Gateway {
public:
    [[nodiscard]] std::string_view name() const noexcept override { return "manual"; }

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
};

} // namespace rcommerce::payments
