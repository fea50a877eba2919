// The API's request reading and problem documents, without a server:
// JsonFields collecting every wrong member with its specific code, what
// problem_json makes of the result, and list cursors.
#include "server/api/http.hpp"
#include "server/api/json_input.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>

using namespace rcommerce;
using nlohmann::json;
using rcommerce::server::api::JsonFields;
using rcommerce::server::api::Need;

namespace {

// Reads `body` as a variant price and, when it has one, a currency; the
// problem document of what was wrong.
json problem_of(const json &body)
{
    util::FieldErrors errors;
    JsonFields fields(body, errors);
    fields.reject_unknown({"title", "price", "currency"});
    (void)fields.string("title");
    (void)fields.money("price");
    (void)fields.currency("currency");
    REQUIRE_FALSE(errors.empty());
    auto error = errors.error("reading");
    return json::parse(server::api::problem_json(error, server::api::status_for(error)));
}

} // namespace

TEST_CASE("a lone wrong amount is invalid_amount, not validation_failed")
{
    for (const char *amount : {"12.99", "1e3", "\"12\"", "12.0", "true"}) {
        CAPTURE(amount);
        auto problem =
            problem_of({{"price", {{"amount", json::parse(amount)}, {"currency", "EUR"}}}});
        CHECK(problem["status"] == 422);
        CHECK(problem["code"] == "invalid_amount");
        REQUIRE(problem["errors"].size() == 1);
        CHECK(problem["errors"][0]["field"] == "price.amount");
        CHECK(problem["errors"][0]["code"] == "invalid_amount");
    }
}

TEST_CASE("an unknown currency is unknown_currency, in a money object or alone")
{
    for (const char *code : {"XYZ", "HRK", "XAU"}) {
        CAPTURE(code);
        auto alone = problem_of({{"currency", code}});
        CHECK(alone["code"] == "unknown_currency");
        CHECK(alone["detail"].get<std::string>().find(code) != std::string::npos);
        auto in_money = problem_of({{"price", {{"amount", 100}, {"currency", code}}}});
        CHECK(in_money["code"] == "unknown_currency");
        CHECK(in_money["errors"][0]["field"] == "price.currency");
    }
}

TEST_CASE("a lower-case currency is refused with the hint naming the upper-case code")
{
    auto problem = problem_of({{"currency", "eur"}});
    CHECK(problem["code"] == "unknown_currency");
    CHECK(problem["detail"] == "currency: currency codes are upper-case, got \"eur\"");
    CHECK(problem["hint"] == "use \"EUR\"");
    CHECK(problem["errors"][0]["hint"] == "use \"EUR\"");
}

TEST_CASE("problems of several kinds stay together in one validation_failed answer")
{
    auto problem = problem_of({{"title", 5},
                               {"price", {{"amount", 12.99}, {"currency", "EUR"}}},
                               {"currency", "eur"},
                               {"total", 1}});
    CHECK(problem["status"] == 422);
    CHECK(problem["code"] == "validation_failed");
    std::map<std::string, std::string> codes;
    for (const auto &entry : problem["errors"]) {
        codes[entry["field"].get<std::string>()] = entry["code"].get<std::string>();
    }
    CHECK(codes == std::map<std::string, std::string>{{"title", "validation_failed"},
                                                      {"price.amount", "invalid_amount"},
                                                      {"currency", "unknown_currency"},
                                                      {"total", "validation_failed"}});
    CHECK(problem["hint"] == "use \"EUR\"");
}

TEST_CASE("two wrong amounts share their code")
{
    util::FieldErrors errors;
    json body = {{"price", {{"amount", 1.5}, {"currency", "EUR"}}},
                 {"unit_cost", {{"amount", "3"}, {"currency", "EUR"}}}};
    JsonFields fields(body, errors);
    (void)fields.money("price");
    (void)fields.money("unit_cost", Need::required);
    auto error = errors.error();
    CHECK(error.code == "invalid_amount");
    CHECK(error.fields.size() == 2);
}

TEST_CASE("a cursor is accepted only by the list that returned it")
{
    using server::api::decode_cursor;
    using server::api::encode_cursor;
    auto cursor = encode_cursor("/api/v1/orders", 42);
    CHECK(decode_cursor("/api/v1/orders", cursor) == 42);
    CHECK(cursor.find("42") == std::string::npos);
    CHECK_FALSE(decode_cursor("/api/v1/products", cursor));
    CHECK_FALSE(decode_cursor("/api/v1/inventory/B/movements",
                              encode_cursor("/api/v1/inventory/A/movements", 7)));
    // A long SKU in the path does not make the cursor too long to read back.
    std::string long_list = "/api/v1/inventory/" + std::string(100, 'X') + "/movements";
    CHECK(decode_cursor(long_list, encode_cursor(long_list, INT64_MAX)) == INT64_MAX);
    for (const char *made_up : {"", "12", "cmMxOjEy" /* rc1:12, unbound */, "!!!!"}) {
        CAPTURE(made_up);
        CHECK_FALSE(decode_cursor("/api/v1/orders", made_up));
    }
}
