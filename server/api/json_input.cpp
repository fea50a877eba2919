#include "server/api/json_input.hpp"

#include <algorithm>
#include <limits>

namespace rcommerce::server::api {

bool JsonFields::has(std::string_view name) const
{
    return m_object.is_object() && m_object.contains(name);
}

bool JsonFields::is_null(std::string_view name) const
{
    return has(name) && m_object.at(std::string(name)).is_null();
}

const nlohmann::json *JsonFields::member(std::string_view name, Need need)
{
    if (!has(name)) {
        if (need == Need::required) {
            m_errors.add(path(name), "is required");
        }
        return nullptr;
    }
    // An explicit null is not "leave it as it is": silently ignoring it
    // would tell a client that meant to clear the field that it worked.
    if (is_null(name)) {
        m_errors.add(path(name), need == Need::required
                                     ? "is required (got null)"
                                     : "must not be null; leave the member out to keep its value");
        return nullptr;
    }
    return &m_object.at(std::string(name));
}

std::optional<std::string> JsonFields::string(std::string_view name, Need need)
{
    const auto *value = member(name, need);
    if (!value) {
        return std::nullopt;
    }
    if (!value->is_string()) {
        m_errors.add(path(name), "must be a string");
        return std::nullopt;
    }
    return value->get<std::string>();
}

std::optional<int64_t> JsonFields::integer(std::string_view name, Need need)
{
    const auto *value = member(name, need);
    if (!value) {
        return std::nullopt;
    }
    if (value->is_number_unsigned()) {
        auto number = value->get<uint64_t>();
        if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            m_errors.add(path(name), "is too large");
            return std::nullopt;
        }
        return static_cast<int64_t>(number);
    }
    if (value->is_number_integer()) {
        return value->get<int64_t>();
    }
    if (value->is_number_float()) {
        m_errors.add(path(name), "must be a whole number (got a fraction or a number too large)");
        return std::nullopt;
    }
    m_errors.add(path(name), "must be an integer");
    return std::nullopt;
}

std::optional<bool> JsonFields::boolean(std::string_view name, Need need)
{
    const auto *value = member(name, need);
    if (!value) {
        return std::nullopt;
    }
    if (!value->is_boolean()) {
        m_errors.add(path(name), "must be true or false");
        return std::nullopt;
    }
    return value->get<bool>();
}

std::optional<money::Money> JsonFields::money(std::string_view name, Need need)
{
    const auto *value = member(name, need);
    if (!value) {
        return std::nullopt;
    }
    auto parsed = money::parse_money(*value, path(name));
    if (!parsed) {
        m_errors.add(parsed.error());
        return std::nullopt;
    }
    return *parsed;
}

std::optional<money::Currency> JsonFields::currency(std::string_view name, Need need)
{
    auto text = string(name, need);
    if (!text) {
        return std::nullopt;
    }
    auto parsed = money::parse_currency(*text, path(name));
    if (!parsed) {
        m_errors.add(parsed.error());
        return std::nullopt;
    }
    return *parsed;
}

std::optional<std::optional<int64_t>> JsonFields::nullable_integer(std::string_view name)
{
    if (!has(name)) {
        return std::nullopt;
    }
    if (is_null(name)) {
        return std::optional<int64_t>{};
    }
    auto value = integer(name);
    if (!value) {
        return std::nullopt;
    }
    return std::optional<int64_t>{*value};
}

const nlohmann::json *JsonFields::array(std::string_view name, Need need)
{
    const auto *value = member(name, need);
    if (value && !value->is_array()) {
        m_errors.add(path(name), "must be an array");
        return nullptr;
    }
    return value;
}

void JsonFields::reject_unknown(std::initializer_list<std::string_view> known)
{
    if (!m_object.is_object()) {
        return;
    }
    for (const auto &[key, value] : m_object.items()) {
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            m_errors.add(path(key), "is not a known field");
        }
    }
}

} // namespace rcommerce::server::api
