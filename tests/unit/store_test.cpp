#include "core/store/database.hpp"
#include "core/store/migrations.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace rcommerce;
using namespace rcommerce::store;

namespace {

// A fresh folder per test, removed when the test object goes away.
struct TempDir {
    std::filesystem::path path;
    TempDir()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "rc-store.XXXXXX").string();
        path = ::mkdtemp(pattern.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

std::unique_ptr<Database> open_db(const std::filesystem::path &file, int64_t pool = 2)
{
    OpenOptions options;
    options.path = file;
    options.pool_size = pool;
    options.busy_timeout_ms = 200;
    auto db = Database::open(options);
    REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().why));
    return std::move(db).value();
}

std::unique_ptr<Database> migrated_db(const std::filesystem::path &file)
{
    auto db = open_db(file);
    auto applied = migrate(*db);
    REQUIRE_MESSAGE(applied.ok(), (applied.ok() ? "" : applied.error().why));
    return db;
}

Failure failure_of(const std::function<void()> &work)
{
    try {
        work();
    } catch (const DatabaseError &e) {
        return e.failure();
    }
    FAIL("expected a DatabaseError");
    return Failure::other;
}

int64_t add_variant(Connection &c, std::string_view sku, bool backorder = false)
{
    c.execute("INSERT INTO products (title) VALUES ('Mug')");
    c.execute("INSERT INTO variants (product_id, sku, price_amount, currency, allow_backorder) "
              "VALUES (?, ?, 1000, 'EUR', ?)",
              c.last_insert_id(), sku, backorder);
    return c.last_insert_id();
}

} // namespace

TEST_CASE("a new database is in WAL mode with foreign keys on")
{
    TempDir dir;
    auto db = open_db(dir.path / "a.db");
    auto c = db->connection();
    std::string mode;
    c->query("PRAGMA journal_mode", [&](const Row &row) { mode = row.text(0); });
    CHECK(mode == "wal");
    CHECK(c->query_integer("PRAGMA foreign_keys") == 1);
    CHECK(c->query_integer("PRAGMA synchronous") == 1); // NORMAL
}

TEST_CASE("synchronous FULL is applied when configured")
{
    TempDir dir;
    config::DatabaseConfig config;
    config.url = "sqlite://" + (dir.path / "f.db").string();
    config.synchronous = "full";
    auto db = Database::open(config);
    REQUIRE(db.ok());
    CHECK((*db)->connection()->query_integer("PRAGMA synchronous") == 2);
}

TEST_CASE("statements bind and read every type, NULL included")
{
    TempDir dir;
    auto db = open_db(dir.path / "a.db");
    auto c = db->connection();
    c->execute_script("CREATE TABLE t (i INTEGER, s TEXT, r REAL, n TEXT)");
    std::optional<std::string> none;
    CHECK(c->execute("INSERT INTO t VALUES (?, ?, ?, ?)", int64_t{-7}, "a'b,\"c\"\n", 1.5, none) ==
          1);
    CHECK(c->last_insert_id() == 1);
    auto statement = c->prepare("SELECT i, s, r, n FROM t WHERE s = :s");
    statement.bind(":s", "a'b,\"c\"\n");
    REQUIRE(statement.step());
    auto row = statement.row();
    CHECK(row.integer(0) == -7);
    CHECK(row.text(1) == "a'b,\"c\"\n");
    CHECK(row.real(2) == 1.5);
    CHECK(row.is_null(3));
    CHECK_FALSE(row.optional_text(3).has_value());
    CHECK(row.column_name(1) == "s");
    CHECK_THROWS_AS((void)row.integer(9), DatabaseError);
    CHECK_FALSE(statement.step());
}

TEST_CASE("a prepared statement is reused after reset")
{
    TempDir dir;
    auto db = open_db(dir.path / "a.db");
    auto c = db->connection();
    c->execute_script("CREATE TABLE t (i INTEGER)");
    auto insert = c->prepare("INSERT INTO t VALUES (?)");
    for (int64_t i = 0; i < 100; ++i) {
        insert.reset();
        insert.bind(1, i).execute();
    }
    int64_t sum = 0;
    c->query("SELECT i FROM t", [&](const Row &row) { sum += row.integer(0); });
    CHECK(sum == 4950);
}

TEST_CASE("compiled statements are reused, nested, reset and survive schema changes")
{
    TempDir dir;
    auto db = open_db(dir.path / "a.db", 1);
    auto c = db->connection();
    c->execute_script("CREATE TABLE t (i INTEGER)");
    c->execute("INSERT INTO t VALUES (?), (?)", 1, 2);
    // The same SQL inside a loop over itself gets its own handle.
    int64_t pairs = 0;
    c->query("SELECT i FROM t", [&](const Row &outer) {
        c->query("SELECT i FROM t",
                 [&](const Row &inner) { pairs += outer.integer(0) * 10 + inner.integer(0); });
    });
    CHECK(pairs == 11 + 12 + 21 + 22);
    // A statement given back half-read holds no read transaction, keeps no
    // bindings, and starts from the first row next time.
    {
        auto half = c->prepare("SELECT i FROM t WHERE i >= ? ORDER BY i");
        half.bind(1, 1);
        REQUIRE(half.step());
    }
    CHECK_FALSE(c->in_transaction());
    {
        auto again = c->prepare("SELECT i FROM t WHERE i >= ? ORDER BY i");
        again.bind(1, 2);
        REQUIRE(again.step());
        CHECK(again.row().integer(0) == 2);
    }
    // A writer on another connection is not blocked by the cached reader.
    auto other = open_db(dir.path / "a.db", 1);
    other->connection()->execute("INSERT INTO t VALUES (3)");
    // A cached statement recompiles after the schema changes under it.
    CHECK(c->query_integer("SELECT count(*) FROM t") == 3);
    other->connection()->execute_script("ALTER TABLE t ADD COLUMN j INTEGER DEFAULT 7");
    c->query("SELECT * FROM t", [&](const Row &row) { CHECK(row.column_count() == 2); });
    // More distinct statements than the cache holds still all run.
    int64_t total = 0;
    for (int i = 0; i < 300; ++i) {
        total += c->query_integer("SELECT " + std::to_string(i)).value_or(0);
    }
    CHECK(total == 299 * 300 / 2);
    // Dropping a table that cached statements read is allowed.
    c->execute_script("DROP TABLE t");
    CHECK_THROWS_AS((void)c->query_integer("SELECT count(*) FROM t"), DatabaseError);
}

TEST_CASE("a transaction not committed is rolled back")
{
    TempDir dir;
    auto db = open_db(dir.path / "a.db");
    auto c = db->connection();
    c->execute_script("CREATE TABLE t (i INTEGER)");
    {
        Transaction transaction(*c);
        c->execute("INSERT INTO t VALUES (1)");
    }
    CHECK(c->query_integer("SELECT count(*) FROM t") == 0);
    CHECK_FALSE(c->in_transaction());
    db->write([](Connection &w) { w.execute("INSERT INTO t VALUES (2)"); });
    CHECK(c->query_integer("SELECT count(*) FROM t") == 1);
    CHECK_THROWS(db->write([](Connection &w) {
        w.execute("INSERT INTO t VALUES (3)");
        throw std::runtime_error("abandon");
    }));
    CHECK(c->query_integer("SELECT count(*) FROM t") == 1);
}

TEST_CASE("a second writer gets a busy failure once the timeout passes")
{
    TempDir dir;
    auto db = open_db(dir.path / "a.db");
    auto first = db->connection();
    auto second = db->connection();
    first->execute_script("CREATE TABLE t (i INTEGER)");
    Transaction holding(*first);
    auto failure = failure_of([&] { Transaction waiting(*second); });
    CHECK(failure == Failure::busy);
}

TEST_CASE("the pool hands a returned connection to a waiting thread")
{
    TempDir dir;
    auto db = open_db(dir.path / "a.db", 1);
    auto lease = std::make_unique<ConnectionLease>(db->connection());
    std::atomic<bool> got{false};
    std::thread waiter([&] {
        auto other = db->connection();
        got = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK_FALSE(got.load());
    lease.reset();
    waiter.join();
    CHECK(got.load());
}

TEST_CASE("opening explains bad URLs, missing folders, directories and non-databases")
{
    TempDir dir;
    config::DatabaseConfig config;
    config.url = "postgres://x";
    auto bad_url = Database::open(config);
    REQUIRE_FALSE(bad_url.ok());
    CHECK(bad_url.error().kind == ErrorKind::validation);

    config.url = "sqlite://" + (dir.path / "missing" / "x.db").string();
    auto missing = Database::open(config);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().why.find("does not exist") != std::string::npos);

    config.url = "sqlite://" + dir.path.string();
    auto directory = Database::open(config);
    REQUIRE_FALSE(directory.ok());
    CHECK(directory.error().why.find("directory") != std::string::npos);

    auto junk = dir.path / "junk.db";
    std::ofstream(junk) << std::string(4096, 'x');
    config.url = "sqlite://" + junk.string();
    auto not_db = Database::open(config);
    REQUIRE_FALSE(not_db.ok());
    CHECK(not_db.error().why.find("not a SQLite database") != std::string::npos);
    CHECK(not_db.error().kind == ErrorKind::validation);

    config.url = "sqlite://" + (dir.path / "absent.db").string();
    auto absent = Database::open(config, OpenMode::existing);
    REQUIRE_FALSE(absent.ok());
    CHECK(absent.error().hint.find("db migrate") != std::string::npos);
}

TEST_CASE("the initial schema holds its invariants")
{
    TempDir dir;
    auto db = migrated_db(dir.path / "a.db");
    auto c = db->connection();
    auto variant = add_variant(*c, "MUG-1");
    c->execute("INSERT INTO locations (code, name) VALUES ('main', 'Main')");
    auto location = c->last_insert_id();

    SUBCASE("a SKU is unique")
    {
        CHECK(failure_of([&] { add_variant(*c, "MUG-1"); }) == Failure::constraint);
    }
    SUBCASE("stock is never negative")
    {
        CHECK(failure_of([&] {
                  c->execute("INSERT INTO inventory_levels (variant_id, location_id, on_hand) "
                             "VALUES (?, ?, -1)",
                             variant, location);
              }) == Failure::constraint);
    }
    SUBCASE("reserved stays within on_hand without backorders")
    {
        c->execute("INSERT INTO inventory_levels (variant_id, location_id, on_hand) "
                   "VALUES (?, ?, 3)",
                   variant, location);
        CHECK(failure_of([&] {
                  c->execute("UPDATE inventory_levels SET reserved = 4 WHERE variant_id = ?",
                             variant);
              }) == Failure::constraint);
        c->execute("UPDATE inventory_levels SET reserved = 3 WHERE variant_id = ?", variant);
    }
    SUBCASE("reserved may exceed on_hand when the SKU allows backorders")
    {
        auto backordered = add_variant(*c, "MUG-2", true);
        c->execute("INSERT INTO inventory_levels (variant_id, location_id, on_hand, reserved) "
                   "VALUES (?, ?, 1, 5)",
                   backordered, location);
        CHECK(failure_of([&] {
                  c->execute("UPDATE variants SET allow_backorder = 0 WHERE id = ?", backordered);
              }) == Failure::constraint);
    }
    SUBCASE("the movement ledger is append-only")
    {
        c->execute("INSERT INTO stock_movements (variant_id, location_id, quantity, reason) "
                   "VALUES (?, ?, 5, 'receive')",
                   variant, location);
        CHECK(failure_of([&] { c->execute("UPDATE stock_movements SET quantity = 6"); }) ==
              Failure::constraint);
        CHECK(failure_of([&] { c->execute("DELETE FROM stock_movements"); }) ==
              Failure::constraint);
    }
    SUBCASE("a webhook event is recorded once per provider")
    {
        c->execute("INSERT INTO processed_webhook_events (provider, event_id) "
                   "VALUES ('stripe', 'evt_1')");
        CHECK(failure_of([&] {
                  c->execute("INSERT INTO processed_webhook_events (provider, event_id) "
                             "VALUES ('stripe', 'evt_1')");
              }) == Failure::constraint);
    }
    SUBCASE("foreign keys are enforced")
    {
        CHECK(failure_of([&] {
                  c->execute("INSERT INTO inventory_levels (variant_id, location_id) "
                             "VALUES (999, ?)",
                             location);
              }) == Failure::constraint);
    }
}

namespace {

// Sets RCOMMERCE_TEST_EXTRA_MIGRATIONS for one test.
struct ExtraMigrations {
    explicit ExtraMigrations(const char *folder)
    {
        ::setenv(k_extra_migrations_env,
                 (std::string(RCOMMERCE_TEST_DATA) + "/store/" + folder).c_str(), 1);
    }
    ~ExtraMigrations() { ::unsetenv(k_extra_migrations_env); }
};

} // namespace

TEST_CASE("the embedded migrations start at 1 with both scripts and a checksum")
{
    auto known = known_migrations();
    REQUIRE(known.ok());
    REQUIRE_FALSE(known->empty());
    CHECK(known->front().version == 1);
    CHECK(known->front().name == "initial");
    CHECK(known->front().up_sql.find("CREATE TABLE products") != std::string::npos);
    CHECK(known->front().down_sql.find("DROP TABLE products") != std::string::npos);
    CHECK(known->front().checksum.size() == 64);
    for (size_t i = 1; i < known->size(); ++i) {
        CHECK((*known)[i].version > (*known)[i - 1].version);
    }
}

TEST_CASE("check_current names pending migrations; prepare_schema applies them on request")
{
    TempDir dir;
    auto db = open_db(dir.path / "a.db");
    auto current = check_current(*db);
    REQUIRE_FALSE(current.ok());
    CHECK(current.error().code == "migrations_pending");
    CHECK(current.error().why.find("0001_initial") != std::string::npos);

    auto refused = prepare_schema(*db, PendingMigrations::refuse);
    CHECK_FALSE(refused.ok());
    auto applied = prepare_schema(*db, PendingMigrations::apply);
    REQUIRE(applied.ok());
    CHECK(applied->size() == known_migrations()->size());
    CHECK(check_current(*db).ok());
    CHECK(prepare_schema(*db, PendingMigrations::refuse).ok());
}

TEST_CASE("migrate and rollback move one version at a time and report it")
{
    ExtraMigrations extra("extra");
    TempDir dir;
    auto db = open_db(dir.path / "a.db");
    std::vector<int64_t> seen;
    auto applied = migrate(*db, 1, [&](const Migration &m) { seen.push_back(m.version); });
    REQUIRE(applied.ok());
    CHECK(seen == std::vector<int64_t>{1});
    auto report = schema_report(*db);
    REQUIRE(report.ok());
    CHECK(report->database_version == 1);
    CHECK(report->binary_version == 900);
    CHECK(report->any(MigrationState::pending));

    REQUIRE(migrate(*db).ok());
    CHECK(schema_report(*db)->database_version == 900);
    auto undone = rollback(*db, 1);
    REQUIRE(undone.ok());
    REQUIRE(undone->size() == 1);
    CHECK(undone->front().version == 900);
    CHECK(schema_report(*db)->database_version == 2);
}

TEST_CASE("a failing migration stops the run and leaves the previous version")
{
    ExtraMigrations extra("failing");
    TempDir dir;
    auto db = open_db(dir.path / "a.db");
    auto applied = migrate(*db);
    REQUIRE_FALSE(applied.ok());
    CHECK(applied.error().what.find("0901_breaks_halfway") != std::string::npos);
    CHECK(schema_report(*db)->database_version == 900);
    CHECK(db->connection()->query_integer(
              "SELECT count(*) FROM sqlite_master WHERE name = 'test_half'") == 0);
}

TEST_CASE("a database newer than the binary is refused with both versions")
{
    TempDir dir;
    auto db = migrated_db(dir.path / "a.db");
    db->connection()->execute("INSERT INTO schema_migrations VALUES (77, 'later', 'x', 'now')");
    auto newer = check_not_newer(*db);
    REQUIRE_FALSE(newer.ok());
    CHECK(newer.error().code == "database_too_new");
    CHECK(newer.error().why.find("77") != std::string::npos);
    CHECK_FALSE(migrate(*db).ok());
    CHECK_FALSE(rollback(*db, 1).ok());
    auto report = schema_report(*db);
    REQUIRE(report.ok());
    CHECK(report->any(MigrationState::unknown));
}

TEST_CASE("a changed checksum shows as modified and blocks migrate")
{
    TempDir dir;
    auto db = migrated_db(dir.path / "a.db");
    db->connection()->execute("UPDATE schema_migrations SET checksum = 'edited'");
    auto report = schema_report(*db);
    REQUIRE(report.ok());
    CHECK(report->migrations.front().state == MigrationState::modified);
    auto again = migrate(*db);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == "migrations_modified");
    CHECK_FALSE(check_current(*db).ok());
}
