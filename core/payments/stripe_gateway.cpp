#include "core/payments/stripe_gateway.hpp"

#include "core/util/json_fields.hpp"

namespace rcommerce::payments::stripe {

namespace {

constexpr auto member = util::string_member;

Result<int64_t> amount_member(const nlohmann::json &object, const char *key,
                              const money::Currency &currency)
{
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return int64_t{0};
    }
    auto raw = money::parse_amount(*it, key);
    if (!raw) {
        return raw.error();
    }
    return from_stripe_amount(*raw, currency);
}

Error bad_intent(std::string why)
{
    return make_error(ErrorKind::unavailable, "stripe_bad_response",
                      "reading Stripe's PaymentIntent", std::move(why));
}

// Stripe ids are [A-Za-z0-9_]; anything else must not reach a URL path.
bool valid_id(std::string_view id)
{
    if (id.empty() || id.size() > 255) {
        return false;
    }
    for (char c : id) {
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

Status check_id(std::string_view id)
{
    if (valid_id(id)) {
        return ok_status();
    }
    return make_error(ErrorKind::validation, "invalid_payment_id", "calling Stripe",
                      "\"" + std::string(id) + "\" is not a Stripe PaymentIntent id");
}

} // namespace

Result<GatewayPayment> payment_from_intent(const nlohmann::json &intent,
                                           const GatewayPayment &previous)
{
    GatewayPayment payment = previous;
    payment.gateway = "stripe";
    payment.id = member(intent, "id");
    if (payment.id.empty()) {
        return bad_intent("no id");
    }

    const money::Currency *currency = money::find_currency_any_case(member(intent, "currency"));
    if (currency == nullptr) {
        return bad_intent("unknown currency \"" + member(intent, "currency") + "\"");
    }
    payment.amounts.currency = *currency;

    auto amount = amount_member(intent, "amount", *currency);
    auto received = amount_member(intent, "amount_received", *currency);
    auto capturable = amount_member(intent, "amount_capturable", *currency);
    for (const auto *part : {&amount, &received, &capturable}) {
        if (!*part) {
            return part->error();
        }
    }
    payment.amounts.amount = *amount;
    payment.amounts.captured = *received;
    payment.amounts.authorized = std::max(*capturable, *received);

    if (auto metadata = intent.find("metadata");
        metadata != intent.end() && metadata->is_object()) {
        std::string order_id = member(*metadata, "order_id");
        if (!order_id.empty()) {
            payment.order_id = order_id;
        }
    }
    payment.capture = member(intent, "capture_method") == "manual" ? CaptureMethod::manual
                                                                   : CaptureMethod::automatic;
    if (std::string secret = member(intent, "client_secret"); !secret.empty()) {
        payment.client_secret = secret;
    }

    payment.failure_code.clear();
    payment.failure_message.clear();
    if (auto error = intent.find("last_payment_error");
        error != intent.end() && error->is_object()) {
        payment.failure_code = member(*error, "decline_code");
        if (payment.failure_code.empty()) {
            payment.failure_code = member(*error, "code");
        }
        payment.failure_message = member(*error, "message");
    }

    std::string status = member(intent, "status");
    if (status == "succeeded") {
        payment.state = state_from_amounts(payment.amounts).value_or(PaymentState::captured);
    } else if (status == "requires_capture") {
        payment.state = PaymentState::authorized;
    } else if (status == "canceled") {
        payment.state = PaymentState::cancelled;
    } else if (status == "requires_payment_method" && !payment.failure_code.empty()) {
        payment.state = PaymentState::failed;
    } else if (status == "requires_payment_method" || status == "requires_confirmation" ||
               status == "requires_action" || status == "processing") {
        payment.state = PaymentState::pending;
    } else {
        return bad_intent("unknown status \"" + status + "\"");
    }
    if (auto consistent = check_amounts(payment.amounts); !consistent) {
        return consistent.error();
    }
    return payment;
}

Result<GatewayPayment> StripeGateway::create_payment(const PaymentRequest &request)
{
    auto form = create_payment_intent_form(request);
    if (!form) {
        return form.error();
    }
    OperationKey key{request.order_id, "create", request.attempt};
    auto intent = m_client.post("/v1/payment_intents", *form, idempotency_key(key));
    if (!intent) {
        return intent.error();
    }
    GatewayPayment previous;
    previous.order_id = request.order_id;
    previous.capture = request.capture;
    return payment_from_intent(*intent, previous);
}

Result<GatewayPayment> StripeGateway::intent_call(const GatewayPayment &payment,
                                                  std::string_view action, const FormFields &fields,
                                                  const OperationKey &key)
{
    if (auto status = check_id(payment.id); !status) {
        return status.error();
    }
    std::string path = "/v1/payment_intents/" + payment.id + "/" + std::string(action);
    ApiError api;
    auto intent = m_client.post(path, fields, idempotency_key(key), &api);
    if (!intent) {
        // A decline answers 402 card_error carrying the intent: report it as
        // a failed payment rather than an error, so the caller records it.
        auto error_body = api.body.value("error", nlohmann::json::object());
        if (api.type == "card_error" && error_body.contains("payment_intent") &&
            error_body["payment_intent"].is_object()) {
            return payment_from_intent(error_body["payment_intent"], payment);
        }
        return intent.error();
    }
    return payment_from_intent(*intent, payment);
}

Result<GatewayPayment> StripeGateway::confirm(const GatewayPayment &payment,
                                              const ConfirmOptions &options,
                                              const OperationKey &key)
{
    return intent_call(payment, "confirm", confirm_form(options), key);
}

Result<GatewayPayment> StripeGateway::capture(const GatewayPayment &payment,
                                              std::optional<int64_t> amount,
                                              const OperationKey &key)
{
    auto form = capture_form(payment.amounts.currency, amount);
    if (!form) {
        return form.error();
    }
    return intent_call(payment, "capture", *form, key);
}

Result<GatewayPayment> StripeGateway::cancel(const GatewayPayment &payment, const OperationKey &key)
{
    return intent_call(payment, "cancel", {}, key);
}

std::string_view refund_state(std::string_view stripe_status) noexcept
{
    if (stripe_status == "succeeded") {
        return "succeeded";
    }
    if (stripe_status == "failed" || stripe_status == "canceled") {
        return "failed";
    }
    return "pending";
}

Result<RefundResult> StripeGateway::refund(const GatewayPayment &payment,
                                           const money::Money &amount, const OperationKey &key)
{
    if (auto status = check_refund(payment.amounts, amount); !status) {
        return status.error();
    }
    auto form = refund_form(payment, amount, std::to_string(key.generation));
    if (!form) {
        return form.error();
    }
    auto refund = m_client.post("/v1/refunds", *form, idempotency_key(key));
    if (!refund) {
        return refund.error();
    }

    std::string id = member(*refund, "id");
    if (id.empty()) {
        return make_error(ErrorKind::unavailable, "stripe_bad_response", "reading Stripe's Refund",
                          "no id");
    }
    std::string status(refund_state(member(*refund, "status")));
    GatewayPayment next = payment;
    if (status != "failed") {
        // Pending refunds count as refunded: the money is committed and must
        // not be refunded twice. A later failure arrives as a webhook.
        next.amounts.refunded += amount.amount;
        next.state = state_from_amounts(next.amounts).value_or(payment.state);
    }
    return RefundResult{std::move(id), amount, std::move(status), std::move(next)};
}

Result<GatewayPayment> StripeGateway::retrieve(const GatewayPayment &payment)
{
    if (auto status = check_id(payment.id); !status) {
        return status.error();
    }
    auto intent = m_client.get("/v1/payment_intents/" + payment.id);
    if (!intent) {
        return intent.error();
    }
    return payment_from_intent(*intent, payment);
}

} // namespace rcommerce::payments::stripe
