#include "core/inventory/level.hpp"

namespace rcommerce::inventory {

StockLevel stock_level(int64_t available, int64_t threshold)
{
    if (available <= 0) {
        return StockLevel::out;
    }
    // For integers, 2·available ≤ t is available ≤ ⌊t/2⌋, and this form
    // cannot overflow.
    if (available <= threshold / 2) {
        return StockLevel::critical;
    }
    if (available <= threshold) {
        return StockLevel::low;
    }
    return StockLevel::ok;
}

std::string_view to_string(StockLevel level)
{
    switch (level) {
    case StockLevel::out:
        return "out";
    case StockLevel::critical:
        return "critical";
    case StockLevel::low:
        return "low";
    case StockLevel::ok:
        return "ok";
    }
    return "ok";
}

std::optional<StockLevel> parse_stock_level(std::string_view text)
{
    for (auto level : {StockLevel::out, StockLevel::critical, StockLevel::low, StockLevel::ok}) {
        if (text == to_string(level)) {
            return level;
        }
    }
    return std::nullopt;
}

} // namespace rcommerce::inventory
