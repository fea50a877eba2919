// The payment gateway interface, and the idempotency keys of our operations.
//
// A gateway moves money for an order: create a payment, confirm it, capture
// (all or part of an authorization), cancel it, refund it, read it back. The
// store is not the gateway's business: every call takes the payment as the
// caller last recorded it (GatewayPayment) and returns what it is now, and
// the caller records that, checking payment_state's table on the way. So the
// `manual` gateway is a pure function of its inputs and `stripe` a pure
// function of its inputs and Stripe's answers.
//
// Retried calls must never move money twice. Each call carries an
// OperationKey naming *our* operation (order, what, which attempt); the
// gateway derives the Idempotency-Key from it, so a retry after a timeout,
// a crash or a 500 sends the very same key and Stripe answers with the first
// result. A new attempt on purpose (another card after a decline, a second
// partial refund) bumps `generation`.
#pragma once

#include "core/money/money.hpp"
#include "core/payments/payment_state.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rcommerce::payments {

enum class CaptureMethod {
    automatic, // capture on confirmation
    manual,    // authorize now, capture later (possibly less)
};

[[nodiscard]] std::string_view to_string(CaptureMethod method) noexcept;
[[nodiscard]] std::optional<CaptureMethod> capture_method_from_string(std::string_view text);

struct OperationKey {
    std::string order_id;
    std::string operation;  // "create", "confirm", "capture", "cancel", "refund"
    int64_t generation = 0; // attempt or refund sequence number
};

// "rcommerce-<order_id>-<operation>-<generation>" when the order id is a
// short token of [A-Za-z0-9_-]; otherwise "rcommerce-" + hex SHA-256 of the
// three parts. Deterministic: the same operation always gets the same key.
[[nodiscard]] std::string idempotency_key(const OperationKey &key);

struct PaymentRequest {
    std::string order_id;
    money::Money amount; // the order total
    CaptureMethod capture = CaptureMethod::automatic;
    int64_t attempt = 0; // bumped for a fresh payment after a failed one
};

// A payment as a gateway reports it.
struct GatewayPayment {
    std::string gateway;  // "manual" or "stripe"
    std::string id;       // the gateway's id: "manual_<order>_<attempt>", "pi_..."
    std::string order_id; // ours
    PaymentState state = PaymentState::pending;
    PaymentAmounts amounts;
    CaptureMethod capture = CaptureMethod::automatic;
    std::string client_secret;   // Stripe's, for the customer's browser; never logged
    std::string failure_code;    // last decline, if any
    std::string failure_message; // human text from the gateway
};

struct ConfirmOptions {
    std::string payment_method; // e.g. "pm_card_visa"; empty: already attached
    std::string return_url;     // for payment methods that redirect
};

struct RefundResult {
    std::string id;         // the gateway's refund id
    money::Money amount;    // refunded by this call
    std::string status;     // "succeeded", "pending", "failed"
    GatewayPayment payment; // the payment after the refund
};

class Gateway {
public:
    virtual ~Gateway() = default;

    [[nodiscard]] virtual std::string_view name() const noexcept = 0;

    // Creates a payment for the order total. Key: (order, "create", attempt).
    [[nodiscard]] virtual Result<GatewayPayment> create_payment(const PaymentRequest &request) = 0;

    // Confirms with a payment method. A decline is not an error: the payment
    // comes back `failed` with failure_code/message set.
    [[nodiscard]] virtual Result<GatewayPayment> confirm(const GatewayPayment &payment,
                                                         const ConfirmOptions &options,
                                                         const OperationKey &key) = 0;

    // Captures `amount` minor units of an authorization (all of it when
    // nullopt). Only from `authorized`.
    [[nodiscard]] virtual Result<GatewayPayment> capture(const GatewayPayment &payment,
                                                         std::optional<int64_t> amount,
                                                         const OperationKey &key) = 0;

    // Cancels a payment that has not been captured.
    [[nodiscard]] virtual Result<GatewayPayment> cancel(const GatewayPayment &payment,
                                                        const OperationKey &key) = 0;

    // Refunds part or all of what is refundable (check_refund first, in the
    // caller's transaction; the gateway checks again against its input).
    // Key: (order, "refund", our refund row's id), so a refund re-sent after
    // a lost answer is the same refund at the gateway.
    [[nodiscard]] virtual Result<RefundResult>
    refund(const GatewayPayment &payment, const money::Money &amount, const OperationKey &key) = 0;

    // The payment as the gateway sees it now (refunded amounts are kept
    // from the input: a PaymentIntent does not report them).
    [[nodiscard]] virtual Result<GatewayPayment> retrieve(const GatewayPayment &payment) = 0;
};

} // namespace rcommerce::payments
