// Reading typed members out of a request's JSON object, collecting every
// wrong one (named with its path, e.g. "lines[1].quantity") instead of
// stopping at the first. Wrong types are reported, never coerced: "5" is not
// a quantity, 5.0 is not an amount, true is not a number.
#pragma once

#include "core/money/money.hpp"
#include "core/util/validation.hpp"

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace rcommerce::server::api {

enum class Need { required, optional };

class JsonFields {
public:
    JsonFields(const nlohmann::json &object, util::FieldErrors &errors, std::string prefix = {})
        : m_object(object), m_errors(errors), m_prefix(std::move(prefix))
    {
    }

    [[nodiscard]] bool has(std::string_view name) const;
    // Present and null: "clear this value" in an update.
    [[nodiscard]] bool is_null(std::string_view name) const;

    std::optional<std::string> string(std::string_view name, Need need = Need::optional);
    std::optional<int64_t> integer(std::string_view name, Need need = Need::optional);
    std::optional<bool> boolean(std::string_view name, Need need = Need::optional);
    std::optional<money::Money> money(std::string_view name, Need need = Need::optional);
    std::optional<money::Currency> currency(std::string_view name, Need need = Need::optional);
    // An integer, or null meaning "none": for thresholds that may be cleared.
    std::optional<std::optional<int64_t>> nullable_integer(std::string_view name);
    // The member's array, or nullptr (reporting a wrong type).
    const nlohmann::json *array(std::string_view name, Need need = Need::optional);

    // Reports every member not in `known` (a client sending "total" learns
    // that totals are not accepted, instead of seeing it silently ignored).
    void reject_unknown(std::initializer_list<std::string_view> known);

    [[nodiscard]] std::string path(std::string_view name) const
    {
        return m_prefix + std::string(name);
    }

private:
    const nlohmann::json *member(std::string_view name, Need need);
    const nlohmann::json &m_object;
    util::FieldErrors &m_errors;
    std::string m_prefix;
};

} // namespace rcommerce::server::api
