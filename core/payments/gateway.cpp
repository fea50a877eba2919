#include "core/payments/gateway.hpp"

#include "core/crypto/crypto.hpp"

namespace rcommerce::payments {

std::string_view to_string(CaptureMethod method) noexcept
{
    return method == CaptureMethod::manual ? "manual" : "automatic";
}

std::optional<CaptureMethod> capture_method_from_string(std::string_view text)
{
    if (text == "automatic") {
        return CaptureMethod::automatic;
    }
    if (text == "manual") {
        return CaptureMethod::manual;
    }
    return std::nullopt;
}

namespace {

bool is_token(std::string_view text, size_t max_length)
{
    if (text.empty() || text.size() > max_length) {
        return false;
    }
    for (char c : text) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string idempotency_key(const OperationKey &key)
{
    std::string generation = std::to_string(key.generation);
    if (is_token(key.order_id, 100) && is_token(key.operation, 32)) {
        return "rcommerce-" + key.order_id + "-" + key.operation + "-" + generation;
    }
    std::string input = std::to_string(key.order_id.size()) + ":" + key.order_id +
                        std::to_string(key.operation.size()) + ":" + key.operation + generation;
    return "rcommerce-" + crypto::to_hex(crypto::sha256(input));
}

} // namespace rcommerce::payments
