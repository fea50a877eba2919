// The store-backed commerce services against a fresh SQLite file per test:
// catalogue, stock adjustments and alerts, orders with all-or-nothing
// reservation, expiry, manual payments and refunds, API keys, idempotency.
#include "core/auth/key_cache.hpp"
#include "core/auth/key_store.hpp"
#include "core/catalog/catalog.hpp"
#include "core/idempotency/key_store.hpp"
#include "core/inventory/stock.hpp"
#include "core/orders/order_service.hpp"
#include "core/payments/manual_payment.hpp"
#include "core/payments/refunds.hpp"
#include "core/store/database.hpp"
#include "core/store/migrations.hpp"
#include "core/util/time.hpp"

#include "tests/unit/shop.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace rcommerce;
using rcommerce::test::Shop;

TEST_CASE("an order reserves every line or nothing")
{
    Shop shop;
    shop.sku("A", 3);
    shop.sku("B", 1);

    auto same_sku = shop.order({{"A", 2}, {"A", 2}});
    REQUIRE_FALSE(same_sku.ok());
    CHECK(same_sku.error().code == "insufficient_stock");
    auto one_short = shop.order({{"A", 1}, {"B", 2}});
    CHECK(one_short.error().code == "insufficient_stock");
    CHECK(shop.level("A").reserved == 0);
    CHECK(shop.level("B").reserved == 0);
    CHECK(shop.count("orders") == 0);
    CHECK(shop.count("order_lines") == 0);

    auto fits = shop.order({{"A", 2}, {"B", 1}});
    REQUIRE(fits.ok());
    CHECK(fits->state == orders::OrderState::awaiting_payment);
    CHECK(fits->total == 3000);
    CHECK(shop.level("A").reserved == 2);
}

TEST_CASE("lines of one SKU count together, over every location")
{
    Shop shop;
    shop.sku("TEE", 20);
    catalog::LocationInput wh2{std::string("WH2"), std::string("Shop"), std::nullopt};
    REQUIRE(catalog::create_location(*shop.db, wh2).ok());
    REQUIRE(inventory::adjust_stock(*shop.db, shop.inventory,
                                    {"TEE", "WH2", "", inventory::Reason::receive, 3, ""})
                .ok());
    auto reserved = [&] {
        int64_t sum = 0;
        auto levels = inventory::get_levels(*shop.db, shop.inventory, "TEE").value();
        for (const auto &level : levels) {
            sum += level.reserved;
        }
        return sum;
    };

    auto twice = shop.order({{"TEE", 20}, {"TEE", 20}});
    REQUIRE_FALSE(twice.ok());
    CHECK(twice.error().code == "insufficient_stock");
    CHECK(twice.error().why.rfind("23 available, 40 requested", 0) == 0);
    CHECK(twice.error().why.find("2 lines of TEE") != std::string::npos);
    CHECK(reserved() == 0);
    CHECK(shop.count("orders") == 0);

    auto draft = shop.order({{"TEE", 20}, {"TEE", 4}}, false).value();
    auto placed = orders::place_order(*shop.db, shop.inventory, draft.id);
    REQUIRE_FALSE(placed.ok());
    CHECK(placed.error().why.rfind("23 available, 24 requested", 0) == 0);
    CHECK(reserved() == 0);
    CHECK(shop.count("reservations") == 0);

    auto fits = shop.order({{"TEE", 20}, {"TEE", 3}});
    REQUIRE(fits.ok());
    CHECK(reserved() == 23);
    CHECK(shop.count("reservations") == 2); // 20 from WH1, then 3 from WH2
    auto one_more = shop.order({{"TEE", 1}});
    REQUIRE_FALSE(one_more.ok());
    CHECK(one_more.error().why == "0 available, 1 requested");
}

TEST_CASE("concurrent checkouts never oversell")
{
    Shop shop;
    shop.sku("LAST", 10);
    std::atomic<int> created{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            for (int j = 0; j < 4; ++j) {
                if (shop.order({{"LAST", 1}}).ok()) {
                    ++created;
                }
            }
        });
    }
    for (auto &thread : threads) {
        thread.join();
    }
    CHECK(created == 10);
    CHECK(shop.level("LAST").reserved == 10);
    CHECK(shop.level("LAST").on_hand == 10);
}

TEST_CASE("cancelling releases once, and a pending order releases nothing")
{
    Shop shop;
    shop.sku("C", 5);
    auto held = shop.order({{"C", 2}}).value();
    auto draft = shop.order({{"C", 3}}, false).value();
    CHECK(draft.state == orders::OrderState::pending);
    CHECK(orders::cancel_order(*shop.db, shop.inventory, draft.id).ok());
    CHECK(shop.level("C").reserved == 2);

    CHECK(orders::cancel_order(*shop.db, shop.inventory, held.id).ok());
    CHECK(shop.level("C").reserved == 0);
    auto again = orders::cancel_order(*shop.db, shop.inventory, held.id);
    CHECK(again.error().code == "invalid_transition");
    CHECK(shop.level("C").reserved == 0);
}

TEST_CASE("paying converts reservations into a sale; refunds stop at what was captured")
{
    Shop shop;
    shop.sku("P", 4, 10000);
    auto order = shop.order({{"P", 1}}).value();
    auto payment = payments::pay_manually(*shop.db, shop.inventory, order.id);
    REQUIRE(payment.ok());
    CHECK(payment->amount.amount == 10000);
    CHECK(shop.level("P").on_hand == 3);
    CHECK(shop.level("P").reserved == 0);
    CHECK(orders::get_order(*shop.db, order.id)->state == orders::OrderState::paid);

    auto eur = *money::find_currency("EUR");
    CHECK(
        payments::refund_order(*shop.db, shop.inventory, nullptr, order.id, {9999, eur}, "damaged")
            .ok());
    auto refused =
        payments::refund_order(*shop.db, shop.inventory, nullptr, order.id, {500, eur}, "");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "refund_exceeds_refundable");
    CHECK(refused.error().why.find("0.01") != std::string::npos);
    CHECK(orders::get_order(*shop.db, order.id)->refunded == 9999);
}

TEST_CASE("the expiry job releases overdue reservations and cancels their orders")
{
    Shop shop;
    shop.sku("E", 5);
    auto order = shop.order({{"E", 2}}).value();
    CHECK(inventory::expire_reservations(*shop.db, shop.inventory, util::unix_now()) == 0);
    CHECK(shop.level("E").reserved == 2);
    int64_t later = util::unix_now() + shop.inventory.reservation_ttl_minutes * 60 + 1;
    CHECK(inventory::expire_reservations(*shop.db, shop.inventory, later) == 1);
    CHECK(shop.level("E").reserved == 0);
    CHECK(orders::get_order(*shop.db, order.id)->state == orders::OrderState::cancelled);
    CHECK(inventory::expire_reservations(*shop.db, shop.inventory, later) == 0);
    auto pay = payments::pay_manually(*shop.db, shop.inventory, order.id);
    CHECK(pay.error().code == "invalid_transition");
}

TEST_CASE("adjustments keep the ledger equal to on_hand and refuse going below reserved")
{
    Shop shop;
    shop.sku("L", 10);
    REQUIRE(shop.order({{"L", 6}}).ok());
    auto lost = shop.adjust("L", inventory::Reason::lost, 5);
    CHECK(lost.error().code == "insufficient_stock");
    CHECK(shop.adjust("L", inventory::Reason::lost, 4).ok());
    CHECK(shop.adjust("L", inventory::Reason::adjust, 0).error().code == "validation_failed");
    auto lease = shop.db->connection();
    CHECK(lease->query_integer("SELECT sum(quantity) FROM stock_movements") == 6);
    CHECK(shop.level("L").on_hand == 6);
}

TEST_CASE("an alert is written on crossing into a worse level, not again until recovered")
{
    Shop shop;
    shop.inventory.low_stock_threshold = 10;
    shop.sku("S", 20);
    auto alerts = [&] { return shop.count("low_stock_alerts"); };
    CHECK(shop.adjust("S", inventory::Reason::lost, 10).ok()); // 10: low
    CHECK(alerts() == 1);
    CHECK(shop.adjust("S", inventory::Reason::lost, 1).ok()); // 9: still low
    CHECK(alerts() == 1);
    CHECK(shop.adjust("S", inventory::Reason::lost, 4).ok()); // 5: critical
    CHECK(alerts() == 2);
    CHECK(shop.adjust("S", inventory::Reason::found, 2).ok()); // 7: better, not ok
    CHECK(alerts() == 2);
    CHECK(shop.adjust("S", inventory::Reason::receive, 10).ok()); // 17: ok
    auto lease = shop.db->connection();
    CHECK(lease->query_integer("SELECT count(*) FROM low_stock_alerts WHERE resolved_at IS NULL") ==
          0);
}

TEST_CASE("API keys authenticate until revoked; the store keeps only a hash")
{
    Shop shop;
    auth::Scopes scopes = auth::parse_scopes("read,write").value();
    auto created = auth::create_key(*shop.db, "ci", scopes, auth::KeyMode::test).value();
    CHECK(created.key.rfind("rk_test_", 0) == 0);
    auto found = auth::authenticate(*shop.db, created.key);
    REQUIRE(found.ok());
    CHECK(found->scopes.has(auth::Scope::write));
    CHECK_FALSE(found->scopes.has(auth::Scope::admin));
    std::string forged = created.key;
    forged.back() = forged.back() == 'a' ? 'b' : 'a';
    CHECK(auth::authenticate(*shop.db, forged).error().code == "invalid_api_key");
    CHECK(auth::revoke_key(*shop.db, created.stored.prefix).ok());
    CHECK(auth::authenticate(*shop.db, created.key).error().code == "invalid_api_key");
    CHECK(auth::revoke_key(*shop.db, "nope").error().code == "api_key_not_found");
}

TEST_CASE("a verified key is answered from the cache until it expires, and only when it matches")
{
    Shop shop;
    auto scopes = auth::parse_scopes("read").value();
    auto created = auth::create_key(*shop.db, "cached", scopes, auth::KeyMode::test).value();
    auth::VerifiedKeyCache cache(std::chrono::seconds(5));
    REQUIRE(auth::authenticate(*shop.db, created.key, &cache).ok());
    CHECK(cache.size() == 1);
    // A wrong secret with the right prefix is never a cache hit.
    std::string forged = created.key;
    forged.back() = forged.back() == 'a' ? 'b' : 'a';
    CHECK(auth::authenticate(*shop.db, forged, &cache).error().code == "invalid_api_key");
    auto prefix = created.stored.prefix;
    auto hash = auth::hash_api_key(created.key);
    auto now = auth::VerifiedKeyCache::Clock::now();
    CHECK_FALSE(cache.find(prefix, auth::hash_api_key(forged), now).has_value());
    // Revoked elsewhere (another process): still served within the TTL,
    // refused once the entry is older than the TTL.
    CHECK(auth::revoke_key(*shop.db, prefix).ok());
    CHECK(auth::authenticate(*shop.db, created.key, &cache).ok());
    CHECK(cache.find(prefix, hash, now + std::chrono::seconds(4)).has_value());
    CHECK_FALSE(cache.find(prefix, hash, now + std::chrono::seconds(6)).has_value());
    // Without a cache (or with it off) the revocation applies at once.
    CHECK(auth::authenticate(*shop.db, created.key).error().code == "invalid_api_key");
    auth::VerifiedKeyCache off(std::chrono::seconds(0));
    CHECK(auth::authenticate(*shop.db, created.key, &off).error().code == "invalid_api_key");
    CHECK(off.size() == 0);
    // A revoked key is never remembered, and the capacity bounds the size.
    auth::VerifiedKeyCache small(std::chrono::seconds(5), 2);
    auto revoked = auth::revoke_key(*shop.db, prefix).value().stored;
    small.remember(revoked, hash, now);
    CHECK(small.size() == 0);
    for (int i = 0; i < 5; ++i) {
        auth::StoredKey key;
        key.prefix = "rk_test_" + std::to_string(i);
        small.remember(key, hash, now);
        CHECK(small.size() <= 2);
    }
}

TEST_CASE("an idempotency key replays, refuses another request, and reports one in flight")
{
    Shop shop;
    auto first = idempotency::begin(*shop.db, "k1", "abc", "fp1").value();
    CHECK(first.outcome == idempotency::Claim::Outcome::owner);
    CHECK(idempotency::begin(*shop.db, "k1", "abc", "fp1").error().code ==
          "idempotency_key_in_use");
    idempotency::finish(*shop.db, "k1", "abc", {201, "application/json", "{\"id\":1}"});
    auto replay = idempotency::begin(*shop.db, "k1", "abc", "fp1").value();
    CHECK(replay.outcome == idempotency::Claim::Outcome::replay);
    CHECK(replay.response.body == "{\"id\":1}");
    CHECK(replay.response.status == 201);
    CHECK(idempotency::begin(*shop.db, "k1", "abc", "fp2").error().code ==
          "idempotency_key_reused");
    CHECK(idempotency::begin(*shop.db, "k2", "abc", "fp2")->outcome ==
          idempotency::Claim::Outcome::owner);
    CHECK(idempotency::purge_expired(*shop.db, util::unix_now() + 25 * 3600) == 2);
}

TEST_CASE("a key whose first request died with its process is reported interrupted, not running")
{
    Shop shop;
    // A process that has exited, and an earlier process that had our pid
    // (as pid 1 does after every restart in a container).
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::_exit(0);
    }
    REQUIRE(::waitpid(child, nullptr, 0) == child);
    for (const auto &dead :
         {std::to_string(child) + ":0badc0ffee", std::to_string(::getpid()) + ":0ldpr0cess"}) {
        CAPTURE(dead);
        REQUIRE(idempotency::begin(*shop.db, "k1", dead, "fp1", dead).ok());
        auto again = idempotency::begin(*shop.db, "k1", dead, "fp1");
        REQUIRE_FALSE(again.ok());
        CHECK(again.error().code == "idempotency_key_interrupted");
        CHECK(again.error().why.find("may or may not have taken effect") != std::string::npos);
        CHECK(again.error().hint.find("new Idempotency-Key") != std::string::npos);
        // Another request under the key is still told apart.
        CHECK(idempotency::begin(*shop.db, "k1", dead, "fp2").error().code ==
              "idempotency_key_reused");
    }
    // A live process other than this one (a second serve on the file) is
    // still running its request.
    std::string parent = std::to_string(::getppid()) + ":5ec0ndserve";
    REQUIRE(idempotency::begin(*shop.db, "k1", "live", "fp1", parent).ok());
    CHECK(idempotency::begin(*shop.db, "k1", "live", "fp1").error().code ==
          "idempotency_key_in_use");
}

TEST_CASE("placing an order that already holds its stock reserves nothing more")
{
    Shop shop;
    shop.sku("D", 5);
    auto held = shop.order({{"D", 2}}).value();
    CHECK(shop.level("D").reserved == 2);

    auto again = orders::place_order(*shop.db, shop.inventory, held.id);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == "invalid_transition");
    CHECK(shop.level("D").reserved == 2);
    CHECK(shop.count("reservations") == 1);

    auto draft = shop.order({{"D", 1}}, false).value();
    REQUIRE(orders::place_order(*shop.db, shop.inventory, draft.id).ok());
    CHECK(shop.level("D").reserved == 3);
    CHECK(orders::place_order(*shop.db, shop.inventory, draft.id).error().code ==
          "invalid_transition");
    CHECK(shop.level("D").reserved == 3);
}

TEST_CASE("a variant's price cannot change currency without a unit cost in that currency")
{
    Shop shop;
    shop.sku("CUR", 0);
    catalog::Variant variant;
    {
        auto lease = shop.db->connection();
        variant = catalog::find_variant_by_sku(*lease, "CUR").value();
    }
    auto usd = *money::find_currency("USD");

    catalog::VariantChanges relabel;
    relabel.price = money::Money{500, usd};
    auto refused = catalog::update_variant(*shop.db, variant.id, relabel);
    REQUIRE_FALSE(refused.ok());
    REQUIRE(refused.error().fields.size() == 1);
    CHECK(refused.error().fields[0].field == "unit_cost");

    catalog::VariantChanges wrong_cost = relabel;
    wrong_cost.unit_cost = money::Money{300, *money::find_currency("EUR")};
    auto mismatch = catalog::update_variant(*shop.db, variant.id, wrong_cost);
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().fields[0].field == "unit_cost.currency");

    catalog::VariantChanges both = relabel;
    both.unit_cost = money::Money{300, usd};
    auto changed = catalog::update_variant(*shop.db, variant.id, both);
    REQUIRE(changed.ok());
    CHECK(changed->price.currency == usd);
    CHECK(changed->unit_cost == 300);
}

TEST_CASE("text fields are measured in characters and refuse control characters")
{
    Shop shop;
    auto field_message = [](const auto &result) {
        REQUIRE_FALSE(result.ok());
        REQUIRE(result.error().fields.size() == 1);
        return result.error().fields[0].field + ": " + result.error().fields[0].message;
    };

    // 300 characters of two bytes each: within the 500-character limit.
    std::string accented;
    for (int i = 0; i < 300; ++i) {
        accented += "\xc3\xa9";
    }
    catalog::ProductInput product;
    product.title = accented;
    product.description = "Soft cotton.\nMachine wash at 30\xc2\xb0"
                          "C.\r\n\n- 100% cotton\t(organic)";
    auto created = catalog::create_product(*shop.db, product);
    REQUIRE(created.ok());
    CHECK(created->title == accented);
    CHECK(created->description == product.description);

    product.title = "two\nlines";
    CHECK(field_message(catalog::create_product(*shop.db, product)) ==
          "title: must not contain control characters (line breaks included)");
    product.title = "ok";
    product.description = std::string("nul\0byte", 8);
    CHECK(field_message(catalog::create_product(*shop.db, product))
              .rfind("description: must not", 0) == 0);

    // An e-mail with a NUL used to pass the check and break the table's
    // CHECK, which was then reported as "already exists".
    catalog::CustomerInput customer;
    customer.email = std::string("n\0ul@example.com", 16);
    CHECK(field_message(catalog::create_customer(*shop.db, customer)) ==
          "email: must not contain spaces or control characters");
    customer.email = "tab\there@example.com";
    CHECK(field_message(catalog::create_customer(*shop.db, customer)) ==
          "email: must not contain spaces or control characters");
    customer.email = std::string(250, 'a') + "@b.cd";
    CHECK(field_message(catalog::create_customer(*shop.db, customer)) ==
          "email: must be at most 254 characters long (RFC 5321)");
    customer.email = "zo\xc3\xab@example.com";
    CHECK(catalog::create_customer(*shop.db, customer).ok());

    auto reference = inventory::adjust_stock(
        *shop.db, shop.inventory,
        {"NOPE", "WH1", "", inventory::Reason::receive, 1, std::string("a\0b", 3)});
    CHECK(field_message(reference) ==
          "reference: must not contain control characters (line breaks included)");
}

TEST_CASE("an order whose total would leave the largest amount names the line and the amounts")
{
    Shop shop;
    shop.sku("HUGE", 10, 400'000'000'000'000); // 4 000 000 000 000.00 EUR
    shop.sku("ONE", 10, 100);
    auto line = shop.order({{"ONE", 1}, {"HUGE", 3}});
    REQUIRE_FALSE(line.ok());
    CHECK(line.error().code == "amount_overflow");
    REQUIRE(line.error().fields.size() == 1);
    CHECK(line.error().fields[0].field == "lines[1].quantity");
    CHECK(line.error().why == "lines[1].quantity: brings the line's total above the largest "
                              "amount, 10000000000000.00 EUR (3 x 4000000000000.00 EUR)");
    CHECK(line.error().hint == "lower the quantity or split the order");
    auto whole = shop.order({{"HUGE", 2}, {"ONE", 1}, {"HUGE", 1}});
    REQUIRE_FALSE(whole.ok());
    CHECK(whole.error().why == "lines[2].quantity: brings the order's total above the largest "
                               "amount, 10000000000000.00 EUR (1 x 4000000000000.00 EUR)");
    CHECK(shop.level("HUGE").reserved == 0);
    CHECK(shop.order({{"HUGE", 2}}).ok());
}

TEST_CASE("reading a SKU's level at a location where it was never stocked writes nothing")
{
    Shop shop;
    shop.sku("GHOST", 0);
    auto lease = shop.db->connection();
    // Another writer holds the write lock: a read must not need it.
    store::Transaction writer(*lease);
    auto levels = inventory::get_levels(*shop.db, shop.inventory, "GHOST", std::string("WH1"));
    REQUIRE(levels.ok());
    REQUIRE(levels->size() == 1);
    CHECK(levels->front().sku == "GHOST");
    CHECK(levels->front().location_code == "WH1");
    CHECK(levels->front().on_hand == 0);
    CHECK(levels->front().level == inventory::StockLevel::out);
    CHECK(levels->front().threshold == shop.inventory.low_stock_threshold);
    writer.rollback();
    CHECK(lease->query_integer("SELECT count(*) FROM inventory_levels") == 0);
    CHECK(inventory::get_levels(*shop.db, shop.inventory, "GHOST", std::string("NOPE"))
              .error()
              .code == "location_not_found");
}

TEST_CASE("a paid backorder keeps its missing units reserved until they are received")
{
    Shop shop;
    catalog::ProductInput product;
    product.title = "Made to order";
    catalog::VariantInput variant;
    variant.sku = "BO";
    variant.price = {500, *money::find_currency("EUR")};
    variant.allow_backorder = true;
    product.variants.push_back(variant);
    REQUIRE(catalog::create_product(*shop.db, product).ok());
    REQUIRE(shop.adjust("BO", inventory::Reason::receive, 2).ok());

    auto order = shop.order({{"BO", 5}}).value();
    CHECK(shop.level("BO").reserved == 5);
    REQUIRE(payments::pay_manually(*shop.db, shop.inventory, order.id).ok());
    // The 2 on hand are sold; the 3 missing stay reserved for this order.
    auto level = shop.level("BO");
    CHECK(level.on_hand == 0);
    CHECK(level.reserved == 3);
    CHECK_FALSE(orders::get_order(*shop.db, order.id)->reservations_expire_at);
    // The expiry job leaves a paid order's held units alone.
    int64_t later = util::unix_now() + (shop.inventory.reservation_ttl_minutes + 1) * 60;
    CHECK(inventory::expire_reservations(*shop.db, shop.inventory, later) == 0);
    CHECK(shop.level("BO").reserved == 3);

    // Not there yet: the order cannot be fulfilled, and nothing changes.
    auto early = orders::fulfil_order(*shop.db, shop.inventory, order.id);
    REQUIRE_FALSE(early.ok());
    CHECK(early.error().code == "insufficient_stock");
    CHECK(early.error().why == "3 of BO are backordered for this order at WH1; 0 of the 0 on "
                               "hand there are not held for earlier orders");
    CHECK(orders::get_order(*shop.db, order.id)->state == orders::OrderState::paid);

    // A receipt of 10 fills the backorder first: only 7 are for others.
    REQUIRE(shop.adjust("BO", inventory::Reason::receive, 10).ok());
    CHECK(shop.level("BO").available == 7);
    auto other = shop.order({{"BO", 7}}).value();
    CHECK(shop.level("BO").available == 0);

    // Another backorder paid now gets none of the units held for the others.
    auto late = shop.order({{"BO", 3}}).value();
    REQUIRE(payments::pay_manually(*shop.db, shop.inventory, late.id).ok());
    CHECK(shop.level("BO").on_hand == 10);
    CHECK(shop.level("BO").reserved == 13);

    auto fulfilled = orders::fulfil_order(*shop.db, shop.inventory, order.id);
    REQUIRE(fulfilled.ok());
    CHECK(fulfilled->state == orders::OrderState::fulfilled);
    level = shop.level("BO");
    CHECK(level.on_hand == 7);
    CHECK(level.reserved == 10);
    CHECK(shop.db->connection()->query_integer(
              "SELECT sum(quantity) FROM stock_movements WHERE reason = 'sale'") == -5);
    REQUIRE(payments::pay_manually(*shop.db, shop.inventory, other.id).ok());
    CHECK(shop.level("BO").on_hand == 0);
    CHECK(shop.level("BO").reserved == 3);

    // Refunding everything paid frees what a backorder still holds.
    REQUIRE(payments::refund_order(*shop.db, shop.inventory, nullptr, late.id,
                                   {1500, *money::find_currency("EUR")}, "")
                .ok());
    CHECK(orders::get_order(*shop.db, late.id)->state == orders::OrderState::refunded);
    CHECK(shop.level("BO").reserved == 0);
}
