#include "core/store/demo_seed.hpp"

#include "core/inventory/level.hpp"
#include "core/store/migrations.hpp"
#include "core/util/time.hpp"

#include <array>
#include <cstdio>
#include <string>
#include <vector>

namespace rcommerce::store {
namespace {

constexpr int64_t k_day = 86400;

// SplitMix64: tiny, fast, and the same sequence on every platform, which the
// standard distributions do not promise.
class Rng {
public:
    explicit Rng(uint64_t seed) : m_state(seed) {}
    uint64_t next()
    {
        uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [lo, hi]; the modulo bias is irrelevant for demo data.
    int64_t between(int64_t lo, int64_t hi)
    {
        return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
    }
    bool percent(int64_t chance) { return between(1, 100) <= chance; }
    template <typename T, size_t N> const T &pick(const std::array<T, N> &items)
    {
        return items[next() % N];
    }

private:
    uint64_t m_state;
};

constexpr std::array<const char *, 16> k_adjectives = {
    "Classic", "Sturdy", "Compact", "Deluxe",   "Everyday", "Rustic", "Modern",  "Vintage",
    "Organic", "Travel", "Premium", "Handmade", "Nordic",   "Urban",  "Coastal", "Alpine"};
constexpr std::array<const char *, 12> k_materials = {"Oak",    "Steel",  "Linen",   "Ceramic",
                                                      "Bamboo", "Wool",   "Leather", "Glass",
                                                      "Cotton", "Walnut", "Copper",  "Stoneware"};
constexpr std::array<const char *, 20> k_nouns = {
    "Mug",          "Desk Lamp", "Backpack", "Teapot", "Cutting Board", "Throw Blanket", "Notebook",
    "Water Bottle", "Planter",   "Chair",    "Bowl",   "Candle",        "Apron",         "Wallet",
    "Vase",         "Tray",      "Cushion",  "Jacket", "Scarf",         "Serving Spoon"};
// Names a report must quote or encode correctly.
constexpr std::array<const char *, 5> k_awkward_names = {"Crème brûlée ramekin", "Bag, \"large\"",
                                                         "Kaffeebecher Größe L", "日本茶 tea cup",
                                                         "Tote\nwith newline"};
constexpr std::array<const char *, 6> k_options = {"S", "M", "L", "Red", "Blue", "Natural"};
constexpr std::array<const char *, 10> k_first_names = {
    "Ada", "Bruno", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hiro", "Inès", "Jonas"};
constexpr std::array<const char *, 8> k_last_names = {"Lovelace", "Keller", "Dubois", "Ivanov",
                                                      "Smith",    "Haddad", "Hopper", "Tanaka"};

struct Location {
    int64_t id;
    const char *code;
    const char *name;
    std::optional<int64_t> threshold;
    int64_t stocked_percent; // share of variants stocked here
};

constexpr std::array<Location, 3> k_locations = {{
    {1, "main", "Main warehouse", std::nullopt, 100},
    {2, "east", "East side store", 10, 60},
    {3, "online", "Online fulfilment", std::nullopt, 50},
}};

std::string padded(const char *prefix, int64_t number, int width)
{
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%s%0*lld", prefix, width, static_cast<long long>(number));
    return buffer;
}

struct Sale {
    int64_t variant_id;
    int64_t location_id;
    std::string sku;
    std::string title;
    int64_t quantity;
    int64_t unit_price;
};

class Seeder {
public:
    Seeder(Connection &connection, const DemoSeedOptions &options)
        : m_c(connection), m_options(options), m_rng(options.seed),
          m_product(prepare("INSERT INTO products (id, title, description, status, created_at, "
                            "updated_at) VALUES (?, ?, ?, 'active', ?, ?)")),
          m_variant(prepare("INSERT INTO variants (id, product_id, sku, title, price_amount, "
                            "unit_cost_amount, currency, allow_backorder, low_stock_threshold, "
                            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)")),
          m_level(prepare("INSERT INTO inventory_levels (variant_id, location_id, on_hand, "
                          "reserved, reorder_point, low_stock_threshold, updated_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)")),
          m_movement(prepare("INSERT INTO stock_movements (variant_id, location_id, quantity, "
                             "reason, reference, created_at) VALUES (?, ?, ?, ?, ?, ?)")),
          m_order(prepare("INSERT INTO orders (id, number, customer_id, state, currency, "
                          "subtotal_amount, total_amount, created_at, updated_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")),
          m_line(prepare("INSERT INTO order_lines (id, order_id, variant_id, sku, title, quantity, "
                         "unit_price_amount, line_total_amount, currency) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")),
          m_payment(prepare("INSERT INTO payments (id, order_id, gateway, state, amount, currency, "
                            "created_at, updated_at) VALUES (?, ?, 'manual', ?, ?, ?, ?, ?)")),
          m_payment_event(prepare("INSERT INTO payment_events (payment_id, type, from_state, "
                                  "to_state, created_at) VALUES (?, ?, ?, ?, ?)")),
          m_reservation(prepare("INSERT INTO reservations (variant_id, location_id, "
                                "order_line_id, quantity, status, expires_at, created_at, "
                                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"))
    {
    }

    void seed_fixed_rows()
    {
        for (const auto &location : k_locations) {
            m_c.execute("INSERT INTO locations (id, code, name, low_stock_threshold, created_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        location.id, location.code, location.name, location.threshold,
                        at_days_ago(400));
        }
        m_customers = std::min<int64_t>(50000, std::max<int64_t>(20, m_options.products / 20));
        auto insert = prepare("INSERT INTO customers (id, email, name, created_at, updated_at) "
                              "VALUES (?, ?, ?, ?, ?)");
        for (int64_t id = 1; id <= m_customers; ++id) {
            auto when = at_days_ago(m_rng.between(100, 700));
            insert.reset();
            insert
                .bind_all(id, padded("customer", id, 6) + "@example.com",
                          std::string(m_rng.pick(k_first_names)) + " " + m_rng.pick(k_last_names),
                          when, when)
                .execute();
        }
        m_counts.locations = static_cast<int64_t>(k_locations.size());
        m_counts.customers = m_customers;
    }

    void seed_product(int64_t product_id)
    {
        bool awkward = product_id % 97 == 0;
        std::string title = awkward ? m_rng.pick(k_awkward_names)
                                    : std::string(m_rng.pick(k_adjectives)) + " " +
                                          m_rng.pick(k_materials) + " " + m_rng.pick(k_nouns);
        std::string currency = m_rng.percent(85) ? "EUR" : "USD";
        auto created = at_days_ago(m_rng.between(120, 365));
        m_product.reset();
        m_product.bind_all(product_id, title, "Demo product: " + title, created, created).execute();
        ++m_counts.products;

        int64_t variant_count = m_rng.between(1, 3);
        int64_t base_price = m_rng.between(5, 250) * 100 - (m_rng.percent(50) ? 1 : 0);
        for (int64_t n = 1; n <= variant_count; ++n) {
            seed_variant(product_id, n, title, currency, base_price, created);
        }
    }

    void finish() { flush_order(); }
    const DemoSeedCounts &counts() const { return m_counts; }

private:
    Statement prepare(std::string_view sql) { return m_c.prepare(sql); }

    std::string at(int64_t unix_seconds) const { return util::format_rfc3339(unix_seconds); }
    std::string at_days_ago(int64_t days)
    {
        return at(m_options.anchor_unix - days * k_day - m_rng.between(0, k_day - 1));
    }

    void seed_variant(int64_t product_id, int64_t n, const std::string &product_title,
                      const std::string &currency, int64_t base_price, const std::string &created)
    {
        int64_t id = ++m_variant_id;
        std::string sku = padded("DEMO-", product_id, 7) + "-" + std::to_string(n);
        std::string option = n == 1 && m_rng.percent(50) ? "Default" : m_rng.pick(k_options);
        int64_t price = base_price + (n - 1) * 200;
        int64_t cost = price * m_rng.between(30, 70) / 100;
        std::optional<int64_t> sku_threshold;
        if (m_rng.percent(10)) {
            sku_threshold = m_rng.between(5, 50);
        }
        m_variant.reset();
        m_variant
            .bind_all(id, product_id, sku, option, price, cost, currency, sku_threshold, created,
                      created)
            .execute();
        ++m_counts.variants;

        VariantInfo info{id, sku, product_title + " / " + option, price, currency, sku_threshold};
        for (const auto &location : k_locations) {
            if (location.stocked_percent == 100 || m_rng.percent(location.stocked_percent)) {
                seed_level(info, location);
            }
        }
    }

    struct VariantInfo {
        int64_t id;
        std::string sku;
        std::string title;
        int64_t price;
        std::string currency;
        std::optional<int64_t> threshold;
    };

    // One level: pick where it should end up, then write the history that
    // leads there, so the ledger always sums to on_hand.
    void seed_level(const VariantInfo &v, const Location &location)
    {
        std::optional<int64_t> level_threshold;
        if (m_rng.percent(5)) {
            level_threshold = m_rng.between(3, 30);
        }
        auto threshold =
            inventory::resolve_threshold(level_threshold ? level_threshold : location.threshold,
                                         v.threshold, m_options.default_threshold);
        int64_t available = target_available(threshold);

        int64_t reserved = 0;
        if (m_rng.percent(3)) {
            reserved = m_rng.between(1, 2);
            hold_for_unpaid_order(v, location.id, reserved);
        }
        if (m_rng.percent(1)) {
            cancelled_order(v, location.id);
        }
        int64_t sold = 0;
        if (m_rng.percent(30)) {
            for (int64_t i = m_rng.between(1, 2); i > 0; --i) {
                int64_t quantity = m_rng.between(1, 3);
                sold += quantity;
                sell(v, location.id, quantity);
            }
        }
        int64_t lost = m_rng.percent(5) ? m_rng.between(1, 2) : 0;
        int64_t on_hand = available + reserved;
        int64_t received = on_hand + sold + lost;

        if (received > 0) {
            movement(v.id, location.id, received, "receive",
                     padded("PO-", m_rng.between(1, 9999), 5),
                     at_days_ago(m_rng.between(100, 130)));
        }
        if (lost > 0) {
            movement(v.id, location.id, -lost, "lost", "stock count",
                     at_days_ago(m_rng.between(1, 60)));
        }
        m_level.reset();
        m_level
            .bind_all(v.id, location.id, on_hand, reserved, std::max<int64_t>(threshold, 5),
                      level_threshold, at_days_ago(m_rng.between(0, 5)))
            .execute();
        ++m_counts.levels;
    }

    // ok 70 %, low 14 %, critical 9 %, out 7 %, by the shared level rule.
    int64_t target_available(int64_t threshold)
    {
        auto roll = m_rng.between(1, 100);
        if (roll <= 7 || threshold < 1) {
            return roll <= 7 ? 0 : threshold + m_rng.between(1, 200);
        }
        if (roll <= 16) {
            return m_rng.between(1, std::max<int64_t>(1, threshold / 2));
        }
        if (roll <= 30 && threshold / 2 + 1 <= threshold) {
            return m_rng.between(threshold / 2 + 1, threshold);
        }
        return threshold + m_rng.between(1, 200);
    }

    void movement(int64_t variant_id, int64_t location_id, int64_t quantity, const char *reason,
                  const std::string &reference, const std::string &when)
    {
        m_movement.reset();
        m_movement.bind_all(variant_id, location_id, quantity, reason, reference, when).execute();
        ++m_counts.movements;
    }

    // Historical sales are grouped into orders of one to three lines.
    void sell(const VariantInfo &v, int64_t location_id, int64_t quantity)
    {
        if (!m_open.empty() && (m_open_currency != v.currency ||
                                static_cast<int64_t>(m_open.size()) >= m_open_lines)) {
            flush_order();
        }
        if (m_open.empty()) {
            m_open_currency = v.currency;
            m_open_lines = m_rng.between(1, 3);
            m_open_when =
                m_options.anchor_unix - m_rng.between(1, 89) * k_day - m_rng.between(0, k_day - 1);
            m_open_id = ++m_order_id;
        }
        m_open.push_back({v.id, location_id, v.sku, v.title, quantity, v.price});
        movement(v.id, location_id, -quantity, "sale", padded("order:DEMO-", m_open_id, 7),
                 at(m_open_when));
    }

    void flush_order()
    {
        if (m_open.empty()) {
            return;
        }
        static constexpr std::array<const char *, 3> k_done_states = {"paid", "fulfilled",
                                                                      "completed"};
        const char *state = m_rng.pick(k_done_states);
        insert_order(m_open_id, state, m_open_currency, m_open_when, m_open);
        int64_t payment_id = ++m_payment_id;
        int64_t total = total_of(m_open);
        m_payment.reset();
        m_payment
            .bind_all(payment_id, m_open_id, "captured", total, m_open_currency, at(m_open_when),
                      at(m_open_when))
            .execute();
        m_payment_event.reset();
        m_payment_event.bind_all(payment_id, "captured", "pending", "captured", at(m_open_when))
            .execute();
        m_open.clear();
    }

    static int64_t total_of(const std::vector<Sale> &lines)
    {
        int64_t total = 0;
        for (const auto &line : lines) {
            total += line.quantity * line.unit_price;
        }
        return total;
    }

    // Returns the id of the order's first line.
    int64_t insert_order(int64_t id, const char *state, const std::string &currency, int64_t when,
                         const std::vector<Sale> &lines)
    {
        int64_t total = total_of(lines);
        m_order.reset();
        m_order
            .bind_all(id, padded("DEMO-", id, 7), m_rng.between(1, m_customers), state, currency,
                      total, total, at(when), at(when))
            .execute();
        ++m_counts.orders;
        int64_t first_line = m_line_id + 1;
        for (const auto &line : lines) {
            m_line.reset();
            m_line
                .bind_all(++m_line_id, id, line.variant_id, line.sku, line.title, line.quantity,
                          line.unit_price, line.quantity * line.unit_price, currency)
                .execute();
        }
        return first_line;
    }

    void reservation(const VariantInfo &v, int64_t location_id, int64_t line_id, int64_t quantity,
                     const char *status, int64_t created, int64_t expires)
    {
        m_reservation.reset();
        m_reservation
            .bind_all(v.id, location_id, line_id, quantity, status, at(expires), at(created),
                      at(created))
            .execute();
        ++m_counts.reservations;
    }

    // An order placed but not paid: its stock is reserved until it expires.
    void hold_for_unpaid_order(const VariantInfo &v, int64_t location_id, int64_t quantity)
    {
        int64_t when = m_options.anchor_unix - m_rng.between(60, 3600);
        int64_t id = ++m_order_id;
        auto line = insert_order(id, "awaiting_payment", v.currency, when,
                                 {{v.id, location_id, v.sku, v.title, quantity, v.price}});
        reservation(v, location_id, line, quantity, "active", when, when + 36 * 3600);
    }

    // A cancelled or abandoned order: its reservation ended, no stock moved.
    void cancelled_order(const VariantInfo &v, int64_t location_id)
    {
        int64_t when = m_options.anchor_unix - m_rng.between(1, 60) * k_day;
        int64_t id = ++m_order_id;
        int64_t quantity = m_rng.between(1, 2);
        auto line = insert_order(id, "cancelled", v.currency, when,
                                 {{v.id, location_id, v.sku, v.title, quantity, v.price}});
        bool expired = m_rng.percent(50);
        reservation(v, location_id, line, quantity, expired ? "expired" : "released", when,
                    when + 1800);
    }

    Connection &m_c;
    const DemoSeedOptions &m_options;
    Rng m_rng;
    Statement m_product, m_variant, m_level, m_movement, m_order, m_line, m_payment,
        m_payment_event, m_reservation;
    DemoSeedCounts m_counts;
    int64_t m_customers = 0;
    int64_t m_variant_id = 0, m_order_id = 0, m_line_id = 0, m_payment_id = 0;
    std::vector<Sale> m_open; // lines of the historical order being built
    std::string m_open_currency;
    int64_t m_open_lines = 0, m_open_when = 0, m_open_id = 0;
};

Status check_empty(Connection &connection)
{
    // Locations and customers count too: an interrupted seed commits them
    // before its first batch of products.
    auto existing = connection.query_integer("SELECT count(*) FROM products").value_or(0);
    auto others = connection
                      .query_integer("SELECT (SELECT count(*) FROM locations) + "
                                     "(SELECT count(*) FROM customers)")
                      .value_or(0);
    if (existing > 0 || others > 0) {
        return make_error(ErrorKind::conflict, "database_not_empty", "seeding demo data",
                          "the database already has " + std::to_string(existing) +
                              " products and " + std::to_string(others) +
                              " locations and customers",
                          "seed a new database file: demo rows would mix with real ones (an "
                          "interrupted seed keeps the batches it committed: delete the file and "
                          "its -wal and -shm files, then seed again)");
    }
    return ok_status();
}

} // namespace

Result<DemoSeedCounts> seed_demo(Database &database, const DemoSeedOptions &options,
                                 const std::function<void(int64_t)> &on_batch)
{
    if (auto current = check_current(database); !current) {
        return current.error();
    }
    if (options.products < 1 || options.products > k_max_demo_products) {
        return make_error(ErrorKind::validation, "invalid_option", "db seed --products",
                          "must be between 1 and " + std::to_string(k_max_demo_products) +
                              ", got " + std::to_string(options.products));
    }
    auto lease = database.connection();

    // A large page cache keeps the index B-trees of the big tables in memory
    // while they grow; the default 2 MiB makes SQLite re-read them from the WAL.
    auto saved_cache = lease->query_integer("PRAGMA cache_size").value_or(-2000);
    lease->execute_script("PRAGMA cache_size = -131072");
    struct RestoreCache {
        Connection &c;
        int64_t pages;
        ~RestoreCache()
        {
            try {
                c.execute_script("PRAGMA cache_size = " + std::to_string(pages));
            } catch (...) {
            }
        }
    } restore{*lease, saved_cache};

    Seeder seeder(*lease, options);
    // The emptiness check and the first rows share one write transaction, so
    // of two seeds started together one waits and is then refused with this
    // message, not with a UNIQUE constraint failure on locations.id.
    Transaction first(*lease);
    if (auto empty = check_empty(*lease); !empty) {
        return empty.error();
    }
    seeder.seed_fixed_rows();
    first.commit();
    for (int64_t done = 0; done < options.products;) {
        Transaction batch(*lease);
        int64_t end =
            std::min(options.products, done + std::max<int64_t>(1, options.batch_products));
        for (int64_t id = done + 1; id <= end; ++id) {
            seeder.seed_product(id);
        }
        if (end == options.products) {
            seeder.finish();
        }
        batch.commit();
        done = end;
        if (on_batch) {
            on_batch(done);
        }
    }
    return seeder.counts();
}

} // namespace rcommerce::store
