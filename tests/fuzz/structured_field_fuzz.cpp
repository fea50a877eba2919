// libFuzzer target: RFC 8941 structured fields and Permissions-Policy.
#include "core/audit/headers.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view value(reinterpret_cast<const char *>(data), size);
    auto dictionary = rcommerce::audit::parse_sf_dictionary(value);
    if (dictionary.error && !dictionary.members.empty()) {
        __builtin_trap(); // a failed parse yields nothing
    }
    (void)rcommerce::audit::parse_sf_item(value);
    (void)rcommerce::audit::check_permissions_policy(value);
    return 0;
}
