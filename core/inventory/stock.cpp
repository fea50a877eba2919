#include "core/inventory/stock.hpp"

#include "core/catalog/catalog.hpp"
#include "core/store/database.hpp"
#include "core/util/time.hpp"
#include "core/util/validation.hpp"

#include <algorithm>
#include <array>

namespace rcommerce::inventory {
namespace {

// Far above any real stock count, far below int64 overflow when summed.
constexpr int64_t k_max_quantity = 1'000'000'000;

constexpr std::array<std::pair<Reason, std::string_view>, 6> k_reasons{{
    {Reason::receive, "receive"},
    {Reason::adjust, "adjust"},
    {Reason::return_, "return"},
    {Reason::lost, "lost"},
    {Reason::found, "found"},
    {Reason::transfer, "transfer"},
}};

constexpr const char *k_level_select =
    "SELECT v.sku, v.id, l.code, l.id, il.on_hand, il.reserved, il.reorder_point, "
    "COALESCE(il.low_stock_threshold, l.low_stock_threshold), v.low_stock_threshold, "
    "il.updated_at, il.rowid FROM inventory_levels il JOIN variants v ON v.id = il.variant_id "
    "JOIN locations l ON l.id = il.location_id ";

LevelView read_level(const store::Row &row, const config::InventoryConfig &config)
{
    LevelView view;
    view.sku = row.text(0);
    view.variant_id = row.integer(1);
    view.location_code = row.text(2);
    view.location_id = row.integer(3);
    view.on_hand = row.integer(4);
    view.reserved = row.integer(5);
    view.reorder_point = row.integer(6);
    view.available = available(view.on_hand, view.reserved);
    view.threshold = resolve_threshold(row.optional_integer(7), row.optional_integer(8),
                                       config.low_stock_threshold);
    view.level = stock_level(view.available, view.threshold);
    view.updated_at = row.text(9);
    view.id = row.integer(10);
    return view;
}

LevelView load_level(store::Connection &c, const config::InventoryConfig &config,
                     int64_t variant_id, int64_t location_id)
{
    c.execute("INSERT OR IGNORE INTO inventory_levels (variant_id, location_id) VALUES (?, ?)",
              variant_id, location_id);
    LevelView view;
    c.query(
        std::string(k_level_select) + "WHERE il.variant_id = ? AND il.location_id = ?",
        [&](const store::Row &row) { view = read_level(row, config); }, variant_id, location_id);
    return view;
}

Error insufficient(std::string_view sku, std::string_view where, int64_t available_units,
                   int64_t requested, std::string_view note = {})
{
    return make_error(ErrorKind::conflict, "insufficient_stock",
                      "reserving or removing stock of " + std::string(sku),
                      std::to_string(available_units) + " available" + std::string(where) + ", " +
                          std::to_string(requested) + " requested" + std::string(note),
                      "receive more stock or lower the quantity");
}

// Changes on_hand by `delta` with one ledger row, refusing to go negative or
// below what is reserved (unless backorders are allowed).
Status change_on_hand(store::Connection &c, const config::InventoryConfig &config,
                      const catalog::Variant &variant, const catalog::Location &location,
                      int64_t delta, std::string_view reason, std::string_view reference)
{
    auto level = load_level(c, config, variant.id, location.id);
    int64_t after = level.on_hand + delta;
    bool below_reserved = delta < 0 && after < level.reserved && !variant.allow_backorder;
    if (after < 0 || below_reserved) {
        return insufficient(variant.sku, " at " + location.code,
                            below_reserved ? level.available : level.on_hand, -delta);
    }
    if (after > k_max_quantity) {
        return util::field_error("quantity",
                                 "would bring on_hand above " + std::to_string(k_max_quantity));
    }
    c.execute("UPDATE inventory_levels SET on_hand = ?, updated_at = "
              "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE variant_id = ? AND location_id = ?",
              after, variant.id, location.id);
    c.execute("INSERT INTO stock_movements (variant_id, location_id, quantity, reason, "
              "reference) VALUES (?, ?, ?, ?, ?)",
              variant.id, location.id, delta, reason, reference);
    update_alert(c, config, variant.id, location.id);
    return ok_status();
}

void change_reserved(store::Connection &c, const config::InventoryConfig &config,
                     int64_t variant_id, int64_t location_id, int64_t delta)
{
    c.execute("UPDATE inventory_levels SET reserved = reserved + ?, updated_at = "
              "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE variant_id = ? AND location_id = ?",
              delta, variant_id, location_id);
    update_alert(c, config, variant_id, location_id);
}

// Units of a variant free to reserve over every location; a level below
// its reservations (a backorder) frees nothing, it does not count against
// the others.
int64_t free_units(store::Connection &c, int64_t variant_id)
{
    return c
        .query_integer("SELECT COALESCE(SUM(MAX(on_hand - reserved, 0)), 0) FROM "
                       "inventory_levels WHERE variant_id = ?",
                       variant_id)
        .value_or(0);
}

bool allows_backorder(store::Connection &c, int64_t variant_id)
{
    return c.query_integer("SELECT allow_backorder FROM variants WHERE id = ?", variant_id)
               .value_or(0) != 0;
}

// Holds `quantity` units of one line, from the locations with the most
// available first; refuses (writing nothing) when they are not there.
Status reserve_line(store::Connection &c, const config::InventoryConfig &config,
                    const LineToReserve &line, std::string_view expires_at)
{
    struct Take {
        int64_t location_id;
        int64_t quantity;
    };
    std::vector<Take> plan;
    int64_t remaining = line.quantity;
    c.query(
        "SELECT location_id, on_hand - reserved FROM inventory_levels WHERE variant_id = ? "
        "ORDER BY on_hand - reserved DESC, location_id",
        [&](const store::Row &row) {
            int64_t take = std::min(std::max<int64_t>(row.integer(1), 0), remaining);
            if (take > 0) {
                plan.push_back({row.integer(0), take});
                remaining -= take;
            }
        },
        line.variant_id);
    if (remaining > 0) {
        auto first = c.query_integer("SELECT location_id FROM inventory_levels WHERE "
                                     "variant_id = ? ORDER BY location_id LIMIT 1",
                                     line.variant_id);
        if (!first) {
            first = c.query_integer("SELECT id FROM locations ORDER BY id LIMIT 1");
        }
        if (!allows_backorder(c, line.variant_id) || !first) {
            return insufficient(line.sku, "", free_units(c, line.variant_id), line.quantity);
        }
        plan.push_back({*first, remaining});
    }

    for (const auto &take : plan) {
        c.execute("INSERT OR IGNORE INTO inventory_levels (variant_id, location_id) VALUES (?, ?)",
                  line.variant_id, take.location_id);
        c.execute("INSERT INTO reservations (variant_id, location_id, order_line_id, quantity, "
                  "expires_at) VALUES (?, ?, ?, ?, ?)",
                  line.variant_id, take.location_id, line.order_line_id, take.quantity, expires_at);
        change_reserved(c, config, line.variant_id, take.location_id, take.quantity);
    }
    return ok_status();
}

struct ActiveReservation {
    int64_t id;
    int64_t variant_id;
    int64_t location_id;
    int64_t quantity;
    std::optional<int64_t> order_line_id;
    std::string expires_at;
};

// A paid order's units that were not on hand stay reserved for it until
// they are received and the order is fulfilled; the expiry job must never
// release them, so they expire at the end of time.
constexpr const char *k_held_until_received = "9999-12-31T23:59:59Z";

std::vector<ActiveReservation> active_reservations(store::Connection &c, int64_t order_id,
                                                   std::optional<std::string> expired_by)
{
    std::vector<ActiveReservation> found;
    c.query(
        "SELECT r.id, r.variant_id, r.location_id, r.quantity, r.order_line_id, r.expires_at "
        "FROM reservations r JOIN order_lines ol ON ol.id = r.order_line_id "
        "WHERE ol.order_id = ? AND r.status = 'active' AND r.expires_at <= ? ORDER BY r.id",
        [&](const store::Row &row) {
            found.push_back({row.integer(0), row.integer(1), row.integer(2), row.integer(3),
                             row.optional_integer(4), row.text(5)});
        },
        order_id, expired_by.value_or(k_held_until_received));
    return found;
}

// Units on hand that a reservation may take: with backorders more can be
// reserved than is on hand, and reservations are then served oldest first,
// so a later order's payment never takes units an earlier one waits for.
int64_t on_hand_for(store::Connection &c, const ActiveReservation &reservation)
{
    int64_t on_hand = c.query_integer("SELECT on_hand FROM inventory_levels WHERE "
                                      "variant_id = ? AND location_id = ?",
                                      reservation.variant_id, reservation.location_id)
                          .value_or(0);
    int64_t ahead = c.query_integer("SELECT COALESCE(SUM(quantity), 0) FROM reservations "
                                    "WHERE variant_id = ? AND location_id = ? AND "
                                    "status = 'active' AND id < ?",
                                    reservation.variant_id, reservation.location_id, reservation.id)
                        .value_or(0);
    return std::clamp<int64_t>(on_hand - ahead, 0, reservation.quantity);
}

// `sold` reserved units leave stock: on_hand and reserved drop together (so
// the reserved <= on_hand trigger holds at every step), with one ledger row.
void sell(store::Connection &c, const config::InventoryConfig &config, int64_t variant_id,
          int64_t location_id, int64_t sold, std::string_view reference)
{
    if (sold == 0) {
        return;
    }
    c.execute("UPDATE inventory_levels SET reserved = reserved - ?1, on_hand = on_hand - ?1, "
              "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
              "WHERE variant_id = ?2 AND location_id = ?3",
              sold, variant_id, location_id);
    c.execute("INSERT INTO stock_movements (variant_id, location_id, quantity, reason, "
              "reference) VALUES (?, ?, ?, 'sale', ?)",
              variant_id, location_id, -sold, reference);
    update_alert(c, config, variant_id, location_id);
}

void sell_whole(store::Connection &c, const config::InventoryConfig &config,
                const ActiveReservation &reservation, std::string_view reference)
{
    c.execute("UPDATE reservations SET status = 'converted', updated_at = "
              "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
              reservation.id);
    sell(c, config, reservation.variant_id, reservation.location_id, reservation.quantity,
         reference);
}

Movement read_movement(const store::Row &row)
{
    return Movement{row.integer(0), row.text(1), row.text(2), row.integer(3),
                    row.text(4),    row.text(5), row.text(6)};
}

} // namespace

std::string_view to_string(Reason reason)
{
    for (auto [value, name] : k_reasons) {
        if (value == reason) {
            return name;
        }
    }
    return "adjust";
}

std::optional<Reason> reason_from_string(std::string_view text)
{
    for (auto [value, name] : k_reasons) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

Result<std::vector<LevelView>> get_levels(store::Database &db,
                                          const config::InventoryConfig &config,
                                          std::string_view sku, std::optional<std::string> location)
{
    if (location) {
        // A read: a SKU never stocked at the location shows an empty level
        // without creating its row, so a read-only key writes nothing and
        // the answer never waits for the write lock.
        auto lease = db.connection();
        auto &c = *lease;
        auto variant = catalog::find_variant_by_sku(c, sku);
        if (!variant) {
            return variant.error();
        }
        auto place = catalog::find_location_by_code(c, *location);
        if (!place) {
            return place.error();
        }
        std::optional<LevelView> found;
        c.query(
            std::string(k_level_select) + "WHERE il.variant_id = ? AND il.location_id = ?",
            [&](const store::Row &row) { found = read_level(row, config); }, variant->id,
            place->id);
        if (!found) {
            found = LevelView{};
            found->sku = variant->sku;
            found->variant_id = variant->id;
            found->location_code = place->code;
            found->location_id = place->id;
            found->threshold =
                resolve_threshold(place->low_stock_threshold, variant->low_stock_threshold,
                                  config.low_stock_threshold);
            found->level = stock_level(0, found->threshold);
            found->updated_at = util::format_rfc3339(util::unix_now());
        }
        return std::vector<LevelView>{*found};
    }
    auto lease = db.connection();
    auto variant = catalog::find_variant_by_sku(*lease, sku);
    if (!variant) {
        return variant.error();
    }
    std::vector<LevelView> levels;
    lease->query(
        std::string(k_level_select) + "WHERE il.variant_id = ? ORDER BY l.id",
        [&](const store::Row &row) { levels.push_back(read_level(row, config)); }, variant->id);
    return levels;
}

Result<util::Page<LevelView>> list_levels(store::Database &db,
                                          const config::InventoryConfig &config,
                                          const util::PageRequest &page)
{
    // The level rows have a composite key; their rowid is a stable cursor.
    auto lease = db.connection();
    std::vector<LevelView> levels;
    std::string sql = k_level_select;
    lease->query(
        sql + "WHERE il.rowid > ? ORDER BY il.rowid LIMIT ?",
        [&](const store::Row &row) { levels.push_back(read_level(row, config)); },
        page.starting_after.value_or(0), page.limit + 1);
    return util::make_page(std::move(levels), page.limit);
}

Result<std::vector<Movement>> adjust_stock(store::Database &db,
                                           const config::InventoryConfig &config,
                                           const Adjustment &adjustment)
{
    util::FieldErrors errors;
    bool signed_change = adjustment.reason == Reason::adjust;
    if (adjustment.quantity == 0 || adjustment.quantity > k_max_quantity ||
        adjustment.quantity < (signed_change ? -k_max_quantity : 1)) {
        errors.add("quantity", signed_change ? "must be a non-zero change between -1000000000 "
                                               "and 1000000000"
                                             : "must be between 1 and 1000000000");
    }
    if (adjustment.reason == Reason::transfer) {
        if (adjustment.to_location.empty()) {
            errors.add("to_location", "is required for a transfer");
        } else if (adjustment.to_location == adjustment.location) {
            errors.add("to_location", "must differ from location");
        }
    }
    util::check_text(errors, "reference", adjustment.reference, 0, 500);
    if (!errors.empty()) {
        return errors.error("adjusting stock");
    }

    auto lease = db.connection();
    store::Transaction transaction(*lease);
    auto &c = *lease;
    auto variant = catalog::find_variant_by_sku(c, adjustment.sku);
    if (!variant) {
        return variant.error();
    }
    auto from = catalog::find_location_by_code(c, adjustment.location);
    if (!from) {
        return from.error();
    }
    int64_t first_movement = 0;
    auto reason = std::string(to_string(adjustment.reason));
    int64_t delta = adjustment.reason == Reason::lost || adjustment.reason == Reason::transfer
                        ? -adjustment.quantity
                        : adjustment.quantity;
    if (auto changed =
            change_on_hand(c, config, *variant, *from, delta, reason, adjustment.reference);
        !changed) {
        return changed.error();
    }
    first_movement = c.last_insert_id();
    if (adjustment.reason == Reason::transfer) {
        auto to = catalog::find_location_by_code(c, adjustment.to_location);
        if (!to) {
            return to.error();
        }
        if (auto changed = change_on_hand(c, config, *variant, *to, adjustment.quantity, reason,
                                          adjustment.reference);
            !changed) {
            return changed.error();
        }
    }
    std::vector<Movement> movements;
    c.query(
        "SELECT m.id, v.sku, l.code, m.quantity, m.reason, m.reference, m.created_at "
        "FROM stock_movements m JOIN variants v ON v.id = m.variant_id "
        "JOIN locations l ON l.id = m.location_id WHERE m.id >= ? ORDER BY m.id",
        [&](const store::Row &row) { movements.push_back(read_movement(row)); }, first_movement);
    transaction.commit();
    return movements;
}

Result<LevelView> set_level_settings(store::Database &db, const config::InventoryConfig &config,
                                     std::string_view sku, std::string_view location,
                                     std::optional<int64_t> reorder_point,
                                     std::optional<std::optional<int64_t>> threshold)
{
    util::FieldErrors errors;
    if (reorder_point && (*reorder_point < 0 || *reorder_point > k_max_quantity)) {
        errors.add("reorder_point", "must be between 0 and 1000000000");
    }
    if (threshold && *threshold && (**threshold < 0 || **threshold > k_max_quantity)) {
        errors.add("low_stock_threshold", "must be between 0 and 1000000000");
    }
    if (!errors.empty()) {
        return errors.error("changing level settings");
    }
    return db.write([&](store::Connection &c) -> Result<LevelView> {
        auto variant = catalog::find_variant_by_sku(c, sku);
        if (!variant) {
            return variant.error();
        }
        auto place = catalog::find_location_by_code(c, location);
        if (!place) {
            return place.error();
        }
        auto level = load_level(c, config, variant->id, place->id);
        if (reorder_point) {
            c.execute("UPDATE inventory_levels SET reorder_point = ? WHERE variant_id = ? AND "
                      "location_id = ?",
                      *reorder_point, variant->id, place->id);
        }
        if (threshold) {
            c.execute("UPDATE inventory_levels SET low_stock_threshold = ? WHERE variant_id = ? "
                      "AND location_id = ?",
                      *threshold, variant->id, place->id);
        }
        update_alert(c, config, variant->id, place->id);
        return load_level(c, config, variant->id, place->id);
    });
}

Result<util::Page<Movement>> list_movements(store::Database &db, std::string_view sku,
                                            std::optional<std::string> location,
                                            const util::PageRequest &page)
{
    auto lease = db.connection();
    auto variant = catalog::find_variant_by_sku(*lease, sku);
    if (!variant) {
        return variant.error();
    }
    std::optional<int64_t> location_id;
    if (location) {
        auto place = catalog::find_location_by_code(*lease, *location);
        if (!place) {
            return place.error();
        }
        location_id = place->id;
    }
    std::vector<Movement> rows;
    lease->query(
        "SELECT m.id, v.sku, l.code, m.quantity, m.reason, m.reference, m.created_at "
        "FROM stock_movements m JOIN variants v ON v.id = m.variant_id "
        "JOIN locations l ON l.id = m.location_id WHERE m.variant_id = ? AND m.id > ? "
        "AND (? IS NULL OR m.location_id = ?) ORDER BY m.id LIMIT ?",
        [&](const store::Row &row) { rows.push_back(read_movement(row)); }, variant->id,
        page.starting_after.value_or(0), location_id, location_id, page.limit + 1);
    return util::make_page(std::move(rows), page.limit);
}

Status reserve_lines(store::Connection &c, const config::InventoryConfig &config,
                     std::span<const LineToReserve> lines, std::string_view expires_at)
{
    // Lines of one SKU count together: the sum is checked before anything
    // is held, so the refusal names the real totals rather than what the
    // last line found after the first ones took their share.
    struct Total {
        int64_t variant_id;
        std::string_view sku;
        int64_t quantity;
        size_t lines;
    };
    std::vector<Total> totals;
    for (const auto &line : lines) {
        auto same = std::find_if(totals.begin(), totals.end(), [&](const Total &total) {
            return total.variant_id == line.variant_id;
        });
        if (same == totals.end()) {
            totals.push_back({line.variant_id, line.sku, line.quantity, 1});
        } else {
            same->quantity += line.quantity;
            ++same->lines;
        }
    }
    for (const auto &total : totals) {
        int64_t free = free_units(c, total.variant_id);
        if (total.quantity > free && !allows_backorder(c, total.variant_id)) {
            std::string note = total.lines > 1
                                   ? " by " + std::to_string(total.lines) + " lines of " +
                                         std::string(total.sku) + ", which count together"
                                   : "";
            return insufficient(total.sku, "", free, total.quantity, note);
        }
    }
    for (const auto &line : lines) {
        if (auto reserved = reserve_line(c, config, line, expires_at); !reserved) {
            return reserved;
        }
    }
    return ok_status();
}

int64_t release_order_reservations(store::Connection &c, const config::InventoryConfig &config,
                                   int64_t order_id, std::string_view new_status)
{
    auto reservations = active_reservations(c, order_id, std::nullopt);
    for (const auto &reservation : reservations) {
        c.execute("UPDATE reservations SET status = ?, updated_at = "
                  "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ? AND status = 'active'",
                  new_status, reservation.id);
        change_reserved(c, config, reservation.variant_id, reservation.location_id,
                        -reservation.quantity);
    }
    return static_cast<int64_t>(reservations.size());
}

int64_t convert_order_reservations(store::Connection &c, const config::InventoryConfig &config,
                                   int64_t order_id, std::string_view reference)
{
    auto reservations = active_reservations(c, order_id, std::nullopt);
    for (const auto &reservation : reservations) {
        // Only a backordered SKU can have fewer units on hand than reserved.
        int64_t sold = on_hand_for(c, reservation);
        int64_t owed = reservation.quantity - sold;
        if (owed == 0) {
            sell_whole(c, config, reservation, reference);
        } else {
            // What is on hand is sold now; the rest stays reserved for this
            // order, so the next receipt cannot be sold to anyone else, and
            // is sold when the order is fulfilled (sell_backordered).
            c.execute("UPDATE reservations SET quantity = ?, expires_at = ?, updated_at = "
                      "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
                      owed, k_held_until_received, reservation.id);
            if (sold > 0) {
                c.execute("INSERT INTO reservations (variant_id, location_id, order_line_id, "
                          "quantity, status, expires_at) VALUES (?, ?, ?, ?, 'converted', ?)",
                          reservation.variant_id, reservation.location_id,
                          reservation.order_line_id, sold, reservation.expires_at);
            }
            sell(c, config, reservation.variant_id, reservation.location_id, sold, reference);
        }
    }
    return static_cast<int64_t>(reservations.size());
}

Status sell_backordered(store::Connection &c, const config::InventoryConfig &config,
                        int64_t order_id, std::string_view reference)
{
    auto reservations = active_reservations(c, order_id, std::nullopt);
    for (const auto &reservation : reservations) {
        int64_t free = on_hand_for(c, reservation);
        if (free < reservation.quantity) {
            auto level = load_level(c, config, reservation.variant_id, reservation.location_id);
            return make_error(ErrorKind::conflict, "insufficient_stock",
                              "selling the backordered units of " + level.sku,
                              std::to_string(reservation.quantity) + " of " + level.sku +
                                  " are backordered for this order at " + level.location_code +
                                  "; " + std::to_string(free) + " of the " +
                                  std::to_string(level.on_hand) +
                                  " on hand there are not held for earlier orders",
                              "receive them at " + level.location_code +
                                  " (or transfer them there), then fulfil the order");
        }
        sell_whole(c, config, reservation, reference);
    }
    return ok_status();
}

void update_alert(store::Connection &c, const config::InventoryConfig &config, int64_t variant_id,
                  int64_t location_id)
{
    auto level = load_level(c, config, variant_id, location_id);
    std::optional<int64_t> open_id;
    std::optional<StockLevel> open_level;
    c.query(
        "SELECT id, level FROM low_stock_alerts WHERE variant_id = ? AND location_id = ? AND "
        "resolved_at IS NULL",
        [&](const store::Row &row) {
            open_id = row.integer(0);
            open_level = parse_stock_level(row.text_view(1));
        },
        variant_id, location_id);

    bool recovered = level.level == StockLevel::ok;
    bool worse = !recovered && (!open_level || level.level < *open_level);
    if (open_id && (recovered || worse)) {
        c.execute("UPDATE low_stock_alerts SET resolved_at = strftime('%Y-%m-%dT%H:%M:%SZ', "
                  "'now') WHERE id = ?",
                  *open_id);
    }
    if (worse) {
        c.execute("INSERT INTO low_stock_alerts (variant_id, location_id, level, available, "
                  "threshold) VALUES (?, ?, ?, ?, ?)",
                  variant_id, location_id, to_string(level.level), level.available,
                  level.threshold);
    }
}

int64_t expire_reservations(store::Database &db, const config::InventoryConfig &config, int64_t now)
{
    std::string cutoff = util::format_rfc3339(now);
    std::vector<int64_t> orders;
    {
        auto lease = db.connection();
        lease->query(
            "SELECT DISTINCT ol.order_id FROM reservations r JOIN order_lines ol "
            "ON ol.id = r.order_line_id WHERE r.status = 'active' AND r.expires_at <= ?",
            [&](const store::Row &row) { orders.push_back(row.integer(0)); }, cutoff);
    }
    int64_t expired = 0;
    for (int64_t order_id : orders) {
        expired += db.write([&](store::Connection &c) {
            auto due = active_reservations(c, order_id, cutoff);
            for (const auto &reservation : due) {
                c.execute("UPDATE reservations SET status = 'expired', updated_at = "
                          "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
                          reservation.id);
                change_reserved(c, config, reservation.variant_id, reservation.location_id,
                                -reservation.quantity);
            }
            c.execute("UPDATE orders SET state = 'cancelled', updated_at = "
                      "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ? AND "
                      "state = 'awaiting_payment' AND NOT EXISTS (SELECT 1 FROM reservations r "
                      "JOIN order_lines ol ON ol.id = r.order_line_id WHERE ol.order_id = ? "
                      "AND r.status = 'active')",
                      order_id, order_id);
            return static_cast<int64_t>(due.size());
        });
    }
    return expired;
}

} // namespace rcommerce::inventory
