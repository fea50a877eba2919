// libFuzzer target: Strict-Transport-Security parsing and its rules.
#include "core/audit/headers.hpp"
#include "core/audit/rules.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view value(reinterpret_cast<const char *>(data), size);
    auto hsts = rcommerce::audit::parse_hsts(value);
    if (hsts.valid && (hsts.max_age < 0 || hsts.max_age > (int64_t{1} << 31))) {
        __builtin_trap(); // the clamp is part of the contract
    }
    rcommerce::audit::HttpExchange exchange;
    exchange.headers = {{"Strict-Transport-Security", std::string(value)}};
    rcommerce::audit::Judgement out;
    rcommerce::audit::judge_hsts(exchange, out);
    return 0;
}
