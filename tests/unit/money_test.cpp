#include "core/money/money.hpp"

#include <doctest/doctest.h>
#include <limits>
#include <nlohmann/json.hpp>

using namespace rcommerce;
using namespace rcommerce::money;
using nlohmann::json;

namespace {
Currency cur(std::string_view code)
{
    return parse_currency(code).value();
}
} // namespace

TEST_CASE("the currency table knows the exponents of ISO 4217")
{
    CHECK(cur("EUR").exponent() == 2);
    CHECK(cur("USD").exponent() == 2);
    CHECK(cur("JPY").exponent() == 0);
    CHECK(cur("KRW").exponent() == 0);
    CHECK(cur("ISK").exponent() == 0);
    for (auto code : {"KWD", "BHD", "OMR", "JOD", "TND", "LYD", "IQD"}) {
        CHECK_MESSAGE(cur(code).exponent() == 3, code);
    }
    CHECK(cur("CLF").exponent() == 4);
    CHECK(cur("UYW").exponent() == 4);
    CHECK(cur("CLF").minor_per_major() == 10000);
    CHECK(all_currencies().size() > 150);
}

TEST_CASE("currency codes must be upper-case, three letters and known")
{
    auto lower = parse_currency("eur");
    REQUIRE_FALSE(lower);
    CHECK(lower.error().code == "unknown_currency");
    CHECK(lower.error().hint.find("EUR") != std::string::npos);

    auto unknown = parse_currency("XYZ", "price.currency");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().why.find("XYZ") != std::string::npos);
    REQUIRE(unknown.error().fields.size() == 1);
    CHECK(unknown.error().fields[0].field == "price.currency");

    for (auto bad : {"", "EU", "EURO", "E1R", "EU\xc3\xa9", " EUR"}) {
        CHECK_FALSE(parse_currency(bad));
    }
    CHECK_FALSE(parse_currency("XAU")); // no minor unit: not a priced currency
    CHECK_FALSE(parse_currency("HRK")); // withdrawn
}

TEST_CASE("format_amount prints minor units with the currency's decimals")
{
    CHECK(format_amount(1299, cur("EUR")) == "12.99");
    CHECK(format_amount(1000, cur("JPY")) == "1000");
    CHECK(format_amount(1234, cur("KWD")) == "1.234");
    CHECK(format_amount(5, cur("EUR")) == "0.05");
    CHECK(format_amount(-5, cur("EUR")) == "-0.05");
    CHECK(format_amount(-1299, cur("EUR")) == "-12.99");
    CHECK(format_amount(0, cur("EUR")) == "0.00");
    CHECK(format_amount(0, cur("JPY")) == "0");
    CHECK(format_amount(1, cur("CLF")) == "0.0001");
    CHECK(format_amount(-7, cur("KWD")) == "-0.007");
    CHECK(format_amount(std::numeric_limits<int64_t>::min(), cur("EUR")) ==
          "-92233720368547758.08");
    CHECK(format_money(Money{1, cur("EUR")}) == "0.01 EUR");
}

TEST_CASE("JSON amounts are integers of minor units, nothing else")
{
    CHECK(parse_amount(json(1299), "price.amount").value() == 1299);
    CHECK(parse_amount(json(0), "price.amount").value() == 0);
    CHECK(parse_amount(json::parse("1000000000000000"), "a").value() == k_max_amount);

    for (const char *text :
         {"12.99", "12.0", "1e3", "\"12\"", "true", "null", "[1]", "{}", "1000000000000001",
          "99999999999999999999", "-1000000000000001", "18446744073709551615"}) {
        auto parsed = parse_amount(json::parse(text), "price.amount", AmountSign::any);
        CHECK_MESSAGE(!parsed, text);
        if (!parsed) {
            CHECK(parsed.error().code == "invalid_amount");
            REQUIRE(parsed.error().fields.size() == 1);
            CHECK(parsed.error().fields[0].field == "price.amount");
        }
    }
}

TEST_CASE("amount signs are enforced where they are parsed")
{
    CHECK_FALSE(parse_amount(json(-1), "a"));
    CHECK_FALSE(parse_amount(json(0), "a", AmountSign::positive));
    CHECK(parse_amount(json(-1), "a", AmountSign::any).value() == -1);
    CHECK(parse_amount(json(1), "a", AmountSign::positive).value() == 1);
}

TEST_CASE("parse_amount_text accepts exactly the JSON integer grammar within bounds")
{
    CHECK(parse_amount_text("1299", "a").value() == 1299);
    CHECK(parse_amount_text("0", "a").value() == 0);
    CHECK(parse_amount_text("-5", "a", AmountSign::any).value() == -5);
    for (auto bad : {"", "-", "01", "1.0", "1e2", "+1", " 1", "1 ", "0x10", "１",
                     "1000000000000001", "99999999999999999999999999"}) {
        CHECK_MESSAGE(!parse_amount_text(bad, "a", AmountSign::any), bad);
    }
}

TEST_CASE("parse_money reads an amount and a currency, naming the bad field")
{
    auto money = parse_money(json::parse(R"({"amount": 1299, "currency": "EUR"})"), "price");
    REQUIRE(money);
    CHECK(money->amount == 1299);
    CHECK(money->currency.code() == "EUR");

    auto bad_currency = parse_money(json::parse(R"({"amount": 1, "currency": "eur"})"), "price");
    REQUIRE_FALSE(bad_currency);
    CHECK(bad_currency.error().fields[0].field == "price.currency");

    auto bad_amount = parse_money(json::parse(R"({"amount": 1.5, "currency": "EUR"})"), "price");
    REQUIRE_FALSE(bad_amount);
    CHECK(bad_amount.error().fields[0].field == "price.amount");

    CHECK_FALSE(parse_money(json::parse(R"({"currency": "EUR"})"), "price"));
    CHECK_FALSE(parse_money(json::parse(R"({"amount": 1})"), "price"));
    CHECK_FALSE(parse_money(json::parse(R"({"amount": 1, "currency": "EUR", "x": 1})"), "p"));
    CHECK_FALSE(parse_money(json::parse("12"), "price"));
    CHECK(to_json(*money) == json::parse(R"({"amount": 1299, "currency": "EUR"})"));
}

TEST_CASE("checked arithmetic reports overflow instead of wrapping")
{
    CHECK(checked_add(1, 2).value() == 3);
    CHECK(checked_sub(1, 2).value() == -1);
    CHECK(checked_mul(1299, 3).value() == 3897);
    CHECK(checked_add(k_max_amount, 0).value() == k_max_amount);
    CHECK(checked_add(k_max_amount, 1).error().code == "amount_overflow");
    CHECK(checked_sub(-k_max_amount, 1).error().code == "amount_overflow");
    CHECK_FALSE(checked_mul(k_max_amount, 2));
    CHECK_FALSE(checked_mul(std::numeric_limits<int64_t>::max(), 2));
    CHECK_FALSE(checked_add(std::numeric_limits<int64_t>::max(), 1));
    CHECK_FALSE(checked_mul(std::numeric_limits<int64_t>::min(), -1));
}

TEST_CASE("Money arithmetic refuses to mix currencies")
{
    Money eur{100, cur("EUR")};
    Money jpy{100, cur("JPY")};
    CHECK(add(eur, eur).value().amount == 200);
    CHECK(subtract(eur, Money{30, cur("EUR")}).value().amount == 70);
    CHECK(multiply(eur, 4).value() == Money{400, cur("EUR")});
    auto mixed = add(eur, jpy);
    REQUIRE_FALSE(mixed);
    CHECK(mixed.error().code == "currency_mismatch");
}
