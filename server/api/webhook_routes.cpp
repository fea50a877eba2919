// POST /api/v1/webhooks/stripe: no API key — the Stripe-Signature over the
// raw body bytes is the authentication, so the body is handed to core
// exactly as received (httplib keeps it unparsed).
#include "core/payments/stripe_payment.hpp"
#include "server/api/routes.hpp"

namespace rcommerce::server::api {
namespace {

// Stripe's events are a few KiB; anything far larger is not one.
constexpr size_t k_max_webhook_body = 1024 * 1024;

void problem(httplib::Response &response, const Error &error, int status)
{
    response.status = status;
    response.set_content(problem_json(error, status), "application/problem+json");
}

} // namespace

void mount_webhooks(httplib::Server &server, const std::shared_ptr<Services> &services)
{
    services->mounted.emplace_back("/api/v1/webhooks/stripe", "POST");
    server.Post("/api/v1/webhooks/stripe", [services](const httplib::Request &request,
                                                      httplib::Response &response) {
        const auto &config = services->config;
        if (!config.payment.stripe.enabled) {
            problem(response,
                    make_error(ErrorKind::not_found, "not_found", "receiving a Stripe webhook",
                               "[payment.stripe] is not enabled"),
                    404);
            return;
        }
        if (request.body.size() > k_max_webhook_body) {
            problem(response,
                    make_error(ErrorKind::validation, "body_too_large",
                               "receiving a Stripe webhook", "the body is over 1 MiB"),
                    413);
            return;
        }
        auto outcome = run_handler(
            [&](const httplib::Request &delivery) -> Result<Reply> {
                auto applied = payments::apply_stripe_webhook(
                    services->db, config, delivery.get_header_value("Stripe-Signature"),
                    delivery.body);
                if (!applied) {
                    return applied.error();
                }
                return Reply{200,
                             {{"received", true},
                              {"event", applied->event_id},
                              {"type", applied->type},
                              {"duplicate", applied->duplicate},
                              {"applied", applied->applied}}};
            },
            request);
        if (!outcome) {
            // Every refusal of the delivery itself is a 400, as Stripe
            // expects; an unknown intent is a 404 and a busy or failing
            // store a 5xx, both of which Stripe delivers again.
            const Error &error = outcome.error();
            int status = error.kind == ErrorKind::not_found     ? 404
                         : error.kind == ErrorKind::unavailable ? 503
                         : error.kind == ErrorKind::internal    ? 500
                                                                : 400;
            problem(response, error, status);
            return;
        }
        response.status = outcome->status;
        response.set_content(outcome->body.dump(), "application/json");
    });
}

} // namespace rcommerce::server::api
