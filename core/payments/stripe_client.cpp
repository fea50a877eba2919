#include "core/payments/stripe_client.hpp"

#include "core/http/client_error.hpp"

#include "core/util/json_fields.hpp"

#include <algorithm>
#include <httplib.h>
#include <thread>

namespace rcommerce::payments::stripe {

namespace {

constexpr std::chrono::milliseconds k_max_backoff{5000};

Error unavailable(std::string why)
{
    return make_error(ErrorKind::unavailable, "stripe_unavailable", "calling Stripe",
                      std::move(why), "check [payment.stripe] base_url and the network");
}

constexpr auto member = util::string_member;

bool retryable_status(int status)
{
    return status == 429 || status >= 500;
}

} // namespace

ClientOptions client_options(const config::StripeConfig &config)
{
    ClientOptions options;
    options.base_url = config.base_url;
    options.api_key = config.api_key;
    options.ca_file = config.ca_file;
    options.timeout_seconds = config.timeout_seconds;
    options.max_retries = config.max_retries;
    return options;
}

Result<std::pair<std::string, std::string>> split_base_url(std::string_view url)
{
    size_t scheme_end = url.find("://");
    std::string_view scheme = scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
    if (scheme != "https" && scheme != "http") {
        return make_error(ErrorKind::validation, "invalid_base_url", "reading the Stripe base URL",
                          "expected https://host[:port][/prefix], got \"" + std::string(url) +
                              "\"");
    }
    size_t path_start = url.find('/', scheme_end + 3);
    std::string origin(url.substr(0, path_start));
    std::string prefix =
        path_start == std::string_view::npos ? "" : std::string(url.substr(path_start));
    while (!prefix.empty() && prefix.back() == '/') {
        prefix.pop_back();
    }
    if (origin.size() <= scheme.size() + 3) {
        return make_error(ErrorKind::validation, "invalid_base_url", "reading the Stripe base URL",
                          "no host in \"" + std::string(url) + "\"");
    }
    return std::pair{origin, prefix};
}

Client::Client(ClientOptions options) : m_options(std::move(options))
{
    auto parts = split_base_url(m_options.base_url);
    if (!parts) {
        throw ErrorException(parts.error());
    }
    m_scheme_host_port = parts->first;
    m_prefix = parts->second;
    if (!m_options.sleep) {
        m_options.sleep = [](std::chrono::milliseconds delay) {
            std::this_thread::sleep_for(delay);
        };
    }
}

std::string Client::scrub(std::string text) const
{
    const std::string &secret = m_options.api_key;
    if (secret.empty()) {
        return text;
    }
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
        text.replace(at, secret.size(), "[redacted]");
    }
    return text;
}

Result<nlohmann::json> Client::post(std::string_view path, const FormFields &fields,
                                    std::string_view idempotency_key, ApiError *api_error) const
{
    return send("POST", path, form_encode(fields), idempotency_key, api_error);
}

Result<nlohmann::json> Client::get(std::string_view path, ApiError *api_error) const
{
    return send("GET", path, {}, {}, api_error);
}

Result<nlohmann::json> Client::send(std::string_view method, std::string_view path,
                                    const std::string &body, std::string_view idempotency_key,
                                    ApiError *api_error) const
{
    httplib::Client http(m_scheme_host_port);
    http.set_connection_timeout(static_cast<time_t>(m_options.timeout_seconds));
    http.set_read_timeout(static_cast<time_t>(m_options.timeout_seconds));
    http.set_write_timeout(static_cast<time_t>(m_options.timeout_seconds));
    http.enable_server_certificate_verification(true);
    if (!m_options.ca_file.empty()) {
        http.set_ca_cert_path(m_options.ca_file);
    }

    httplib::Headers headers = {
        {"Authorization", "Bearer " + m_options.api_key},
        {"Stripe-Version", std::string(k_api_version)},
        {"User-Agent", "rcommerce"},
    };
    if (!idempotency_key.empty()) {
        headers.emplace("Idempotency-Key", std::string(idempotency_key));
    }
    std::string target = m_prefix + std::string(path);

    std::string last_problem;
    std::chrono::milliseconds delay = m_options.backoff_base;
    for (int64_t attempt = 0; attempt <= m_options.max_retries; ++attempt) {
        if (attempt > 0) {
            m_options.sleep(delay);
            delay = std::min(delay * 2, k_max_backoff);
        }

        httplib::Result response =
            method == "POST" ? http.Post(target, headers, body, "application/x-www-form-urlencoded")
                             : http.Get(target, headers);
        if (!response) {
            last_problem = "network error: " + http::describe_client_error(response.error());
            continue;
        }

        std::string should_retry = response->get_header_value("Stripe-Should-Retry");
        bool retry = should_retry == "true" ||
                     (should_retry != "false" && retryable_status(response->status));
        if (retry && response->status >= 400) {
            last_problem = "HTTP " + std::to_string(response->status);
            continue;
        }

        auto json = nlohmann::json::parse(response->body, nullptr, false);
        if (json.is_discarded() || !json.is_object()) {
            return make_error(ErrorKind::unavailable, "stripe_bad_response", "calling Stripe",
                              "HTTP " + std::to_string(response->status) +
                                  " with a body that is not a JSON object");
        }
        if (response->status >= 200 && response->status < 300) {
            return json;
        }

        const nlohmann::json error = json.value("error", nlohmann::json::object());
        ApiError api{response->status,
                     member(error, "type"),
                     member(error, "code"),
                     member(error, "decline_code"),
                     scrub(member(error, "message")),
                     std::move(json)};
        Error reported = error_from_api(api);
        if (api_error != nullptr) {
            *api_error = std::move(api);
        }
        return reported;
    }
    return unavailable(scrub(last_problem) + " after " + std::to_string(m_options.max_retries + 1) +
                       " attempts");
}

Error error_from_api(const ApiError &api)
{
    std::string why = "Stripe answered " + std::to_string(api.status) + " " +
                      (api.type.empty() ? "error" : api.type);
    if (!api.code.empty()) {
        why += " (" + api.code + (api.decline.empty() ? "" : ", " + api.decline) + ")";
    }
    if (!api.message.empty()) {
        why += ": " + api.message;
    }

    if (api.type == "card_error") {
        return make_error(ErrorKind::conflict, "payment_declined", "charging the card", why,
                          "ask the customer for another payment method");
    }
    if (api.type == "idempotency_error") {
        return make_error(ErrorKind::conflict, "stripe_idempotency_error", "calling Stripe", why);
    }
    if (api.type == "authentication_error" || api.status == 401) {
        return make_error(ErrorKind::unavailable, "stripe_authentication_failed", "calling Stripe",
                          why, "check [payment.stripe] api_key (RCOMMERCE_PAYMENT_STRIPE_API_KEY)");
    }
    return make_error(ErrorKind::validation, "stripe_invalid_request", "calling Stripe", why);
}

} // namespace rcommerce::payments::stripe
