#include "core/inventory/level.hpp"

#include <doctest/doctest.h>

using namespace rcommerce::inventory;

TEST_CASE("stock levels follow the shared definition")
{
    // threshold 10: critical up to 5, low up to 10.
    CHECK(stock_level(-2, 10) == StockLevel::out);
    CHECK(stock_level(0, 10) == StockLevel::out);
    CHECK(stock_level(1, 10) == StockLevel::critical);
    CHECK(stock_level(5, 10) == StockLevel::critical);
    CHECK(stock_level(6, 10) == StockLevel::low);
    CHECK(stock_level(10, 10) == StockLevel::low);
    CHECK(stock_level(11, 10) == StockLevel::ok);
    // odd threshold: 2·available ≤ 7 means available ≤ 3.
    CHECK(stock_level(3, 7) == StockLevel::critical);
    CHECK(stock_level(4, 7) == StockLevel::low);
    // threshold 0: anything available is ok.
    CHECK(stock_level(1, 0) == StockLevel::ok);
    CHECK(stock_level(INT64_MAX, INT64_MAX) == StockLevel::low);
}

TEST_CASE("the threshold resolves location, then SKU, then configuration")
{
    CHECK(resolve_threshold(3, 7, 20) == 3);
    CHECK(resolve_threshold(std::nullopt, 7, 20) == 7);
    CHECK(resolve_threshold(std::nullopt, std::nullopt, 20) == 20);
    CHECK(resolve_threshold(0, 7, 20) == 0);
    CHECK(available(5, 7) == -2);
}

TEST_CASE("level names round-trip")
{
    for (auto level : {StockLevel::out, StockLevel::critical, StockLevel::low, StockLevel::ok}) {
        CHECK(parse_stock_level(to_string(level)) == level);
    }
    CHECK_FALSE(parse_stock_level("LOW").has_value());
}
