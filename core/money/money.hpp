// Amounts of money: an integer count of minor units and an ISO 4217 currency.
//
// No floating point touches an amount anywhere in rcommerce. Amounts arrive as
// JSON integers of minor units (`{"amount": 1299, "currency": "EUR"}` is
// 12.99 EUR), are bounded by k_max_amount so that sums of many lines cannot
// overflow int64, and are combined only through the checked helpers below,
// which return an error instead of wrapping.
#pragma once

#include "core/money/currency.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace rcommerce::money {

// The largest magnitude of any single amount or total: 10^15 minor units
// (ten trillion euros). Far beyond any real order, far below INT64_MAX, so
// adding two bounded amounts never overflows before the bound is checked.
inline constexpr int64_t k_max_amount = 1'000'000'000'000'000;

struct Money {
    int64_t amount = 0; // minor units of `currency`
    Currency currency{"EUR", 2};

    friend bool operator==(const Money &, const Money &) = default;
};

// What sign an amount may have where it is parsed.
enum class AmountSign {
    positive,     // > 0: payments, refunds, captures
    non_negative, // >= 0: prices, costs
    any,          // adjustments
};

// Minor units as a decimal string with the currency's decimals:
// 1299 EUR -> "12.99", 1000 JPY -> "1000", 1234 KWD -> "1.234",
// -5 EUR -> "-0.05". Works for every int64 value.
[[nodiscard]] std::string format_amount(int64_t minor_units, const Currency &currency);

// "12.99 EUR": format_amount plus the code, for messages.
[[nodiscard]] std::string format_money(const Money &money);

// A JSON value as an amount of minor units: an integer only (12.0, 1e3,
// "12", true are refused), within ±k_max_amount and of the required sign.
// Errors are ErrorKind::validation, code "invalid_amount", naming `field`.
[[nodiscard]] Result<int64_t> parse_amount(const nlohmann::json &value, std::string_view field,
                                           AmountSign sign = AmountSign::non_negative);

// The same rules for the text of a JSON number ("1299", "-5"): digits with
// an optional leading '-', no leading zeros, no fraction or exponent.
[[nodiscard]] Result<int64_t> parse_amount_text(std::string_view text, std::string_view field,
                                                AmountSign sign = AmountSign::non_negative);

// `{"amount": <int>, "currency": "<ISO>"}`, with errors naming
// "<field>.amount" or "<field>.currency". Unknown members are refused.
[[nodiscard]] Result<Money> parse_money(const nlohmann::json &value, std::string_view field,
                                        AmountSign sign = AmountSign::non_negative);

// `{"amount": 1299, "currency": "EUR"}`.
[[nodiscard]] nlohmann::json to_json(const Money &money);

// a + b and a * b on bounded amounts; an error ("amount_overflow") when the
// result would leave ±k_max_amount, never undefined behaviour.
[[nodiscard]] Result<int64_t> checked_add(int64_t a, int64_t b);
[[nodiscard]] Result<int64_t> checked_sub(int64_t a, int64_t b);
[[nodiscard]] Result<int64_t> checked_mul(int64_t amount, int64_t factor);

// The same on Money; mixing currencies is an error ("currency_mismatch").
[[nodiscard]] Result<Money> add(const Money &a, const Money &b);
[[nodiscard]] Result<Money> subtract(const Money &a, const Money &b);
[[nodiscard]] Result<Money> multiply(const Money &unit_price, int64_t quantity);

} // namespace rcommerce::money
