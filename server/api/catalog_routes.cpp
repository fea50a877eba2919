// /api/v1/products, /variants, /customers, /locations.
#include "server/api/json_input.hpp"
#include "server/api/routes.hpp"

namespace rcommerce::server::api {
namespace {

using auth::Scope;
using catalog::Product;

// A variant's members. Wrong ones are reported in `errors` and left at
// their defaults, so core's rules can still check the rest in one pass.
catalog::VariantInput read_variant(JsonFields &fields, util::FieldErrors &errors)
{
    fields.reject_unknown(
        {"sku", "title", "price", "unit_cost", "allow_backorder", "low_stock_threshold"});
    catalog::VariantInput input;
    auto sku = fields.string("sku", Need::required);
    auto price = fields.money("price", Need::required);
    auto unit_cost = fields.money("unit_cost");
    input.title = fields.string("title").value_or("");
    input.allow_backorder = fields.boolean("allow_backorder").value_or(false);
    input.low_stock_threshold =
        fields.nullable_integer("low_stock_threshold").value_or(std::nullopt);
    // Margins compare cost and price, so both are in one currency.
    if (unit_cost && price && !(unit_cost->currency == price->currency)) {
        errors.add(fields.path("unit_cost.currency"), "must be the price's currency");
    }
    if (sku) {
        input.sku = *sku;
    } else {
        // Already reported as missing or mistyped; a placeholder keeps
        // core's SKU rule from restating it under another wording.
        input.sku = "-";
    }
    if (price) {
        input.price = *price;
    }
    input.unit_cost = unit_cost ? unit_cost->amount : 0;
    return input;
}

Result<Reply> create_product(Services &services, const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    fields.reject_unknown({"title", "description", "status", "variants"});
    catalog::ProductInput input;
    input.title = fields.string("title", Need::required).value_or("");
    input.description = fields.string("description").value_or("");
    input.status = fields.string("status").value_or("active");
    if (const auto *variants = fields.array("variants")) {
        for (size_t i = 0; i < variants->size(); ++i) {
            const auto &item = (*variants)[i];
            std::string prefix = "variants[" + std::to_string(i) + "].";
            if (!item.is_object()) {
                errors.add(prefix.substr(0, prefix.size() - 1), "must be an object");
                // Keeps later variants at their own index in core's messages.
                catalog::VariantInput placeholder;
                placeholder.sku = "-";
                input.variants.push_back(placeholder);
                continue;
            }
            JsonFields variant_fields(item, errors, prefix);
            input.variants.push_back(read_variant(variant_fields, errors));
        }
    }
    catalog::check_product_input(input, errors);
    if (!errors.empty()) {
        return errors.error("creating a product");
    }
    return reply(catalog::create_product(services.db, input), 201);
}

Result<Reply> update_product(Services &services, const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    fields.reject_unknown({"title", "description", "status"});
    catalog::ProductChanges changes;
    changes.title = fields.string("title");
    changes.description = fields.string("description");
    changes.status = fields.string("status");
    if (!errors.empty()) {
        return errors.error("updating a product");
    }
    return reply(catalog::update_product(services.db, path_id(request), changes));
}

Result<Reply> add_variant(Services &services, const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    auto input = read_variant(fields, errors);
    catalog::check_variant_input(input, errors);
    if (!errors.empty()) {
        return errors.error("adding a variant");
    }
    return reply(catalog::add_variant(services.db, path_id(request), input), 201);
}

Result<Reply> update_variant(Services &services, const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    fields.reject_unknown(
        {"title", "price", "unit_cost", "allow_backorder", "low_stock_threshold"});
    catalog::VariantChanges changes;
    changes.title = fields.string("title");
    changes.price = fields.money("price");
    changes.unit_cost = fields.money("unit_cost");
    changes.allow_backorder = fields.boolean("allow_backorder");
    changes.low_stock_threshold = fields.nullable_integer("low_stock_threshold");
    if (!errors.empty()) {
        return errors.error("updating a variant");
    }
    return reply(catalog::update_variant(services.db, path_id(request), changes));
}

Result<catalog::CustomerInput> read_customer(const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    fields.reject_unknown({"email", "name"});
    catalog::CustomerInput input{fields.string("email"), fields.string("name")};
    if (!errors.empty()) {
        return errors.error("reading a customer");
    }
    return input;
}

Result<catalog::LocationInput> read_location(const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    fields.reject_unknown({"code", "name", "low_stock_threshold"});
    catalog::LocationInput input{fields.string("code"), fields.string("name"),
                                 fields.nullable_integer("low_stock_threshold")};
    if (!errors.empty()) {
        return errors.error("reading a location");
    }
    return input;
}

// Reads the body with `read`, then calls `act` with it.
template <typename Read, typename Act>
Result<Reply> with_body(const httplib::Request &request, Read read, Act act)
{
    auto input = read(request);
    if (!input) {
        return input.error();
    }
    return act(*input);
}

} // namespace

void mount_catalog(httplib::Server &server, const std::shared_ptr<Services> &services)
{
    auto &s = *services;
    const std::string products = "/api/v1/products";
    route(server, services, Method::post, products, Scope::write, Idempotent::yes,
          [&s](const auto &r) { return create_product(s, r); });
    route(server, services, Method::get, products, Scope::read, Idempotent::no,
          [&s](const auto &r) {
              return list(r, [&](const auto &page) { return catalog::list_products(s.db, page); });
          });
    route(
        server, services, Method::get, products + "/" + k_id, Scope::read, Idempotent::no,
        [&s](const auto &r) { return reply(catalog::get_product(s.db, path_id(r))); }, Cached::yes);
    route(server, services, Method::patch, products + "/" + k_id, Scope::write, Idempotent::no,
          [&s](const auto &r) { return update_product(s, r); });
    route(server, services, Method::post, products + "/" + k_id + "/archive", Scope::write,
          Idempotent::yes, [&s](const auto &r) {
              return without_body(r, "archiving a product", [&] {
                  return reply(catalog::archive_product(s.db, path_id(r)));
              });
          });
    route(server, services, Method::post, products + "/" + k_id + "/variants", Scope::write,
          Idempotent::yes, [&s](const auto &r) { return add_variant(s, r); });

    const std::string variants = std::string("/api/v1/variants/") + k_id;
    route(server, services, Method::get, variants, Scope::read, Idempotent::no,
          [&s](const auto &r) { return reply(catalog::get_variant(s.db, path_id(r))); });
    route(server, services, Method::patch, variants, Scope::write, Idempotent::no,
          [&s](const auto &r) { return update_variant(s, r); });

    const std::string customers = "/api/v1/customers";
    route(server, services, Method::post, customers, Scope::write, Idempotent::yes,
          [&s](const auto &r) {
              return with_body(r, read_customer, [&](const catalog::CustomerInput &input) {
                  return reply(catalog::create_customer(s.db, input), 201);
              });
          });
    route(server, services, Method::get, customers, Scope::read, Idempotent::no,
          [&s](const auto &r) {
              return list(r, [&](const auto &page) { return catalog::list_customers(s.db, page); });
          });
    route(server, services, Method::get, customers + "/" + k_id, Scope::read, Idempotent::no,
          [&s](const auto &r) { return reply(catalog::get_customer(s.db, path_id(r))); });
    route(server, services, Method::patch, customers + "/" + k_id, Scope::write, Idempotent::no,
          [&s](const auto &r) {
              return with_body(r, read_customer, [&](const catalog::CustomerInput &input) {
                  return reply(catalog::update_customer(s.db, path_id(r), input));
              });
          });

    const std::string locations = "/api/v1/locations";
    route(server, services, Method::post, locations, Scope::write, Idempotent::yes,
          [&s](const auto &r) {
              return with_body(r, read_location, [&](const catalog::LocationInput &input) {
                  return reply(catalog::create_location(s.db, input), 201);
              });
          });
    route(server, services, Method::get, locations, Scope::read, Idempotent::no,
          [&s](const auto &r) {
              return list(r, [&](const auto &page) { return catalog::list_locations(s.db, page); });
          });
    route(server, services, Method::get, locations + "/" + k_id, Scope::read, Idempotent::no,
          [&s](const auto &r) { return reply(catalog::get_location(s.db, path_id(r))); });
    route(server, services, Method::patch, locations + "/" + k_id, Scope::write, Idempotent::no,
          [&s](const auto &r) {
              return with_body(r, read_location, [&](const catalog::LocationInput &input) {
                  return reply(catalog::update_location(s.db, path_id(r), input));
              });
          });
}

} // namespace rcommerce::server::api
