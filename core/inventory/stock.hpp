// Stock in the store: levels per SKU and location, adjustments written to the
// ledger, reservations for orders, and low-stock alerts.
//
// Every change of on_hand is one stock_movements row in the same transaction
// as the change, so the ledger always sums to on_hand. Every change of a
// level calls update_alert(), which writes a low_stock_alerts row when the
// level crosses into a worse one (ok -> low, low -> critical, ... -> out) and
// resolves the open alert when the level is ok again; while a level stays
// bad, or improves without reaching ok, nothing more is written.
//
// Reservations: reserve_lines() holds units for an order's lines, taking
// them from the locations with the most available first. It must run inside
// the caller's BEGIN IMMEDIATE transaction, which is what makes overselling
// impossible: SQLite admits one writer at a time, so the check "enough
// available" and the update of `reserved` see no other writer in between.
// release/convert change only `active` reservations and mark them, so doing
// either twice changes nothing the second time.
#pragma once

#include "core/config/config.hpp"
#include "core/inventory/level.hpp"
#include "core/util/page.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rcommerce::store {
class Database;
class Connection;
} // namespace rcommerce::store

namespace rcommerce::inventory {

struct LevelView {
    int64_t id = 0; // the row's own id, the list cursor
    std::string sku;
    int64_t variant_id = 0;
    std::string location_code;
    int64_t location_id = 0;
    int64_t on_hand = 0;
    int64_t reserved = 0;
    int64_t available = 0;
    int64_t reorder_point = 0;
    int64_t threshold = 0;
    StockLevel level = StockLevel::ok;
    std::string updated_at;
};

enum class Reason { receive, adjust, return_, lost, found, transfer };

[[nodiscard]] std::string_view to_string(Reason reason);
[[nodiscard]] std::optional<Reason> reason_from_string(std::string_view text);

// One stock change. `quantity` is the number of units: added by receive,
// return and found; removed by lost; moved from `location` to
// `to_location` by transfer; and for adjust a signed change (never 0).
struct Adjustment {
    std::string sku;
    std::string location;    // location code
    std::string to_location; // transfer only
    Reason reason = Reason::adjust;
    int64_t quantity = 0;
    std::string reference; // free text kept in the ledger ("PO-1234")
};

struct Movement {
    int64_t id = 0;
    std::string sku;
    std::string location_code;
    int64_t quantity = 0; // signed change of on_hand
    std::string reason;
    std::string reference;
    std::string created_at;
};

// The level of `sku` at every location that has a row for it (ordered by
// location id); at one location when `location` is set (a location with no
// row yet reads as zero stock).
[[nodiscard]] Result<std::vector<LevelView>>
get_levels(store::Database &db, const config::InventoryConfig &config, std::string_view sku,
           std::optional<std::string> location = std::nullopt);

// Every level row, for reports and the levels list.
[[nodiscard]] Result<util::Page<LevelView>> list_levels(store::Database &db,
                                                        const config::InventoryConfig &config,
                                                        const util::PageRequest &page);

// Applies one adjustment atomically (a transfer writes both movements or
// neither). Fails with validation_failed for a zero or out-of-range quantity,
// sku_not_found / location_not_found, and insufficient_stock (409) when it
// would leave on_hand negative or below what is reserved (unless the SKU
// allows backorders). Returns the movements written.
[[nodiscard]] Result<std::vector<Movement>> adjust_stock(store::Database &db,
                                                         const config::InventoryConfig &config,
                                                         const Adjustment &adjustment);

// Sets the reorder point and/or the threshold of one level row (creating it).
[[nodiscard]] Result<LevelView> set_level_settings(store::Database &db,
                                                   const config::InventoryConfig &config,
                                                   std::string_view sku, std::string_view location,
                                                   std::optional<int64_t> reorder_point,
                                                   std::optional<std::optional<int64_t>> threshold);

// The ledger of a SKU, oldest first, optionally at one location.
[[nodiscard]] Result<util::Page<Movement>> list_movements(store::Database &db, std::string_view sku,
                                                          std::optional<std::string> location,
                                                          const util::PageRequest &page);

// --- Inside a caller's transaction -------------------------------------------

// One order line to hold stock for.
struct LineToReserve {
    int64_t variant_id = 0;
    std::string sku;
    int64_t quantity = 0;
    int64_t order_line_id = 0;
};

// Reserves every line, expiring at `expires_at` (RFC 3339), each taken from
// the locations with the most available first. Lines of one variant count
// together: their sum is checked against what is available before anything
// is held, and the refusal (insufficient_stock) names the SKU, what is
// available and the total asked ("23 available, 40 requested by 2 lines of
// TEE, ..."). A refusal comes before any write of its own; the caller rolls
// its transaction back either way, so an order reserves all lines or none.
[[nodiscard]] Status reserve_lines(store::Connection &connection,
                                   const config::InventoryConfig &config,
                                   std::span<const LineToReserve> lines,
                                   std::string_view expires_at);

// Marks the active reservations of an order `released` (or `expired`) and
// gives their units back. Returns how many reservations changed (0 when the
// order has none active: never reserved, or already released).
int64_t release_order_reservations(store::Connection &connection,
                                   const config::InventoryConfig &config, int64_t order_id,
                                   std::string_view new_status = "released");

// Turns the active reservations of an order into a sale: on_hand and reserved
// both drop, a `sale` movement is written per reservation. Units of a
// backordered SKU that are not on hand stay reserved for the order, never
// expiring, until sell_backordered. Returns how many reservations were
// converted or held.
int64_t convert_order_reservations(store::Connection &connection,
                                   const config::InventoryConfig &config, int64_t order_id,
                                   std::string_view reference);

// Sells the units a paid order still holds as backordered (on fulfilment);
// 409 insufficient_stock naming the SKU and location while they are not all
// on hand, writing nothing.
[[nodiscard]] Status sell_backordered(store::Connection &connection,
                                      const config::InventoryConfig &config, int64_t order_id,
                                      std::string_view reference);

// Re-evaluates the alert state of one level row after a change.
void update_alert(store::Connection &connection, const config::InventoryConfig &config,
                  int64_t variant_id, int64_t location_id);

// The background job: expires every active reservation whose expires_at is
// at or before `now` (Unix seconds), giving its units back, and cancels each
// awaiting_payment order left with no active reservation (it can no longer
// be paid without overselling). Returns the reservations expired. Runs in one
// short transaction per order so it never holds the write lock long.
int64_t expire_reservations(store::Database &db, const config::InventoryConfig &config,
                            int64_t now);

} // namespace rcommerce::inventory
