// libFuzzer target: a whole response head as a server could send it, through
// every header rule, the score and the JSON and table renderers.
#include "core/audit/audit.hpp"
#include "core/audit/fetch.hpp"
#include "core/audit/render.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const auto k_url = rcommerce::audit::parse_url("https://fuzz.example/").value();
    std::string_view head(reinterpret_cast<const char *>(data), size);
    if (auto end = rcommerce::audit::response_head_end(head); end && *end > size) {
        __builtin_trap();
    }
    auto response = rcommerce::audit::parse_response_head(k_url, head);
    if (!response) {
        return 0;
    }
    rcommerce::audit::AuditReport report;
    rcommerce::audit::UrlReport url;
    url.url = k_url.str();
    rcommerce::audit::judge_response(url, response.value(), {});
    report.urls.push_back(std::move(url));
    // JSON and the table print server bytes; SARIF and JUnit share their
    // escaping and are left out to keep executions fast.
    (void)rcommerce::audit::render_json(report);
    (void)rcommerce::audit::render_table(report, {});
    return 0;
}
