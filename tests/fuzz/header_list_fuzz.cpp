// libFuzzer target: the list-valued headers (X-Frame-Options,
// X-Content-Type-Options, Referrer-Policy, Cache-Control). A NUL byte starts
// another header line.
#include "core/audit/headers.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string input(reinterpret_cast<const char *>(data), size);
    std::vector<std::string> values;
    size_t start = 0;
    while (true) {
        size_t end = input.find('\0', start);
        values.push_back(input.substr(start, end - start));
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    (void)rcommerce::audit::split_header_list(values);
    (void)rcommerce::audit::parse_frame_options(values);
    (void)rcommerce::audit::parse_nosniff(values);
    (void)rcommerce::audit::parse_referrer_policy(values);
    (void)rcommerce::audit::parse_cache_control(values);
    return 0;
}
