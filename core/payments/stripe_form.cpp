#include "core/payments/stripe_form.hpp"

#include "core/crypto/crypto.hpp"

#include <algorithm>
#include <array>

namespace rcommerce::payments::stripe {

namespace {

constexpr std::array<std::string_view, 16> k_zero_decimal = {
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"};
constexpr std::array<std::string_view, 5> k_three_decimal = {"BHD", "JOD", "KWD", "OMR", "TND"};

template <size_t N> bool contains(const std::array<std::string_view, N> &list, std::string_view c)
{
    return std::find(list.begin(), list.end(), c) != list.end();
}

// Digits Stripe's amount has for this currency, or -1 when Stripe takes none.
int stripe_exponent(const money::Currency &currency)
{
    std::string_view code = currency.code();
    if (contains(k_zero_decimal, code)) {
        return 0;
    }
    if (code == "ISK") {
        return 2;
    }
    if (contains(k_three_decimal, code)) {
        return 3;
    }
    return currency.exponent() == 2 ? 2 : -1;
}

int64_t power_of_ten(int exponent)
{
    int64_t factor = 1;
    for (int i = 0; i < exponent; ++i) {
        factor *= 10;
    }
    return factor;
}

Error unsupported(const money::Money &money, std::string why)
{
    Error error =
        make_error(ErrorKind::validation, "unsupported_amount",
                   "preparing " + money::format_money(money) + " for Stripe", std::move(why));
    error.fields.push_back({"amount", error.why});
    return error;
}

bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

std::string encode_key(std::string_view key)
{
    std::string out;
    size_t start = 0;
    for (size_t i = 0; i < key.size(); ++i) {
        if (key[i] == '[' || key[i] == ']') {
            out += percent_encode(key.substr(start, i - start));
            out += key[i];
            start = i + 1;
        }
    }
    out += percent_encode(key.substr(start));
    return out;
}

std::string decode_component(std::string_view text)
{
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%' && i + 2 < text.size() && crypto::hex_value(text[i + 1]) >= 0 &&
                   crypto::hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(crypto::hex_value(text[i + 1]) * 16 +
                                     crypto::hex_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

} // namespace

Result<int64_t> to_stripe_amount(const money::Money &money)
{
    int target = stripe_exponent(money.currency);
    int ours = money.currency.exponent();
    if (target < 0) {
        return unsupported(money, "Stripe does not charge " + std::string(money.currency.code()));
    }
    if (target > ours) {
        auto scaled = money::checked_mul(money.amount, power_of_ten(target - ours));
        if (!scaled) {
            return unsupported(money, "the amount is too large");
        }
        return *scaled;
    }
    int64_t divisor = power_of_ten(ours - target);
    if (money.amount % divisor != 0) {
        return unsupported(money, std::string(money.currency.code()) +
                                      " is charged in whole units on Stripe");
    }
    int64_t stripe_amount = money.amount / divisor;
    if (target == 3 && stripe_amount % 10 != 0) {
        return unsupported(money, "Stripe needs the last of three decimals to be 0 for " +
                                      std::string(money.currency.code()));
    }
    return stripe_amount;
}

Result<int64_t> from_stripe_amount(int64_t stripe_amount, const money::Currency &currency)
{
    money::Money probe{0, currency};
    int target = stripe_exponent(currency);
    int ours = currency.exponent();
    if (target < 0) {
        return unsupported(probe, "Stripe does not charge " + std::string(currency.code()));
    }
    if (target > ours) {
        int64_t divisor = power_of_ten(target - ours);
        if (stripe_amount % divisor != 0) {
            return unsupported(probe, "Stripe sent " + std::to_string(stripe_amount) +
                                          ", not a whole number of minor units");
        }
        return stripe_amount / divisor;
    }
    auto scaled = money::checked_mul(stripe_amount, power_of_ten(ours - target));
    if (!scaled) {
        return unsupported(probe, "Stripe sent an amount too large to hold");
    }
    return *scaled;
}

std::string wire_currency(const money::Currency &currency)
{
    std::string code(currency.code());
    for (char &c : code) {
        c = static_cast<char>(c - 'A' + 'a');
    }
    return code;
}

std::string percent_encode(std::string_view text)
{
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (is_unreserved(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += k_hex[c >> 4];
            out += k_hex[c & 0x0f];
        }
    }
    return out;
}

std::string form_encode(const FormFields &fields)
{
    std::string body;
    for (const auto &[key, value] : fields) {
        if (!body.empty()) {
            body += '&';
        }
        body += encode_key(key);
        body += '=';
        body += percent_encode(value);
    }
    return body;
}

FormFields form_decode(std::string_view body)
{
    FormFields fields;
    while (!body.empty()) {
        size_t amp = body.find('&');
        std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        size_t eq = pair.find('=');
        std::string_view key = pair.substr(0, eq);
        std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
        fields.emplace_back(decode_component(key), decode_component(value));
    }
    return fields;
}

Result<FormFields> create_payment_intent_form(const PaymentRequest &request)
{
    auto amount = to_stripe_amount(request.amount);
    if (!amount) {
        return amount.error();
    }
    return FormFields{
        {"amount", std::to_string(*amount)},
        {"currency", wire_currency(request.amount.currency)},
        {"capture_method", std::string(to_string(request.capture))},
        {"metadata[order_id]", request.order_id},
        {"metadata[attempt]", std::to_string(request.attempt)},
    };
}

FormFields confirm_form(const ConfirmOptions &options)
{
    FormFields fields;
    if (!options.payment_method.empty()) {
        fields.emplace_back("payment_method", options.payment_method);
    }
    if (!options.return_url.empty()) {
        fields.emplace_back("return_url", options.return_url);
    }
    return fields;
}

Result<FormFields> capture_form(const money::Currency &currency, std::optional<int64_t> amount)
{
    if (!amount) {
        return FormFields{};
    }
    auto stripe_amount = to_stripe_amount(money::Money{*amount, currency});
    if (!stripe_amount) {
        return stripe_amount.error();
    }
    return FormFields{{"amount_to_capture", std::to_string(*stripe_amount)}};
}

Result<FormFields> refund_form(const GatewayPayment &payment, const money::Money &amount,
                               std::string_view refund_id)
{
    auto stripe_amount = to_stripe_amount(amount);
    if (!stripe_amount) {
        return stripe_amount.error();
    }
    return FormFields{
        {"payment_intent", payment.id},
        {"amount", std::to_string(*stripe_amount)},
        {"metadata[order_id]", payment.order_id},
        {"metadata[rcommerce_refund_id]", std::string(refund_id)},
    };
}

} // namespace rcommerce::payments::stripe
