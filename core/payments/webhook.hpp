// Stripe webhook signatures and events.
//
// Stripe signs each delivery with a `Stripe-Signature` header of the form
// `t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=<hex>]`. The v1 signature is
// HMAC-SHA256, keyed with the endpoint secret (`whsec_...`, used as-is, bytes
// of the string), over `<t>` + "." + the raw request body. During a secret
// rotation several v1 values arrive; one match is enough. v0 (and any other
// scheme) is ignored. A signature is only as good as its freshness, so a
// timestamp further than the tolerance from now (either way) is refused even
// when the signature matches — that stops replays of captured deliveries.
//
// The body must be verified exactly as received: re-serialising the JSON
// (whitespace, key order) changes the bytes and the signature with them.
#pragma once

#include "core/money/currency.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcommerce::payments {

// The header, taken apart. Only `t` and the v1 values matter.
struct SignatureHeader {
    int64_t timestamp = 0;
    std::vector<std::string> v1; // raw 32-byte signatures, decoded from hex
};

// Why a delivery was refused (each maps to 400; the distinction is for logs
// and tests).
enum class SignatureFailure {
    missing_header,    // absent or empty
    malformed,         // no/duplicate/non-numeric t, no v1, bad hex, too long
    timestamp_outside, // signature fine but |now - t| > tolerance
    no_match,          // no v1 equals the expected HMAC
};

[[nodiscard]] std::string_view to_string(SignatureFailure failure) noexcept;

// Parses a Stripe-Signature header. Never throws, whatever the input:
// returns nullopt with `failure` set for anything unusable. Headers over
// 8 KiB or with more than 16 v1 values are malformed (bounded work).
[[nodiscard]] std::optional<SignatureHeader> parse_signature_header(std::string_view header,
                                                                    SignatureFailure &failure);

struct VerifyOptions {
    int64_t tolerance_seconds = 300;
    // Current Unix time; tests inject a fixed clock.
    std::function<int64_t()> now;
};

// Verifies `header` for `raw_body` with `secret` (constant-time comparison
// against every v1). Success yields the signed timestamp. Failure is
// ErrorKind::validation with code "invalid_signature" and a why naming the
// SignatureFailure (the secret is never in it); `failure` is set too when
// non-null.
[[nodiscard]] Result<int64_t> verify_signature(std::string_view header, std::string_view raw_body,
                                               std::string_view secret,
                                               const VerifyOptions &options = {},
                                               SignatureFailure *failure = nullptr);

// "t=<timestamp>,v1=<hex>" for a body: what Stripe would send. For tests and
// the fake server's counterpart in C++.
[[nodiscard]] std::string sign_payload(std::string_view raw_body, std::string_view secret,
                                       int64_t timestamp);

// The event types we act on; everything else is `unhandled` (recorded and
// acknowledged with 200, as Stripe advises).
enum class EventKind {
    payment_intent_succeeded,
    payment_intent_payment_failed,
    payment_intent_canceled,
    charge_refunded,
    refund_updated, // refund.created, refund.updated and refund.failed alike
    unhandled,
};

[[nodiscard]] std::string_view to_string(EventKind kind) noexcept;

// A verified event, typed. Amount fields are minor units as Stripe sends them
// (see stripe_amounts.hpp to convert to ours); absent fields stay 0/empty.
struct WebhookEvent {
    std::string id;   // evt_...
    std::string type; // as sent, e.g. "payment_intent.succeeded"
    EventKind kind = EventKind::unhandled;
    int64_t created = 0;
    bool livemode = false;

    std::string object_id;      // data.object.id: pi_... or ch_...
    std::string payment_intent; // pi_... (the object itself, or a charge's intent)
    std::string order_id;       // data.object.metadata.order_id, if any
    std::string refund_id;      // data.object.metadata.rcommerce_refund_id: our refund row
    std::string status;         // data.object.status
    std::optional<money::Currency> currency;
    int64_t amount = 0;
    int64_t amount_received = 0;   // payment_intent
    int64_t amount_capturable = 0; // payment_intent
    int64_t amount_refunded = 0;   // charge
    std::string failure_code;      // last_payment_error.code / decline_code
    std::string failure_message;   // last_payment_error.message
};

// Parses a (verified) event body. Malformed JSON, a missing id/type/
// data.object, or amounts that are not non-negative integers give
// ErrorKind::validation, code "invalid_event", naming the field. Unknown
// types parse to EventKind::unhandled with id and type set.
[[nodiscard]] Result<WebhookEvent> parse_event(std::string_view raw_body);

} // namespace rcommerce::payments
