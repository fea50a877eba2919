#include "core/payments/webhook.hpp"

#include "core/crypto/crypto.hpp"
#include "core/money/money.hpp"
#include "core/util/json_fields.hpp"
#include "core/util/time.hpp"

#include <nlohmann/json.hpp>

namespace rcommerce::payments {

using util::string_member;

namespace {

constexpr size_t k_max_header_length = 8192;
constexpr size_t k_max_v1_values = 16;
constexpr size_t k_max_timestamp_digits = 12;

std::string_view trim_spaces(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

std::optional<int64_t> parse_timestamp(std::string_view text)
{
    if (text.empty() || text.size() > k_max_timestamp_digits) {
        return std::nullopt;
    }
    int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

Error signature_error(SignatureFailure failure, SignatureFailure *out, std::string detail)
{
    if (out != nullptr) {
        *out = failure;
    }
    return make_error(ErrorKind::validation, "invalid_signature",
                      "verifying the Stripe-Signature header",
                      std::string(to_string(failure)) + ": " + std::move(detail));
}

} // namespace

std::string_view to_string(SignatureFailure failure) noexcept
{
    switch (failure) {
    case SignatureFailure::missing_header:
        return "missing header";
    case SignatureFailure::malformed:
        return "malformed header";
    case SignatureFailure::timestamp_outside:
        return "timestamp outside the tolerance";
    case SignatureFailure::no_match:
        return "no matching signature";
    }
    return "unknown";
}

std::optional<SignatureHeader> parse_signature_header(std::string_view header,
                                                      SignatureFailure &failure)
{
    header = trim_spaces(header);
    if (header.empty()) {
        failure = SignatureFailure::missing_header;
        return std::nullopt;
    }
    failure = SignatureFailure::malformed;
    if (header.size() > k_max_header_length) {
        return std::nullopt;
    }

    SignatureHeader parsed;
    bool have_timestamp = false;
    while (!header.empty()) {
        size_t comma = header.find(',');
        std::string_view item = trim_spaces(header.substr(0, comma));
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);

        size_t equals = item.find('=');
        if (equals == std::string_view::npos) {
            continue; // Unknown shapes are skipped, as for unknown schemes.
        }
        std::string_view key = item.substr(0, equals);
        std::string_view value = item.substr(equals + 1);
        if (key == "t") {
            auto timestamp = parse_timestamp(value);
            if (have_timestamp || !timestamp) {
                return std::nullopt;
            }
            parsed.timestamp = *timestamp;
            have_timestamp = true;
        } else if (key == "v1") {
            auto bytes = crypto::from_hex(value);
            if (!bytes || bytes->empty() || parsed.v1.size() == k_max_v1_values) {
                return std::nullopt;
            }
            parsed.v1.push_back(std::move(*bytes));
        }
    }
    if (!have_timestamp || parsed.v1.empty()) {
        return std::nullopt;
    }
    return parsed;
}

std::string sign_payload(std::string_view raw_body, std::string_view secret, int64_t timestamp)
{
    std::string signed_text = std::to_string(timestamp) + "." + std::string(raw_body);
    return "t=" + std::to_string(timestamp) +
           ",v1=" + crypto::to_hex(crypto::hmac_sha256(secret, signed_text));
}

Result<int64_t> verify_signature(std::string_view header, std::string_view raw_body,
                                 std::string_view secret, const VerifyOptions &options,
                                 SignatureFailure *failure)
{
    SignatureFailure parse_failure = SignatureFailure::malformed;
    auto parsed = parse_signature_header(header, parse_failure);
    if (!parsed) {
        return signature_error(parse_failure, failure,
                               "expected t=<unix time>,v1=<hex HMAC-SHA256>");
    }

    // Compare against every v1 without stopping early, so timing says
    // nothing about which one (if any) matched.
    std::string signed_text = std::to_string(parsed->timestamp) + "." + std::string(raw_body);
    std::string expected = crypto::hmac_sha256(secret, signed_text);
    bool matched = false;
    for (const auto &candidate : parsed->v1) {
        matched = crypto::constant_time_equals(candidate, expected) || matched;
    }
    if (!matched) {
        return signature_error(SignatureFailure::no_match, failure,
                               "no v1 signature matches the body and the endpoint secret");
    }

    int64_t now = options.now ? options.now() : util::unix_now();
    int64_t age = now - parsed->timestamp;
    if (age > options.tolerance_seconds || -age > options.tolerance_seconds) {
        return signature_error(SignatureFailure::timestamp_outside, failure,
                               "signed at " + std::to_string(parsed->timestamp) + ", " +
                                   std::to_string(age) + " s from now, tolerance " +
                                   std::to_string(options.tolerance_seconds) + " s");
    }
    return parsed->timestamp;
}

std::string_view to_string(EventKind kind) noexcept
{
    switch (kind) {
    case EventKind::payment_intent_succeeded:
        return "payment_intent.succeeded";
    case EventKind::payment_intent_payment_failed:
        return "payment_intent.payment_failed";
    case EventKind::payment_intent_canceled:
        return "payment_intent.canceled";
    case EventKind::charge_refunded:
        return "charge.refunded";
    case EventKind::refund_updated:
        return "refund.updated";
    case EventKind::unhandled:
        return "unhandled";
    }
    return "unhandled";
}

namespace {

Error event_error(std::string field, std::string why)
{
    Error error = make_error(ErrorKind::validation, "invalid_event", "reading the Stripe event",
                             field + " " + why);
    error.fields.push_back({std::move(field), std::move(why)});
    return error;
}

Status read_amount(const nlohmann::json &object, const char *key, int64_t &out)
{
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return ok_status();
    }
    auto amount = money::parse_amount(*it, std::string("data.object.") + key);
    if (!amount) {
        return amount.error();
    }
    out = *amount;
    return ok_status();
}

EventKind kind_of(std::string_view type)
{
    // A refund's life (created, then updated or failed) is read from the
    // refund object itself, whichever of the three reports it.
    if (type == "refund.created" || type == "refund.failed") {
        return EventKind::refund_updated;
    }
    for (EventKind kind :
         {EventKind::payment_intent_succeeded, EventKind::payment_intent_payment_failed,
          EventKind::payment_intent_canceled, EventKind::charge_refunded,
          EventKind::refund_updated}) {
        if (to_string(kind) == type) {
            return kind;
        }
    }
    return EventKind::unhandled;
}

Status read_object(const nlohmann::json &object, WebhookEvent &event)
{
    event.object_id = string_member(object, "id");
    if (event.object_id.empty()) {
        return event_error("data.object.id", "is required");
    }
    event.status = string_member(object, "status");
    std::string object_type = string_member(object, "object");
    event.payment_intent =
        object_type == "payment_intent" ? event.object_id : string_member(object, "payment_intent");

    if (auto metadata = object.find("metadata");
        metadata != object.end() && metadata->is_object()) {
        event.order_id = string_member(*metadata, "order_id");
        event.refund_id = string_member(*metadata, "rcommerce_refund_id");
    }
    if (auto error = object.find("last_payment_error");
        error != object.end() && error->is_object()) {
        event.failure_code = string_member(*error, "decline_code");
        if (event.failure_code.empty()) {
            event.failure_code = string_member(*error, "code");
        }
        event.failure_message = string_member(*error, "message");
    }

    std::string currency = string_member(object, "currency");
    if (!currency.empty()) {
        const money::Currency *known = money::find_currency_any_case(currency);
        if (known == nullptr) {
            return event_error("data.object.currency", "is not an ISO 4217 currency");
        }
        event.currency = *known;
    }

    for (auto [key, out] :
         {std::pair{"amount", &event.amount}, std::pair{"amount_received", &event.amount_received},
          std::pair{"amount_capturable", &event.amount_capturable},
          std::pair{"amount_refunded", &event.amount_refunded}}) {
        if (auto status = read_amount(object, key, *out); !status) {
            return status.error();
        }
    }
    return ok_status();
}

} // namespace

Result<WebhookEvent> parse_event(std::string_view raw_body)
{
    auto root = nlohmann::json::parse(raw_body, nullptr, false);
    if (root.is_discarded() || !root.is_object()) {
        return event_error("body", "is not a JSON object");
    }

    WebhookEvent event;
    event.id = string_member(root, "id");
    event.type = string_member(root, "type");
    if (event.id.empty()) {
        return event_error("id", "is required");
    }
    if (event.type.empty()) {
        return event_error("type", "is required");
    }
    event.kind = kind_of(event.type);
    if (auto created = root.find("created");
        created != root.end() && created->is_number_integer()) {
        event.created = created->get<int64_t>();
    }
    if (auto live = root.find("livemode"); live != root.end() && live->is_boolean()) {
        event.livemode = live->get<bool>();
    }

    auto data = root.find("data");
    if (data == root.end() || !data->is_object() || !data->contains("object") ||
        !(*data)["object"].is_object()) {
        if (event.kind == EventKind::unhandled) {
            return event; // Recorded as is; we never look inside.
        }
        return event_error("data.object", "is required");
    }
    if (auto status = read_object((*data)["object"], event); !status) {
        if (event.kind == EventKind::unhandled) {
            return event;
        }
        return status.error();
    }
    return event;
}

} // namespace rcommerce::payments
