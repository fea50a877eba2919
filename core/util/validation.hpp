// Collecting per-field validation mistakes into one Error, so that a client
// learns every wrong field of a request at once, not one per round trip.
#pragma once

#include "core/util/result.hpp"

#include <string>
#include <utility>
#include <vector>

namespace rcommerce::util {

class FieldErrors {
public:
    // The first error of a field wins: a later check of the same field
    // (say, a core rule after a shape check) would only restate it.
    void add(std::string field, std::string message)
    {
        for (const auto &existing : m_fields) {
            if (!field.empty() && existing.field == field) {
                return;
            }
        }
        m_fields.push_back({std::move(field), std::move(message)});
    }
    // Keeps the field names of an Error from a parser (money, currency).
    void add(const Error &error)
    {
        if (error.fields.empty()) {
            add("", error.why);
        }
        for (const auto &field : error.fields) {
            m_fields.push_back(field);
        }
    }
    [[nodiscard]] bool empty() const noexcept { return m_fields.empty(); }

    // ErrorKind::validation, code "validation_failed", listing every field.
    [[nodiscard]] Error error(std::string what = "the request is invalid") const
    {
        std::string why;
        for (const auto &field : m_fields) {
            // An error about the whole input (no field) has nothing to name.
            why += (why.empty() ? "" : "; ") +
                   (field.field.empty() ? field.message : field.field + ": " + field.message);
        }
        Error result = make_error(ErrorKind::validation, "validation_failed", std::move(what), why);
        result.fields = m_fields;
        return result;
    }

private:
    std::vector<FieldError> m_fields;
};

// One wrong field as an Error.
[[nodiscard]] inline Error field_error(std::string field, std::string message)
{
    FieldErrors errors;
    errors.add(std::move(field), std::move(message));
    return errors.error();
}

} // namespace rcommerce::util
