#include "core/money/money.hpp"

#include <limits>
#include <nlohmann/json.hpp>

namespace rcommerce::money {

namespace {

Error amount_error(std::string_view field, std::string why)
{
    Error error = make_error(ErrorKind::validation, "invalid_amount", "validating amount", why);
    error.fields.push_back({std::string(field), std::move(why)});
    return error;
}

Error overflow_error()
{
    return make_error(ErrorKind::validation, "amount_overflow", "computing an amount",
                      "the result exceeds " + std::to_string(k_max_amount) + " minor units");
}

Status check_sign(int64_t value, std::string_view field, AmountSign sign)
{
    if (sign == AmountSign::positive && value <= 0) {
        return amount_error(field, "must be greater than zero, got " + std::to_string(value));
    }
    if (sign == AmountSign::non_negative && value < 0) {
        return amount_error(field, "must not be negative, got " + std::to_string(value));
    }
    return ok_status();
}

Result<int64_t> bounded(int64_t value)
{
    if (value > k_max_amount || value < -k_max_amount) {
        return overflow_error();
    }
    return value;
}

std::string too_large()
{
    return "must be at most " + std::to_string(k_max_amount) + " minor units in magnitude";
}

} // namespace

std::string format_amount(int64_t minor_units, const Currency &currency)
{
    // Work on the unsigned magnitude so INT64_MIN has a representation.
    bool negative = minor_units < 0;
    uint64_t magnitude = negative ? uint64_t{0} - static_cast<uint64_t>(minor_units)
                                  : static_cast<uint64_t>(minor_units);
    std::string digits = std::to_string(magnitude);

    auto exponent = static_cast<size_t>(currency.exponent());
    if (exponent > 0) {
        if (digits.size() <= exponent) {
            digits.insert(0, exponent + 1 - digits.size(), '0');
        }
        digits.insert(digits.size() - exponent, 1, '.');
    }
    return negative ? "-" + digits : digits;
}

std::string format_money(const Money &money)
{
    return format_amount(money.amount, money.currency) + " " + std::string(money.currency.code());
}

Result<int64_t> parse_amount(const nlohmann::json &value, std::string_view field, AmountSign sign)
{
    // nlohmann keeps integers that fit int64/uint64 as integers; anything with
    // a fraction or exponent, and any integer too big for uint64, is a float.
    if (value.is_number_float()) {
        return amount_error(field, "must be an integer number of minor units, got " + value.dump());
    }
    if (value.is_number_unsigned()) {
        auto raw = value.get<uint64_t>();
        if (raw > static_cast<uint64_t>(k_max_amount)) {
            return amount_error(field, too_large());
        }
        auto parsed = static_cast<int64_t>(raw);
        if (auto status = check_sign(parsed, field, sign); !status) {
            return status.error();
        }
        return parsed;
    }
    if (value.is_number_integer()) {
        auto parsed = value.get<int64_t>();
        if (parsed > k_max_amount || parsed < -k_max_amount) {
            return amount_error(field, too_large());
        }
        if (auto status = check_sign(parsed, field, sign); !status) {
            return status.error();
        }
        return parsed;
    }
    return amount_error(field, std::string("must be an integer number of minor units, got a ") +
                                   value.type_name());
}

Result<int64_t> parse_amount_text(std::string_view text, std::string_view field, AmountSign sign)
{
    std::string_view digits = text;
    bool negative = !digits.empty() && digits.front() == '-';
    if (negative) {
        digits.remove_prefix(1);
    }
    if (digits.empty()) {
        return amount_error(field, "must be an integer number of minor units");
    }
    for (char c : digits) {
        if (c < '0' || c > '9') {
            return amount_error(field, "must be an integer number of minor units");
        }
    }
    if (digits.size() > 1 && digits.front() == '0') {
        return amount_error(field, "must not have leading zeros");
    }

    // Accumulate with the bound checked at every digit: no overflow possible.
    int64_t magnitude = 0;
    for (char c : digits) {
        magnitude = magnitude * 10 + (c - '0');
        if (magnitude > k_max_amount) {
            return amount_error(field, too_large());
        }
    }
    int64_t parsed = negative ? -magnitude : magnitude;
    if (auto status = check_sign(parsed, field, sign); !status) {
        return status.error();
    }
    return parsed;
}

Result<Money> parse_money(const nlohmann::json &value, std::string_view field, AmountSign sign)
{
    std::string prefix(field);
    if (!value.is_object()) {
        return amount_error(field, "must be an object {\"amount\": <minor units>, \"currency\": "
                                   "\"<ISO 4217 code>\"}");
    }
    for (const auto &[key, member] : value.items()) {
        if (key != "amount" && key != "currency") {
            return amount_error(prefix + "." + key, "is not a member of a money object");
        }
    }
    if (!value.contains("amount")) {
        return amount_error(prefix + ".amount", "is required");
    }
    if (!value.contains("currency") || !value["currency"].is_string()) {
        return amount_error(prefix + ".currency", "is required and must be a string");
    }

    auto amount = parse_amount(value["amount"], prefix + ".amount", sign);
    if (!amount) {
        return amount.error();
    }
    auto currency = parse_currency(value["currency"].get<std::string>(), prefix + ".currency");
    if (!currency) {
        return currency.error();
    }
    return Money{*amount, *currency};
}

nlohmann::json to_json(const Money &money)
{
    return {{"amount", money.amount}, {"currency", std::string(money.currency.code())}};
}

Result<int64_t> checked_add(int64_t a, int64_t b)
{
    int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
        return overflow_error();
    }
    return bounded(sum);
}

Result<int64_t> checked_sub(int64_t a, int64_t b)
{
    int64_t difference = 0;
    if (__builtin_sub_overflow(a, b, &difference)) {
        return overflow_error();
    }
    return bounded(difference);
}

Result<int64_t> checked_mul(int64_t amount, int64_t factor)
{
    int64_t product = 0;
    if (__builtin_mul_overflow(amount, factor, &product)) {
        return overflow_error();
    }
    return bounded(product);
}

namespace {

Status same_currency(const Money &a, const Money &b)
{
    if (a.currency == b.currency) {
        return ok_status();
    }
    return make_error(ErrorKind::validation, "currency_mismatch", "combining amounts",
                      "cannot combine " + std::string(a.currency.code()) + " with " +
                          std::string(b.currency.code()));
}

} // namespace

Result<Money> add(const Money &a, const Money &b)
{
    if (auto status = same_currency(a, b); !status) {
        return status.error();
    }
    auto sum = checked_add(a.amount, b.amount);
    if (!sum) {
        return sum.error();
    }
    return Money{*sum, a.currency};
}

Result<Money> subtract(const Money &a, const Money &b)
{
    if (auto status = same_currency(a, b); !status) {
        return status.error();
    }
    auto difference = checked_sub(a.amount, b.amount);
    if (!difference) {
        return difference.error();
    }
    return Money{*difference, a.currency};
}

Result<Money> multiply(const Money &unit_price, int64_t quantity)
{
    auto product = checked_mul(unit_price.amount, quantity);
    if (!product) {
        return product.error();
    }
    return Money{*product, unit_price.currency};
}

} // namespace rcommerce::money
