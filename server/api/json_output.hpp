// The JSON representation of each resource, in one place so that every
// endpoint shows a resource the same way (docs/api.md documents these).
#pragma once

#include "core/auth/key_store.hpp"
#include "core/catalog/catalog.hpp"
#include "core/inventory/stock.hpp"
#include "core/orders/order_service.hpp"
#include "core/payments/manual_payment.hpp"

#include <nlohmann/json.hpp>

namespace rcommerce::server::api {

[[nodiscard]] nlohmann::json to_json(const catalog::Product &product);
[[nodiscard]] nlohmann::json to_json(const catalog::Variant &variant);
[[nodiscard]] nlohmann::json to_json(const catalog::Customer &customer);
[[nodiscard]] nlohmann::json to_json(const catalog::Location &location);
[[nodiscard]] nlohmann::json to_json(const inventory::LevelView &level);
[[nodiscard]] nlohmann::json to_json(const inventory::Movement &movement);
[[nodiscard]] nlohmann::json to_json(const orders::Order &order);
[[nodiscard]] nlohmann::json to_json(const payments::Payment &payment);
[[nodiscard]] nlohmann::json to_json(const payments::Refund &refund);

} // namespace rcommerce::server::api
