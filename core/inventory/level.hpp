// The one definition of a stock level, shared by the API, the alerts job and
// the reports, so that "low" means the same thing everywhere.
//
// available = on_hand - reserved (negative only when a SKU allows backorders).
// The threshold is the first one set of: the SKU at that location (its
// inventory level row, else the location's own threshold), the SKU
// (variant), and `[inventory] low_stock_threshold`.
// With that threshold t, the level is
//   out       when available <= 0,
//   critical  when 2 * available <= t (at most half the threshold),
//   low       when available <= t,
//   ok        otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rcommerce::inventory {

// Ordered from most to least urgent, so sorting by the enum sorts by urgency.
enum class StockLevel { out, critical, low, ok };

[[nodiscard]] constexpr int64_t available(int64_t on_hand, int64_t reserved)
{
    return on_hand - reserved;
}

// The threshold that applies: `at_location` (the level row's, else the
// location's), else `for_sku`, else `configured` ([inventory] low_stock_threshold).
[[nodiscard]] constexpr int64_t resolve_threshold(std::optional<int64_t> at_location,
                                                  std::optional<int64_t> for_sku,
                                                  int64_t configured)
{
    if (at_location) {
        return *at_location;
    }
    if (for_sku) {
        return *for_sku;
    }
    return configured;
}

[[nodiscard]] StockLevel stock_level(int64_t available, int64_t threshold);

// "out", "critical", "low", "ok".
[[nodiscard]] std::string_view to_string(StockLevel level);
[[nodiscard]] std::optional<StockLevel> parse_stock_level(std::string_view text);

} // namespace rcommerce::inventory
