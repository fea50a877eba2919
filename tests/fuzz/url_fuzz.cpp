// libFuzzer target: URL parsing and redirect Location resolution.
#include "core/audit/url.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view text(reinterpret_cast<const char *>(data), size);
    auto url = rcommerce::audit::parse_url(text);
    if (url && (url->host.empty() || url->port == 0 || url->target.empty())) {
        __builtin_trap();
    }
    static const auto k_base = rcommerce::audit::parse_url("http://a.example/x/y?q").value();
    (void)rcommerce::audit::resolve_location(k_base, text);
    return 0;
}
