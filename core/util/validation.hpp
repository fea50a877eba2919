// Collecting per-field validation mistakes into one Error, so that a client
// learns every wrong field of a request at once, not one per round trip.
#pragma once

#include "core/util/result.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rcommerce::util {

inline constexpr std::string_view k_validation_failed = "validation_failed";

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
    // Keeps the field names, code and hint of an Error from a parser
    // (money, currency), so "invalid_amount" survives being listed with
    // other fields.
    void add(const Error &error)
    {
        if (error.fields.empty()) {
            add("", error.why);
            m_fields.back().code = error.code;
            m_fields.back().hint = error.hint;
            return;
        }
        for (auto field : error.fields) {
            if (field.code.empty()) {
                field.code = error.code;
            }
            if (field.hint.empty()) {
                field.hint = error.hint;
            }
            m_fields.push_back(std::move(field));
        }
    }
    [[nodiscard]] bool empty() const noexcept { return m_fields.empty(); }

    // ErrorKind::validation listing every field. Its code is the fields'
    // specific code when they all share one (a lone bad amount is
    // "invalid_amount"), else "validation_failed"; each field keeps its own
    // code either way. The hint gathers the fields' hints.
    [[nodiscard]] Error error(std::string what = "the request is invalid") const
    {
        std::string why;
        std::vector<std::string_view> hints;
        std::string hint;
        std::string code = m_fields.empty() ? "" : m_fields.front().code;
        for (const auto &field : m_fields) {
            // An error about the whole input (no field) has nothing to name.
            why += (why.empty() ? "" : "; ") +
                   (field.field.empty() ? field.message : field.field + ": " + field.message);
            if (!field.hint.empty() &&
                std::find(hints.begin(), hints.end(), field.hint) == hints.end()) {
                hints.push_back(field.hint);
                hint += (hint.empty() ? "" : "; ") + field.hint;
            }
            if (field.code != code) {
                code.clear();
            }
        }
        Error result = make_error(ErrorKind::validation,
                                  code.empty() ? std::string(k_validation_failed) : code,
                                  std::move(what), why, hint);
        result.fields = m_fields;
        return result;
    }

private:
    std::vector<FieldError> m_fields;
};

// Whether a text field may hold line breaks (a description) or is one line
// (a title, a name, a reference).
enum class TextLines { one, many };

// Characters, not bytes: the JSON parser has already refused invalid UTF-8,
// so every byte that does not continue a sequence starts a character.
[[nodiscard]] inline size_t utf8_length(std::string_view text)
{
    return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

// A free text field: `min` to `max` characters, no control characters (a
// NUL cuts the text short for SQLite's string functions and for C code
// reading it later; other controls corrupt logs and CSV reports). Line
// breaks and tabs are text in a description.
inline void check_text(FieldErrors &errors, const std::string &field, std::string_view text,
                       size_t min, size_t max, TextLines lines = TextLines::one)
{
    size_t length = utf8_length(text);
    if (length < min || length > max) {
        errors.add(field, min == 0 ? "must be at most " + std::to_string(max) + " characters long"
                                   : "must be " + std::to_string(min) + " to " +
                                         std::to_string(max) + " characters long");
        return;
    }
    bool bad = std::any_of(text.begin(), text.end(), [lines](char c) {
        auto byte = static_cast<unsigned char>(c);
        bool layout = c == '\n' || c == '\r' || c == '\t';
        return (byte < 0x20 || byte == 0x7f) && !(lines == TextLines::many && layout);
    });
    if (bad) {
        errors.add(field, lines == TextLines::many
                              ? "must not contain control characters other than line breaks "
                                "and tabs"
                              : "must not contain control characters (line breaks included)");
    }
}

// One wrong field as an Error.
[[nodiscard]] inline Error field_error(std::string field, std::string message)
{
    FieldErrors errors;
    errors.add(std::move(field), std::move(message));
    return errors.error();
}

} // namespace rcommerce::util
