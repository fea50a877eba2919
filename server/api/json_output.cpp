#include "server/api/json_output.hpp"

namespace rcommerce::server::api {
namespace {

nlohmann::json optional_json(const std::optional<int64_t> &value)
{
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json money_json(int64_t amount, const money::Currency &currency)
{
    return money::to_json(money::Money{amount, currency});
}

} // namespace

nlohmann::json to_json(const catalog::Variant &variant)
{
    return {{"object", "variant"},
            {"id", variant.id},
            {"product_id", variant.product_id},
            {"sku", variant.sku},
            {"title", variant.title},
            {"price", money::to_json(variant.price)},
            {"unit_cost", money_json(variant.unit_cost, variant.price.currency)},
            {"allow_backorder", variant.allow_backorder},
            {"low_stock_threshold", optional_json(variant.low_stock_threshold)},
            {"created_at", variant.created_at},
            {"updated_at", variant.updated_at}};
}

nlohmann::json to_json(const catalog::Product &product)
{
    nlohmann::json variants = nlohmann::json::array();
    for (const auto &variant : product.variants) {
        variants.push_back(to_json(variant));
    }
    return {{"object", "product"},
            {"id", product.id},
            {"title", product.title},
            {"description", product.description},
            {"status", product.status},
            {"variants", std::move(variants)},
            {"created_at", product.created_at},
            {"updated_at", product.updated_at}};
}

nlohmann::json to_json(const catalog::Customer &customer)
{
    return {{"object", "customer"},
            {"id", customer.id},
            {"email", customer.email},
            {"name", customer.name},
            {"created_at", customer.created_at},
            {"updated_at", customer.updated_at}};
}

nlohmann::json to_json(const catalog::Location &location)
{
    return {{"object", "location"},
            {"id", location.id},
            {"code", location.code},
            {"name", location.name},
            {"low_stock_threshold", optional_json(location.low_stock_threshold)},
            {"created_at", location.created_at}};
}

nlohmann::json to_json(const inventory::LevelView &level)
{
    return {{"object", "inventory_level"},
            {"sku", level.sku},
            {"location", level.location_code},
            {"on_hand", level.on_hand},
            {"reserved", level.reserved},
            {"available", level.available},
            {"reorder_point", level.reorder_point},
            {"low_stock_threshold", level.threshold},
            {"level", inventory::to_string(level.level)},
            {"updated_at", level.updated_at}};
}

nlohmann::json to_json(const inventory::Movement &movement)
{
    return {{"object", "stock_movement"},
            {"id", movement.id},
            {"sku", movement.sku},
            {"location", movement.location_code},
            {"quantity", movement.quantity},
            {"reason", movement.reason},
            {"reference", movement.reference},
            {"created_at", movement.created_at}};
}

nlohmann::json to_json(const orders::Order &order)
{
    nlohmann::json lines = nlohmann::json::array();
    for (const auto &line : order.lines) {
        lines.push_back({{"id", line.id},
                         {"sku", line.sku},
                         {"title", line.title},
                         {"quantity", line.quantity},
                         {"unit_price", money_json(line.unit_price, order.currency)},
                         {"line_total", money_json(line.line_total, order.currency)}});
    }
    return {{"object", "order"},
            {"id", order.id},
            {"number", order.number},
            {"customer_id", optional_json(order.customer_id)},
            {"state", orders::to_string(order.state)},
            {"currency", order.currency.code()},
            {"lines", std::move(lines)},
            {"subtotal", money_json(order.subtotal, order.currency)},
            {"total", money_json(order.total, order.currency)},
            {"refunded", money_json(order.refunded, order.currency)},
            {"reservations_expire_at", order.reservations_expire_at
                                           ? nlohmann::json(*order.reservations_expire_at)
                                           : nlohmann::json(nullptr)},
            {"created_at", order.created_at},
            {"updated_at", order.updated_at}};
}

nlohmann::json to_json(const payments::Payment &payment)
{
    return {{"object", "payment"},
            {"id", payment.id},
            {"order_id", payment.order_id},
            {"gateway", payment.gateway},
            {"provider_reference", payment.provider_reference},
            {"state", payments::to_string(payment.state)},
            {"amount", money::to_json(payment.amount)},
            {"authorized", money_json(payment.authorized, payment.amount.currency)},
            {"captured", money_json(payment.captured, payment.amount.currency)},
            {"refunded", money_json(payment.refunded, payment.amount.currency)},
            {"refund_pending", money_json(payment.refund_pending, payment.amount.currency)},
            {"created_at", payment.created_at}};
}

nlohmann::json to_json(const payments::Refund &refund)
{
    return {{"object", "refund"},
            {"id", refund.id},
            {"payment_id", refund.payment_id},
            {"order_id", refund.order_id},
            {"amount", money::to_json(refund.amount)},
            {"reason", refund.reason},
            {"state", refund.state},
            {"provider_reference", refund.provider_reference},
            {"created_at", refund.created_at}};
}

} // namespace rcommerce::server::api
