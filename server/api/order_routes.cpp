// /api/v1/orders: create, read, list, state changes, payments (manual and
// Stripe), capture of an authorization and refunds.
#include "core/payments/refunds.hpp"
#include "core/payments/stripe_gateway.hpp"
#include "core/payments/stripe_payment.hpp"
#include "server/api/json_input.hpp"
#include "server/api/routes.hpp"

namespace rcommerce::server::api {
namespace {

using auth::Scope;

Result<Reply> create_order(Services &services, const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    // Totals, prices and state are the server's: a client sending them is
    // told so rather than silently ignored.
    fields.reject_unknown({"customer_id", "currency", "lines", "reserve"});
    orders::OrderInput input;
    input.customer_id = fields.integer("customer_id");
    auto currency = fields.currency("currency", Need::required);
    input.reserve = fields.boolean("reserve").value_or(true);
    if (const auto *lines = fields.array("lines", Need::required)) {
        bool every_line_read = true;
        for (size_t i = 0; i < lines->size() && i <= orders::k_max_lines; ++i) {
            const auto &item = (*lines)[i];
            std::string name = "lines[" + std::to_string(i) + "]";
            if (!item.is_object()) {
                errors.add(name, "must be an object with sku and quantity");
                every_line_read = false;
                continue;
            }
            JsonFields line(item, errors, name + ".");
            line.reject_unknown({"sku", "quantity"});
            auto sku = line.string("sku", Need::required);
            auto quantity = line.integer("quantity", Need::required);
            if (sku && quantity) {
                input.lines.push_back({*sku, *quantity});
            } else {
                every_line_read = false;
            }
        }
        // The lines' own rules (quantity range, SKU length) join the other
        // field problems in one answer; they name lines by position, so only
        // when every line was read.
        if (every_line_read) {
            orders::check_lines(input.lines, errors);
        }
    }
    if (!errors.empty()) {
        return errors.error("creating an order");
    }
    input.currency = *currency;
    return reply(orders::create_order(services.db, services.config.inventory, input), 201);
}

Result<Reply> pay(Services &services, const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    fields.reject_unknown({"gateway", "payment_method", "capture_method"});
    auto gateway = fields.string("gateway", Need::required);
    auto method = fields.string("payment_method");
    auto capture_text = fields.string("capture_method");
    std::optional<payments::CaptureMethod> capture;
    if (capture_text) {
        capture = payments::capture_method_from_string(*capture_text);
        if (!capture) {
            errors.add("capture_method", "must be \"automatic\" or \"manual\"");
        } else if (!gateway || *gateway != "stripe") {
            errors.add("capture_method", "only applies to \"stripe\"");
        }
    }
    const auto &stripe = services.config.payment.stripe;
    if (gateway && *gateway == "stripe") {
        if (!stripe.enabled) {
            errors.add("gateway", "\"stripe\" is not enabled ([payment.stripe] enabled)");
        }
        if (!method || method->empty()) {
            errors.add("payment_method", "is required for \"stripe\" (e.g. pm_card_visa)");
        }
    } else if (gateway && *gateway != "manual") {
        errors.add("gateway", "must be \"manual\" or \"stripe\"");
    } else if (method) {
        errors.add("payment_method", "only applies to \"stripe\"");
    }
    if (!errors.empty()) {
        return errors.error("recording a payment");
    }
    if (*gateway == "manual") {
        return reply(
            payments::pay_manually(services.db, services.config.inventory, path_id(request)), 201);
    }
    payments::stripe::StripeGateway card(payments::stripe::client_options(stripe));
    auto paid = payments::pay_with_stripe(services.db, services.config, card, path_id(request),
                                          *method, capture);
    if (!paid) {
        return paid.error();
    }
    nlohmann::json out = to_json(paid->payment);
    out["provider_reference"] = paid->intent_id;
    if (!paid->failure_code.empty()) {
        out["failure_code"] = paid->failure_code;
        out["failure_message"] = paid->failure_message;
    }
    if (!paid->client_secret.empty()) {
        out["client_secret"] = paid->client_secret;
    }
    return Reply{201, std::move(out)};
}

Result<Reply> refund(Services &services, const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    fields.reject_unknown({"amount", "reason"});
    auto amount = fields.money("amount", Need::required);
    auto reason = fields.string("reason").value_or("");
    util::check_text(errors, "reason", reason, 0, 500, util::TextLines::many);
    if (!errors.empty()) {
        return errors.error("refunding");
    }
    const auto &stripe = services.config.payment.stripe;
    std::optional<payments::stripe::StripeGateway> card;
    if (stripe.enabled) {
        card.emplace(payments::stripe::client_options(stripe));
    }
    return reply(payments::refund_order(services.db, services.config.inventory,
                                        card ? &*card : nullptr, path_id(request), *amount, reason),
                 201);
}

Result<Reply> capture(Services &services, const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    fields.reject_unknown({"amount"});
    auto amount = fields.money("amount");
    if (!errors.empty()) {
        return errors.error("capturing");
    }
    const auto &stripe = services.config.payment.stripe;
    if (!stripe.enabled) {
        return make_error(ErrorKind::conflict, "nothing_to_capture", "capturing a payment",
                          "only Stripe payments are authorized before capture, and "
                          "[payment.stripe] is not enabled");
    }
    payments::stripe::StripeGateway card(payments::stripe::client_options(stripe));
    return reply(payments::capture_stripe_payment(services.db, services.config, card,
                                                  path_id(request), amount));
}

Result<Reply> cancel(Services &services, const httplib::Request &request)
{
    const auto &stripe = services.config.payment.stripe;
    bool released = false;
    if (stripe.enabled) {
        payments::stripe::StripeGateway card(payments::stripe::client_options(stripe));
        auto cancelled = payments::cancel_open_stripe_payment(services.db, services.config, card,
                                                              path_id(request));
        if (!cancelled) {
            return cancelled.error();
        }
        released = *cancelled;
    }
    auto order = orders::cancel_order(services.db, services.config.inventory, path_id(request));
    // An order whose reservations expired is already cancelled but may still
    // hold an authorization: releasing it is what this cancel did.
    if (!order && released) {
        auto current = orders::get_order(services.db, path_id(request));
        if (current && current->state == orders::OrderState::cancelled) {
            return reply(std::move(current));
        }
    }
    return reply(std::move(order));
}

Result<Reply> list_orders(Services &services, const httplib::Request &request)
{
    std::optional<orders::OrderState> state;
    auto state_text = query_param(request, "state");
    if (!state_text) {
        return state_text.error();
    }
    if (*state_text) {
        state = orders::order_state_from_string(**state_text);
        if (!state) {
            Error error = util::field_error("state", "is not an order state");
            error.code = "invalid_parameter";
            for (auto known : orders::all_order_states()) {
                error.hint +=
                    (error.hint.empty() ? "one of " : ", ") + std::string(orders::to_string(known));
            }
            return error;
        }
    }
    return list(request,
                [&](const auto &page) { return orders::list_orders(services.db, page, state); });
}

Result<Reply> order_payments(Services &services, const httplib::Request &request)
{
    auto found = payments::order_payments(services.db, path_id(request));
    if (!found) {
        return found.error();
    }
    nlohmann::json data = nlohmann::json::array();
    for (const auto &payment : *found) {
        data.push_back(to_json(payment));
    }
    return Reply{
        200, {{"object", "list"}, {"data", data}, {"has_more", false}, {"next_cursor", nullptr}}};
}

} // namespace

void mount_orders(httplib::Server &server, const std::shared_ptr<Services> &services)
{
    auto &s = *services;
    const auto &inventory = s.config.inventory;
    const std::string orders = "/api/v1/orders";
    const std::string order = orders + "/" + k_id;
    route(server, services, Method::post, orders, Scope::write, Idempotent::yes,
          [&s](const auto &r) { return create_order(s, r); });
    route(server, services, Method::get, orders, Scope::read, Idempotent::no,
          [&s](const auto &r) { return list_orders(s, r); });
    route(server, services, Method::get, order, Scope::read, Idempotent::no,
          [&s](const auto &r) { return reply(orders::get_order(s.db, path_id(r))); });
    route(server, services, Method::post, order + "/place", Scope::write, Idempotent::yes,
          [&s, &inventory](const auto &r) {
              return without_body(r, "placing an order", [&] {
                  return reply(orders::place_order(s.db, inventory, path_id(r)));
              });
          });
    route(server, services, Method::post, order + "/cancel", Scope::write, Idempotent::yes,
          [&s](const auto &r) {
              return without_body(r, "cancelling an order", [&] { return cancel(s, r); });
          });
    route(server, services, Method::post, order + "/fulfil", Scope::write, Idempotent::yes,
          [&s, &inventory](const auto &r) {
              return without_body(r, "fulfilling an order", [&] {
                  return reply(orders::fulfil_order(s.db, inventory, path_id(r)));
              });
          });
    route(server, services, Method::post, order + "/complete", Scope::write, Idempotent::yes,
          [&s](const auto &r) {
              return without_body(r, "completing an order",
                                  [&] { return reply(orders::complete_order(s.db, path_id(r))); });
          });
    route(server, services, Method::post, order + "/payments", Scope::admin, Idempotent::yes,
          [&s](const auto &r) { return pay(s, r); });
    route(server, services, Method::get, order + "/payments", Scope::read, Idempotent::no,
          [&s](const auto &r) { return order_payments(s, r); });
    route(server, services, Method::post, order + "/refunds", Scope::admin, Idempotent::yes,
          [&s](const auto &r) { return refund(s, r); });
    route(server, services, Method::post, order + "/capture", Scope::admin, Idempotent::yes,
          [&s](const auto &r) { return capture(s, r); });
}

} // namespace rcommerce::server::api
