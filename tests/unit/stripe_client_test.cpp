// The Stripe client against a scripted in-process HTTP server on loopback.
#include "core/payments/stripe_gateway.hpp"

#include "tests/unit/loopback.hpp"
#include <atomic>
#include <doctest/doctest.h>

#include <httplib.h>
#include <mutex>
#include <thread>
#include <vector>

using namespace rcommerce;
using namespace rcommerce::payments;
using namespace rcommerce::payments::stripe;

namespace {

constexpr const char *k_secret = "sk_test_NEVER_SHOW_ME_123";

struct Seen {
    std::string method, path, body, idempotency_key, authorization;
};

// An httplib server answering from a script of (status, body) pairs; the
// last entry repeats.
class ScriptedServer {
public:
    explicit ScriptedServer(std::vector<std::pair<int, std::string>> script)
        : m_script(std::move(script))
    {
        auto handler = [this](const httplib::Request &request, httplib::Response &response) {
            std::lock_guard lock(m_mutex);
            m_seen.push_back({request.method, request.path, request.body,
                              request.get_header_value("Idempotency-Key"),
                              request.get_header_value("Authorization")});
            size_t index = std::min(m_seen.size() - 1, m_script.size() - 1);
            response.status = m_script[index].first;
            response.set_content(m_script[index].second, "application/json");
        };
        m_server.Post(".*", handler);
        m_server.Get(".*", handler);
        m_port = rcommerce::testing::start_loopback(m_server, m_thread);
    }
    ~ScriptedServer()
    {
        m_server.stop();
        m_thread.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    std::vector<Seen> seen()
    {
        std::lock_guard lock(m_mutex);
        return m_seen;
    }

private:
    httplib::Server m_server;
    std::vector<std::pair<int, std::string>> m_script;
    std::vector<Seen> m_seen;
    std::mutex m_mutex;
    std::thread m_thread;
    int m_port = 0;
};

ClientOptions options_for(const std::string &url, std::vector<int64_t> *sleeps = nullptr)
{
    ClientOptions options;
    options.base_url = url;
    options.api_key = k_secret;
    options.timeout_seconds = 2;
    options.max_retries = 3;
    options.sleep = [sleeps](std::chrono::milliseconds delay) {
        if (sleeps != nullptr) {
            sleeps->push_back(delay.count());
        }
    };
    return options;
}

const std::string k_intent = R"({"id": "pi_1", "object": "payment_intent", "amount": 1000,
  "currency": "jpy", "status": "requires_payment_method", "amount_received": 0,
  "amount_capturable": 0, "capture_method": "automatic", "client_secret": "pi_1_secret_x",
  "metadata": {"order_id": "ord_7"}})";

} // namespace

TEST_CASE("stripe client: a 500 is retried once under the same Idempotency-Key")
{
    ScriptedServer server({{500, R"({"error": {"type": "api_error"}})"}, {200, k_intent}});
    std::vector<int64_t> sleeps;
    StripeGateway gateway(options_for(server.url(), &sleeps));

    money::Money yen{1000, money::parse_currency("JPY").value()};
    auto payment = gateway.create_payment({"ord_7", yen, CaptureMethod::automatic, 0});
    REQUIRE(payment);
    CHECK(payment->id == "pi_1");
    CHECK(payment->state == PaymentState::pending);
    CHECK(payment->amounts.amount == 1000);

    auto seen = server.seen();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].path == "/v1/payment_intents");
    CHECK(seen[0].idempotency_key == "rcommerce-ord_7-create-0");
    CHECK(seen[1].idempotency_key == seen[0].idempotency_key);
    CHECK(seen[1].body == seen[0].body);
    CHECK(seen[0].body.find("amount=1000&currency=jpy") == 0);
    CHECK(seen[0].authorization == std::string("Bearer ") + k_secret);
    CHECK(sleeps == std::vector<int64_t>{250});
}

TEST_CASE("stripe client: persistent 5xx ends unavailable with backoff, no secret")
{
    ScriptedServer server({{503, "{}"}});
    std::vector<int64_t> sleeps;
    Client client(options_for(server.url(), &sleeps));
    auto result = client.post("/v1/payment_intents", {{"amount", "1"}}, "key-1");
    REQUIRE_FALSE(result);
    CHECK(result.error().code == "stripe_unavailable");
    CHECK(server.seen().size() == 4);
    CHECK(sleeps == std::vector<int64_t>{250, 500, 1000});
    CHECK(std::string(result.error().why).find(k_secret) == std::string::npos);
}

TEST_CASE("stripe client: a network error is retried and reported without the secret")
{
    int port = 0;
    {
        httplib::Server probe;
        port = probe.bind_to_any_port("127.0.0.1");
    } // closed again: nothing listens there now
    std::vector<int64_t> sleeps;
    Client client(options_for("http://127.0.0.1:" + std::to_string(port), &sleeps));
    auto result = client.get("/v1/payment_intents/pi_1");
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::unavailable);
    CHECK(result.error().why.find("network error") != std::string::npos);
    CHECK(sleeps.size() == 3);
}

TEST_CASE("stripe client: a 4xx is reported with Stripe's type and message, scrubbed")
{
    std::string body = R"({"error": {"type": "invalid_request_error", "code": "parameter_missing",
      "message": "Missing amount; your key sk_test_NEVER_SHOW_ME_123 was used"}})";
    ScriptedServer server({{400, body}});
    Client client(options_for(server.url()));
    ApiError api;
    auto result = client.post("/v1/payment_intents", {}, "k", &api);
    REQUIRE_FALSE(result);
    CHECK(server.seen().size() == 1); // 4xx is not retried
    CHECK(result.error().code == "stripe_invalid_request");
    CHECK(result.error().why.find("invalid_request_error") != std::string::npos);
    CHECK(result.error().why.find("parameter_missing") != std::string::npos);
    CHECK(result.error().why.find("Missing amount") != std::string::npos);
    CHECK(result.error().why.find(k_secret) == std::string::npos);
    CHECK(api.status == 400);
    CHECK(api.type == "invalid_request_error");
}

TEST_CASE("stripe client: Stripe-Should-Retry and error types map as documented")
{
    CHECK(error_from_api({402, "card_error", "card_declined", "generic_decline", "no", {}}).code ==
          "payment_declined");
    CHECK(error_from_api({400, "idempotency_error", "", "", "", {}}).code ==
          "stripe_idempotency_error");
    CHECK(error_from_api({401, "authentication_error", "", "", "", {}}).kind ==
          ErrorKind::unavailable);
    CHECK(split_base_url("https://api.stripe.com").value().first == "https://api.stripe.com");
    CHECK(split_base_url("http://127.0.0.1:9/stripe/").value().second == "/stripe");
    CHECK_FALSE(split_base_url("ftp://x"));
    CHECK_FALSE(split_base_url("https://"));
}

TEST_CASE("stripe gateway: a decline comes back as a failed payment, not an error")
{
    std::string declined = R"({"error": {"type": "card_error", "code": "card_declined",
      "decline_code": "insufficient_funds", "message": "Your card has insufficient funds.",
      "payment_intent": {"id": "pi_1", "amount": 1000, "currency": "jpy",
        "status": "requires_payment_method", "amount_received": 0, "amount_capturable": 0,
        "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds",
          "message": "Your card has insufficient funds."}}}})";
    ScriptedServer server({{402, declined}});
    StripeGateway gateway(options_for(server.url()));
    GatewayPayment payment;
    payment.id = "pi_1";
    payment.order_id = "ord_7";
    auto confirmed =
        gateway.confirm(payment, {"pm_card_chargeDeclined", ""}, {"ord_7", "confirm", 0});
    REQUIRE(confirmed);
    CHECK(confirmed->state == PaymentState::failed);
    CHECK(confirmed->failure_code == "insufficient_funds");
    CHECK(server.seen().at(0).path == "/v1/payment_intents/pi_1/confirm");
    CHECK(server.seen().at(0).body == "payment_method=pm_card_chargeDeclined");
}

TEST_CASE("stripe gateway: ids that could escape the URL path are refused")
{
    StripeGateway gateway(options_for("http://127.0.0.1:9"));
    GatewayPayment payment;
    payment.id = "pi_1/../../v1/refunds";
    CHECK(gateway.retrieve(payment).error().code == "invalid_payment_id");
}

TEST_CASE("payment_from_intent maps statuses and amounts")
{
    GatewayPayment previous;
    auto parse = [&](const std::string &text) {
        return payment_from_intent(nlohmann::json::parse(text), previous);
    };
    auto held = parse(R"({"id": "pi_2", "amount": 10000, "currency": "eur",
      "status": "requires_capture", "amount_capturable": 10000, "amount_received": 0,
      "capture_method": "manual"})");
    REQUIRE(held);
    CHECK(held->state == PaymentState::authorized);
    CHECK(held->amounts.authorized == 10000);
    CHECK(held->capture == CaptureMethod::manual);

    auto partial = parse(R"({"id": "pi_2", "amount": 10000, "currency": "eur",
      "status": "succeeded", "amount_capturable": 0, "amount_received": 6000})");
    REQUIRE(partial);
    CHECK(partial->state == PaymentState::captured);
    CHECK(partial->amounts.captured == 6000);

    previous.amounts.refunded = 6000;
    auto refunded = parse(R"({"id": "pi_2", "amount": 10000, "currency": "eur",
      "status": "succeeded", "amount_received": 6000})");
    CHECK(refunded.value().state == PaymentState::refunded);
    previous.amounts.refunded = 0;

    auto isk = parse(R"({"id": "pi_3", "amount": 500, "currency": "isk", "status": "canceled"})");
    CHECK(isk.value().amounts.amount == 5);
    CHECK(isk.value().state == PaymentState::cancelled);

    CHECK_FALSE(parse(R"({"id": "pi_4", "amount": 1, "currency": "eur", "status": "weird"})"));
    CHECK_FALSE(parse(R"({"amount": 1, "currency": "eur", "status": "succeeded"})"));
    CHECK_FALSE(parse(R"({"id": "pi", "amount": 1.5, "currency": "eur", "status": "canceled"})"));
}
