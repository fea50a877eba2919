// Amount parsing from text and JSON: never a crash, accepted amounts are
// within bounds, and formatting an accepted amount never fails.
#include "core/money/money.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

using namespace rcommerce::money;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view input(reinterpret_cast<const char *>(data), size);

    auto text = parse_amount_text(input, "amount", AmountSign::any);
    if (text && (*text > k_max_amount || *text < -k_max_amount)) {
        std::abort();
    }

    auto document = nlohmann::json::parse(input, nullptr, false);
    if (document.is_discarded()) {
        return 0;
    }
    auto amount = parse_amount(document, "amount", AmountSign::any);
    if (amount && (*amount > k_max_amount || *amount < -k_max_amount)) {
        std::abort();
    }
    auto money = parse_money(document, "price", AmountSign::any);
    if (money) {
        std::string formatted = format_money(*money);
        if (formatted.empty()) {
            std::abort();
        }
        (void)checked_add(money->amount, money->amount);
        (void)checked_mul(money->amount, money->amount);
    }
    return 0;
}
