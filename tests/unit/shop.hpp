// A fresh store per test: a SQLite file in its own temporary folder, migrated,
// with one location WH1, and helpers to add SKUs, adjust stock and order.
// Shared by the unit tests of the store-backed services.
#pragma once

#include "core/catalog/catalog.hpp"
#include "core/inventory/stock.hpp"
#include "core/orders/order_service.hpp"
#include "core/store/database.hpp"
#include "core/store/migrations.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <unistd.h>

namespace rcommerce::test {

struct Shop {
    std::filesystem::path dir;
    std::unique_ptr<store::Database> db;
    config::InventoryConfig inventory;

    Shop()
    {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "rc-commerce.XXXXXX").string();
        dir = ::mkdtemp(pattern.data());
        store::OpenOptions options;
        options.path = dir / "shop.db";
        options.pool_size = 4;
        db = store::Database::open(options).value();
        REQUIRE(store::migrate(*db).ok());
        catalog::LocationInput wh1{std::string("WH1"), std::string("Main"), std::nullopt};
        REQUIRE(catalog::create_location(*db, wh1).ok());
    }
    ~Shop()
    {
        db.reset();
        std::filesystem::remove_all(dir);
    }

    void sku(const std::string &sku, int64_t stock, int64_t price = 1000)
    {
        catalog::ProductInput product;
        product.title = "Product " + sku;
        catalog::VariantInput variant;
        variant.sku = sku;
        variant.price = {price, *money::find_currency("EUR")};
        product.variants.push_back(variant);
        REQUIRE(catalog::create_product(*db, product).ok());
        if (stock > 0) {
            REQUIRE(adjust(sku, inventory::Reason::receive, stock).ok());
        }
    }

    Result<std::vector<inventory::Movement>> adjust(const std::string &sku,
                                                    inventory::Reason reason, int64_t quantity)
    {
        return inventory::adjust_stock(*db, inventory, {sku, "WH1", "", reason, quantity, ""});
    }

    inventory::LevelView level(const std::string &sku)
    {
        return inventory::get_levels(*db, inventory, sku, std::string("WH1")).value().at(0);
    }

    Result<orders::Order> order(std::vector<orders::LineInput> lines, bool reserve = true)
    {
        orders::OrderInput input;
        input.currency = *money::find_currency("EUR");
        input.lines = std::move(lines);
        input.reserve = reserve;
        return orders::create_order(*db, inventory, input);
    }

    int64_t count(const std::string &table)
    {
        auto lease = db->connection();
        return lease->query_integer("SELECT count(*) FROM " + table).value_or(-1);
    }
};

} // namespace rcommerce::test
