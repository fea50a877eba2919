// A small Stripe API client over HTTPS (cpp-httplib's client).
//
// Every POST carries an Idempotency-Key chosen by the caller (derived from our
// own operation, see gateway.hpp). Network errors, 429 and 5xx answers are
// retried with exponential backoff (base, 2x base, 4x base..., capped at 5 s)
// *under the same key*, so Stripe either performs the operation once or
// replays its first answer; `Stripe-Should-Retry: false` stops the retries,
// `true` allows one even on a 409 (a concurrent request holding the key).
// A 4xx is reported with Stripe's error type, code and message.
//
// The secret key travels only in the Authorization header. It is never put in
// an error, a log line or an exception text; anything Stripe sends back is
// scrubbed of it too before it reaches an Error.
#pragma once

#include "core/config/config.hpp"
#include "core/payments/stripe_form.hpp"
#include "core/util/result.hpp"

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace rcommerce::payments::stripe {

// The API version we speak; responses are parsed with its field names.
inline constexpr std::string_view k_api_version = "2024-06-20";

struct ClientOptions {
    std::string base_url = "https://api.stripe.com"; // scheme://host[:port][/prefix]
    std::string api_key;                             // sk_... secret
    std::string ca_file;                             // extra trust; empty: system store
    int64_t timeout_seconds = 30;
    int64_t max_retries = 3;
    std::chrono::milliseconds backoff_base{250};
    // Waits between retries; tests replace it to run instantly.
    std::function<void(std::chrono::milliseconds)> sleep;
};

// The options [payment.stripe] describes (base_url, api_key, ca_file,
// timeout_seconds, max_retries).
[[nodiscard]] ClientOptions client_options(const config::StripeConfig &config);

// A Stripe error answer, taken apart.
struct ApiError {
    int status = 0;
    std::string type;    // card_error, invalid_request_error, idempotency_error, ...
    std::string code;    // e.g. card_declined
    std::string decline; // decline_code
    std::string message; // Stripe's human text (scrubbed)
    nlohmann::json body; // the whole answer
};

class Client {
public:
    // Throws ErrorException ("invalid_base_url") when options.base_url is not
    // http(s)://host[:port][/prefix]: config validation should have caught it.
    explicit Client(ClientOptions options);

    // POST <prefix><path> with a form body. Success is Stripe's JSON object.
    // Errors: ErrorKind::unavailable "stripe_unavailable" after the retries;
    // a 4xx per error_from_api (and, when `api_error` is given, Stripe's
    // answer taken apart into it); "stripe_bad_response" for non-JSON answers.
    // Safe to call from several threads at once (no shared mutable state).
    [[nodiscard]] Result<nlohmann::json> post(std::string_view path, const FormFields &fields,
                                              std::string_view idempotency_key,
                                              ApiError *api_error = nullptr) const;

    // GET <prefix><path>; retried like a POST (a read is naturally idempotent).
    [[nodiscard]] Result<nlohmann::json> get(std::string_view path,
                                             ApiError *api_error = nullptr) const;

    // Removes every occurrence of the secret key from `text`.
    [[nodiscard]] std::string scrub(std::string text) const;

private:
    [[nodiscard]] Result<nlohmann::json> send(std::string_view method, std::string_view path,
                                              const std::string &body,
                                              std::string_view idempotency_key,
                                              ApiError *api_error) const;

    ClientOptions m_options;
    std::string m_scheme_host_port;
    std::string m_prefix;
};

// Maps a Stripe error answer to our Error: card_error -> conflict
// "payment_declined"; idempotency_error -> conflict "stripe_idempotency_error";
// authentication_error -> unavailable "stripe_authentication_failed" (our
// configuration is wrong); invalid_request_error and anything else 4xx ->
// validation "stripe_invalid_request". The why holds type, code and message.
[[nodiscard]] Error error_from_api(const ApiError &api_error);

// Splits "https://host:port/prefix" into "https://host:port" and "/prefix".
// Only http and https; anything else is a validation error.
[[nodiscard]] Result<std::pair<std::string, std::string>> split_base_url(std::string_view url);

} // namespace rcommerce::payments::stripe
