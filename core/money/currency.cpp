#include "core/money/currency.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace rcommerce::money {

namespace {

// ISO 4217 List One, active codes with a numeric minor unit, sorted by code.
// Withdrawn codes are absent on purpose (HRK 2023, SLL and ZWL 2024, ANG in
// favour of XCG 2025, BGN with Bulgaria's move to the euro in 2026): a price
// in a withdrawn currency is a mistake we want to surface, not store.
constexpr std::array k_currencies = {
    Currency{"AED", 2}, Currency{"AFN", 2}, Currency{"ALL", 2}, Currency{"AMD", 2},
    Currency{"AOA", 2}, Currency{"ARS", 2}, Currency{"AUD", 2}, Currency{"AWG", 2},
    Currency{"AZN", 2}, Currency{"BAM", 2}, Currency{"BBD", 2}, Currency{"BDT", 2},
    Currency{"BHD", 3}, Currency{"BIF", 0}, Currency{"BMD", 2}, Currency{"BND", 2},
    Currency{"BOB", 2}, Currency{"BOV", 2}, Currency{"BRL", 2}, Currency{"BSD", 2},
    Currency{"BTN", 2}, Currency{"BWP", 2}, Currency{"BYN", 2}, Currency{"BZD", 2},
    Currency{"CAD", 2}, Currency{"CDF", 2}, Currency{"CHE", 2}, Currency{"CHF", 2},
    Currency{"CHW", 2}, Currency{"CLF", 4}, Currency{"CLP", 0}, Currency{"CNY", 2},
    Currency{"COP", 2}, Currency{"COU", 2}, Currency{"CRC", 2}, Currency{"CUP", 2},
    Currency{"CVE", 2}, Currency{"CZK", 2}, Currency{"DJF", 0}, Currency{"DKK", 2},
    Currency{"DOP", 2}, Currency{"DZD", 2}, Currency{"EGP", 2}, Currency{"ERN", 2},
    Currency{"ETB", 2}, Currency{"EUR", 2}, Currency{"FJD", 2}, Currency{"FKP", 2},
    Currency{"GBP", 2}, Currency{"GEL", 2}, Currency{"GHS", 2}, Currency{"GIP", 2},
    Currency{"GMD", 2}, Currency{"GNF", 0}, Currency{"GTQ", 2}, Currency{"GYD", 2},
    Currency{"HKD", 2}, Currency{"HNL", 2}, Currency{"HTG", 2}, Currency{"HUF", 2},
    Currency{"IDR", 2}, Currency{"ILS", 2}, Currency{"INR", 2}, Currency{"IQD", 3},
    Currency{"IRR", 2}, Currency{"ISK", 0}, Currency{"JMD", 2}, Currency{"JOD", 3},
    Currency{"JPY", 0}, Currency{"KES", 2}, Currency{"KGS", 2}, Currency{"KHR", 2},
    Currency{"KMF", 0}, Currency{"KPW", 2}, Currency{"KRW", 0}, Currency{"KWD", 3},
    Currency{"KYD", 2}, Currency{"KZT", 2}, Currency{"LAK", 2}, Currency{"LBP", 2},
    Currency{"LKR", 2}, Currency{"LRD", 2}, Currency{"LSL", 2}, Currency{"LYD", 3},
    Currency{"MAD", 2}, Currency{"MDL", 2}, Currency{"MGA", 2}, Currency{"MKD", 2},
    Currency{"MMK", 2}, Currency{"MNT", 2}, Currency{"MOP", 2}, Currency{"MRU", 2},
    Currency{"MUR", 2}, Currency{"MVR", 2}, Currency{"MWK", 2}, Currency{"MXN", 2},
    Currency{"MXV", 2}, Currency{"MYR", 2}, Currency{"MZN", 2}, Currency{"NAD", 2},
    Currency{"NGN", 2}, Currency{"NIO", 2}, Currency{"NOK", 2}, Currency{"NPR", 2},
    Currency{"NZD", 2}, Currency{"OMR", 3}, Currency{"PAB", 2}, Currency{"PEN", 2},
    Currency{"PGK", 2}, Currency{"PHP", 2}, Currency{"PKR", 2}, Currency{"PLN", 2},
    Currency{"PYG", 0}, Currency{"QAR", 2}, Currency{"RON", 2}, Currency{"RSD", 2},
    Currency{"RUB", 2}, Currency{"RWF", 0}, Currency{"SAR", 2}, Currency{"SBD", 2},
    Currency{"SCR", 2}, Currency{"SDG", 2}, Currency{"SEK", 2}, Currency{"SGD", 2},
    Currency{"SHP", 2}, Currency{"SLE", 2}, Currency{"SOS", 2}, Currency{"SRD", 2},
    Currency{"SSP", 2}, Currency{"STN", 2}, Currency{"SVC", 2}, Currency{"SYP", 2},
    Currency{"SZL", 2}, Currency{"THB", 2}, Currency{"TJS", 2}, Currency{"TMT", 2},
    Currency{"TND", 3}, Currency{"TOP", 2}, Currency{"TRY", 2}, Currency{"TTD", 2},
    Currency{"TWD", 2}, Currency{"TZS", 2}, Currency{"UAH", 2}, Currency{"UGX", 0},
    Currency{"USD", 2}, Currency{"USN", 2}, Currency{"UYI", 0}, Currency{"UYU", 2},
    Currency{"UYW", 4}, Currency{"UZS", 2}, Currency{"VED", 2}, Currency{"VES", 2},
    Currency{"VND", 0}, Currency{"VUV", 0}, Currency{"WST", 2}, Currency{"XAF", 0},
    Currency{"XCD", 2}, Currency{"XCG", 2}, Currency{"XOF", 0}, Currency{"XPF", 0},
    Currency{"YER", 2}, Currency{"ZAR", 2}, Currency{"ZMW", 2}, Currency{"ZWG", 2},
};

constexpr bool sorted_by_code()
{
    for (size_t i = 1; i < k_currencies.size(); ++i) {
        if (!(k_currencies[i - 1].code() < k_currencies[i].code())) {
            return false;
        }
    }
    return true;
}
static_assert(sorted_by_code(), "the currency table must stay sorted for binary search");

bool is_ascii_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

Error currency_error(std::string_view field, std::string why, std::string hint = {})
{
    Error error = make_error(ErrorKind::validation, "unknown_currency", "validating currency",
                             std::move(why), std::move(hint));
    error.fields.push_back({std::string(field), error.why});
    return error;
}

} // namespace

int64_t Currency::minor_per_major() const noexcept
{
    int64_t factor = 1;
    for (int i = 0; i < m_exponent; ++i) {
        factor *= 10;
    }
    return factor;
}

std::span<const Currency> all_currencies() noexcept
{
    return k_currencies;
}

const Currency *find_currency(std::string_view code) noexcept
{
    auto it =
        std::lower_bound(k_currencies.begin(), k_currencies.end(), code,
                         [](const Currency &c, std::string_view key) { return c.code() < key; });
    if (it == k_currencies.end() || it->code() != code) {
        return nullptr;
    }
    return &*it;
}

const Currency *find_currency_any_case(std::string_view code) noexcept
{
    if (code.size() != 3) {
        return nullptr;
    }
    char upper[3];
    for (size_t i = 0; i < 3; ++i) {
        char c = code[i];
        upper[i] = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return find_currency(std::string_view(upper, 3));
}

Result<Currency> parse_currency(std::string_view text, std::string_view field)
{
    bool three_letters = text.size() == 3 && std::all_of(text.begin(), text.end(), is_ascii_alpha);
    if (!three_letters) {
        return currency_error(field, "a currency is three letters (ISO 4217), e.g. \"EUR\"");
    }

    std::string upper(text);
    for (char &c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    const Currency *currency = find_currency(upper);
    if (currency == nullptr) {
        // XAU and HRK are ISO 4217 codes too, just not ones anything is
        // priced in (no minor unit, withdrawn): the message covers both.
        return currency_error(field,
                              "\"" + std::string(text) +
                                  "\" is not an active ISO 4217 currency with a minor unit",
                              "use an active code such as \"EUR\", \"USD\" or \"JPY\"");
    }
    if (upper != text) {
        return currency_error(field,
                              "currency codes are upper-case, got \"" + std::string(text) + "\"",
                              "use \"" + upper + "\"");
    }
    return *currency;
}

} // namespace rcommerce::money
