// Hostile Stripe-Signature headers and bodies: never a crash, and a header
// that parses always has a timestamp and at least one v1.
#include "core/payments/webhook.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view input(reinterpret_cast<const char *>(data), size);
    size_t split = input.find('\n');
    std::string_view header = input.substr(0, split);
    std::string_view body = split == std::string_view::npos ? "" : input.substr(split + 1);

    rcommerce::payments::SignatureFailure failure{};
    auto parsed = rcommerce::payments::parse_signature_header(header, failure);
    if (parsed && parsed->v1.empty()) {
        std::abort();
    }
    rcommerce::payments::VerifyOptions options{300, [] { return int64_t{1'780'000'000}; }};
    (void)rcommerce::payments::verify_signature(header, body, "whsec_fuzz", options);
    (void)rcommerce::payments::parse_event(body);
    return 0;
}
