#include "core/store/database.hpp"
#include "core/store/demo_seed.hpp"
#include "core/store/migrations.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <unistd.h>

using namespace rcommerce;
using namespace rcommerce::store;

namespace {

struct SeededDb {
    std::filesystem::path dir;
    std::unique_ptr<Database> db;
    explicit SeededDb(DemoSeedOptions options)
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "rc-seed.XXXXXX").string();
        dir = ::mkdtemp(pattern.data());
        OpenOptions open;
        open.path = dir / "demo.db";
        db = std::move(Database::open(open)).value();
        REQUIRE(migrate(*db).ok());
        auto counts = seed_demo(*db, options);
        REQUIRE_MESSAGE(counts.ok(), (counts.ok() ? "" : counts.error().why));
    }
    ~SeededDb()
    {
        db.reset();
        std::filesystem::remove_all(dir);
    }
    int64_t count(std::string_view sql) { return db->connection()->query_integer(sql).value(); }
};

DemoSeedOptions small()
{
    DemoSeedOptions options;
    options.products = 150;
    options.anchor_unix = 1796083200; // 2026-12-01
    options.batch_products = 40;      // several batches, an order spanning two
    return options;
}

} // namespace

TEST_CASE("the demo seed writes a consistent catalogue, ledger and order history")
{
    SeededDb seeded(small());
    CHECK(seeded.count("SELECT count(*) FROM products") == 150);
    CHECK(seeded.count("SELECT count(*) FROM locations") >= 2);
    CHECK(seeded.count("SELECT count(*) FROM inventory_levels l WHERE on_hand <> coalesce("
                       "(SELECT sum(quantity) FROM stock_movements m WHERE m.variant_id = "
                       "l.variant_id AND m.location_id = l.location_id), 0)") == 0);
    CHECK(seeded.count(
              "SELECT count(*) FROM inventory_levels l WHERE reserved <> coalesce("
              "(SELECT sum(quantity) FROM reservations r WHERE r.variant_id = "
              "l.variant_id AND r.location_id = l.location_id AND status = 'active'), 0)") == 0);
    CHECK(seeded.count("SELECT count(*) FROM orders o WHERE total_amount <> "
                       "(SELECT sum(line_total_amount) FROM order_lines WHERE order_id = o.id)") ==
          0);
    CHECK(seeded.count("SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id "
                       "WHERE l.currency <> o.currency") == 0);
    CHECK(seeded.count("SELECT count(*) FROM pragma_foreign_key_check") == 0);
    CHECK(seeded.count("SELECT count(DISTINCT state) FROM orders") >= 4);
}

TEST_CASE("the same seed gives the same data; another seed different data")
{
    SeededDb a(small());
    SeededDb b(small());
    auto options = small();
    options.seed = 2;
    SeededDb c(options);
    auto digest = [](SeededDb &s) {
        std::string all;
        s.db->connection()->query(
            "SELECT sku || price_amount || unit_cost_amount FROM variants ORDER BY id",
            [&](const Row &row) { all += row.text(0); });
        s.db->connection()->query("SELECT variant_id || on_hand || reserved FROM inventory_levels "
                                  "ORDER BY variant_id, location_id",
                                  [&](const Row &row) { all += row.text(0); });
        return all;
    };
    CHECK(digest(a) == digest(b));
    CHECK(digest(a) != digest(c));
}
