// Reading optional members of JSON objects from peers (Stripe answers and
// events) without throwing on a wrong type.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace rcommerce::util {

// The string member `key` of `object`, or "" when absent or not a string.
[[nodiscard]] inline std::string string_member(const nlohmann::json &object, const char *key)
{
    if (!object.is_object()) {
        return {};
    }
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

} // namespace rcommerce::util
