// The stock level of core/inventory/level.hpp as SQL expressions, for reports
// that filter or sort by level inside the query. It must agree with
// resolve_threshold() and stock_level() for every input; the unit test
// inventory_level_sql_test.cpp checks both on the same grid of values, and the
// report also recomputes each row's level in C++ and refuses a disagreement.
#pragma once

#include <string>
#include <string_view>

namespace rcommerce::inventory {

// SQL for resolve_threshold(): the first non-NULL of the level row's
// threshold, the location's, the SKU's, then `configured` (an expression,
// usually a bound parameter).
[[nodiscard]] std::string threshold_sql(std::string_view level_row, std::string_view location,
                                        std::string_view sku, std::string_view configured);

// SQL for static_cast<int>(stock_level(available, threshold)): 0 out,
// 1 critical, 2 low, 3 ok (StockLevel's order, most urgent first). Both
// arguments are SQL expressions yielding integers; the threshold is >= 0.
[[nodiscard]] std::string level_rank_sql(std::string_view available, std::string_view threshold);

} // namespace rcommerce::inventory
