#include "core/idempotency/fingerprint.hpp"

#include "core/crypto/crypto.hpp"

#include <nlohmann/json.hpp>

namespace rcommerce::idempotency {

namespace {

void append_field(std::string &out, std::string_view field)
{
    out += std::to_string(field.size());
    out += ':';
    out += field;
}

} // namespace

std::string request_fingerprint(std::string_view method, std::string_view path,
                                std::string_view body)
{
    std::string input;
    input.reserve(method.size() + path.size() + body.size() + 32);
    append_field(input, method);
    append_field(input, path);
    append_field(input, body);
    return crypto::to_hex(crypto::sha256(input));
}

std::string canonical_json(const nlohmann::json &document)
{
    // nlohmann::json keeps objects in a std::map: dump() is already sorted.
    return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool valid_idempotency_key(std::string_view key) noexcept
{
    if (key.empty() || key.size() > 255) {
        return false;
    }
    for (char c : key) {
        if (c <= ' ' || c >= 0x7f) {
            return false;
        }
    }
    return true;
}

} // namespace rcommerce::idempotency
