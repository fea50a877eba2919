// libFuzzer target: Set-Cookie parsing and the cookie rules. Each line of the
// input is one Set-Cookie header.
#include "core/audit/headers.hpp"
#include "core/audit/rules.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string input(reinterpret_cast<const char *>(data), size);
    rcommerce::audit::HttpExchange exchange;
    size_t start = 0;
    while (start <= input.size()) {
        size_t end = input.find('\n', start);
        std::string line = input.substr(start, end - start);
        auto cookie = rcommerce::audit::parse_set_cookie(line);
        if (cookie.same_site && *cookie.same_site != "strict" && *cookie.same_site != "lax" &&
            *cookie.same_site != "none") {
            __builtin_trap();
        }
        (void)rcommerce::audit::parse_cookie_date(line);
        exchange.headers.emplace_back("Set-Cookie", line);
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    rcommerce::audit::Judgement out;
    rcommerce::audit::judge_cookies(exchange, out);
    return 0;
}
