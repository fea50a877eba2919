// libFuzzer target: Content-Security-Policy parsing and the CSP and framing
// rules. A NUL byte splits the input into two header lines.
#include "core/audit/headers.hpp"
#include "core/audit/rules.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string input(reinterpret_cast<const char *>(data), size);
    size_t split = input.find('\0');
    rcommerce::audit::HttpExchange exchange;
    exchange.headers.emplace_back("Content-Security-Policy", input.substr(0, split));
    if (split != std::string::npos) {
        exchange.headers.emplace_back("Content-Security-Policy", input.substr(split + 1));
    }
    for (const auto &policy : rcommerce::audit::parse_csp(input)) {
        for (const auto &directive : policy.directives) {
            if (directive.name.empty()) {
                __builtin_trap(); // empty directives are skipped by the grammar
            }
        }
    }
    rcommerce::audit::Judgement out;
    rcommerce::audit::judge_csp(exchange, out);
    rcommerce::audit::judge_framing(exchange, out);
    return 0;
}
