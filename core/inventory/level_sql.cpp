#include "core/inventory/level_sql.hpp"

#include "core/inventory/level.hpp"

namespace rcommerce::inventory {

std::string threshold_sql(std::string_view level_row, std::string_view location,
                          std::string_view sku, std::string_view configured)
{
    std::string sql = "coalesce(";
    for (auto part : {level_row, location, sku}) {
        sql.append(part);
        sql.append(", ");
    }
    sql.append(configured);
    sql.push_back(')');
    return sql;
}

std::string level_rank_sql(std::string_view available, std::string_view threshold)
{
    // SQLite divides integers with truncation, which is floor for t >= 0:
    // the same ⌊t/2⌋ stock_level() compares with, and no 2·available overflow.
    auto a = std::string("(") + std::string(available) + ")";
    auto t = std::string("(") + std::string(threshold) + ")";
    auto rank = [](StockLevel level) { return std::to_string(static_cast<int>(level)); };
    return "(CASE WHEN " + a + " <= 0 THEN " + rank(StockLevel::out) + " WHEN " + a + " <= " + t +
           " / 2 THEN " + rank(StockLevel::critical) + " WHEN " + a + " <= " + t + " THEN " +
           rank(StockLevel::low) + " ELSE " + rank(StockLevel::ok) + " END)";
}

} // namespace rcommerce::inventory
