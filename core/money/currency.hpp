// ISO 4217 currencies and their minor-unit exponents.
//
// The table in currency.cpp lists the active alphabetic codes of ISO 4217
// "List One" that carry a numeric minor unit (the "N.A." entries — gold, SDRs,
// testing codes — are left out: nothing is priced in them). The exponent says
// how many decimal digits a minor unit has: EUR 2 (cents), JPY 0, KWD 3, CLF 4.
// Every amount rcommerce stores is an integer count of these minor units.
#pragma once

#include "core/util/result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace rcommerce::money {

// A currency known to the table. Cheap to copy; compare by code.
class Currency {
public:
    // Three upper-case letters, e.g. "EUR".
    [[nodiscard]] constexpr std::string_view code() const noexcept { return {m_code, 3}; }
    // Decimal digits of the minor unit: 2 for EUR, 0 for JPY, 3 for KWD.
    [[nodiscard]] constexpr int exponent() const noexcept { return m_exponent; }
    // 10^exponent: minor units per major unit.
    [[nodiscard]] int64_t minor_per_major() const noexcept;

    friend bool operator==(const Currency &a, const Currency &b) noexcept
    {
        return a.code() == b.code();
    }

    // Only the table builds currencies; use find_currency / parse_currency.
    constexpr Currency(const char (&code)[4], int exponent) noexcept
        : m_code{code[0], code[1], code[2], '\0'}, m_exponent(exponent)
    {
    }

private:
    char m_code[4];
    int m_exponent;
};

// The whole table, sorted by code.
[[nodiscard]] std::span<const Currency> all_currencies() noexcept;

// The currency with exactly this upper-case code, or nullptr.
[[nodiscard]] const Currency *find_currency(std::string_view code) noexcept;

// The currency with this code in any letter case ("jpy" from Stripe), or
// nullptr.
[[nodiscard]] const Currency *find_currency_any_case(std::string_view code) noexcept;

// Validates a currency code as the API receives it: exactly three upper-case
// ASCII letters naming an active ISO 4217 currency. "eur" is refused (the
// hint names "EUR"); an unknown code is refused naming it. Errors are
// ErrorKind::validation with code "unknown_currency" and `field` set.
[[nodiscard]] Result<Currency> parse_currency(std::string_view text,
                                              std::string_view field = "currency");

} // namespace rcommerce::money
