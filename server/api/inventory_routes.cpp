// /api/v1/inventory: levels, adjustments, the ledger.
#include "server/api/json_input.hpp"
#include "server/api/routes.hpp"

namespace rcommerce::server::api {
namespace {

using auth::Scope;

Result<Reply> adjust(Services &services, const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    fields.reject_unknown({"sku", "location", "to_location", "reason", "quantity", "reference"});
    inventory::Adjustment adjustment;
    adjustment.sku = fields.string("sku", Need::required).value_or("");
    adjustment.location = fields.string("location", Need::required).value_or("");
    adjustment.to_location = fields.string("to_location").value_or("");
    adjustment.reference = fields.string("reference").value_or("");
    adjustment.quantity = fields.integer("quantity", Need::required).value_or(0);
    if (auto reason = fields.string("reason", Need::required)) {
        if (auto parsed = inventory::reason_from_string(*reason)) {
            adjustment.reason = *parsed;
            // A to_location on a receive would read as "received at WH2"
            // while the stock lands at `location`: refuse what is not used.
            if (*parsed != inventory::Reason::transfer && fields.has("to_location")) {
                errors.add("to_location", "only applies to reason \"transfer\", not \"" + *reason +
                                              "\"; leave it out, or use reason \"transfer\" "
                                              "to move stock between locations");
            }
        } else {
            errors.add("reason", "must be one of receive, adjust, return, lost, found, transfer");
        }
    }
    if (!errors.empty()) {
        return errors.error("adjusting stock");
    }

    auto movements = inventory::adjust_stock(services.db, services.config.inventory, adjustment);
    if (!movements) {
        return movements.error();
    }
    nlohmann::json written = nlohmann::json::array();
    for (const auto &movement : *movements) {
        written.push_back(to_json(movement));
    }
    auto levels = inventory::get_levels(services.db, services.config.inventory, adjustment.sku);
    nlohmann::json level_list = nlohmann::json::array();
    for (const auto &level : levels.value()) {
        level_list.push_back(to_json(level));
    }
    return Reply{201, {{"object", "adjustment"}, {"movements", written}, {"levels", level_list}}};
}

Result<Reply> set_settings(Services &services, const httplib::Request &request)
{
    auto body = json_body(request);
    if (!body) {
        return body.error();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    fields.reject_unknown({"reorder_point", "low_stock_threshold"});
    auto reorder_point = fields.integer("reorder_point");
    auto threshold = fields.nullable_integer("low_stock_threshold");
    if (!errors.empty()) {
        return errors.error("changing level settings");
    }
    return reply(inventory::set_level_settings(services.db, services.config.inventory,
                                               request.matches[1].str(), request.matches[2].str(),
                                               reorder_point, threshold));
}

Result<Reply> levels_of(Services &services, const httplib::Request &request)
{
    auto location = query_param(request, "location");
    if (!location) {
        return location.error();
    }
    auto levels = inventory::get_levels(services.db, services.config.inventory,
                                        request.matches[1].str(), *location);
    if (!levels) {
        return levels.error();
    }
    nlohmann::json data = nlohmann::json::array();
    for (const auto &level : *levels) {
        data.push_back(to_json(level));
    }
    return Reply{
        200, {{"object", "list"}, {"data", data}, {"has_more", false}, {"next_cursor", nullptr}}};
}

} // namespace

void mount_inventory(httplib::Server &server, const std::shared_ptr<Services> &services)
{
    auto &s = *services;
    const std::string base = "/api/v1/inventory";
    route(server, services, Method::get, base, Scope::read, Idempotent::no, [&s](const auto &r) {
        return list(r, [&](const auto &page) {
            return inventory::list_levels(s.db, s.config.inventory, page);
        });
    });
    route(server, services, Method::post, base + "/adjustments", Scope::admin, Idempotent::yes,
          [&s](const auto &r) { return adjust(s, r); });
    route(server, services, Method::get, base + "/" + k_code, Scope::read, Idempotent::no,
          [&s](const auto &r) { return levels_of(s, r); });
    route(server, services, Method::get, base + "/" + k_code + "/movements", Scope::read,
          Idempotent::no, [&s](const auto &r) {
              auto location = query_param(r, "location");
              if (!location) {
                  return Result<Reply>(location.error());
              }
              return list(r, [&](const auto &page) {
                  return inventory::list_movements(s.db, r.matches[1].str(), *location, page);
              });
          });
    route(server, services, Method::patch, base + "/" + k_code + "/locations/" + k_code,
          Scope::admin, Idempotent::no, [&s](const auto &r) { return set_settings(s, r); });
}

} // namespace rcommerce::server::api
