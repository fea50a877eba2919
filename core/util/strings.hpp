// Small string helpers shared across core; nothing here knows the domain.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcommerce::util {

// Levenshtein distance, for "did you mean" suggestions.
[[nodiscard]] size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, if near enough to be a plausible typo.
[[nodiscard]] std::optional<std::string> closest(std::string_view word,
                                                 const std::vector<std::string> &candidates);

// "true"/"false"/"1"/"0"/"yes"/"no"/"on"/"off", case-insensitive.
[[nodiscard]] std::optional<bool> parse_bool(std::string_view text);

// A whole decimal integer with optional sign; nothing else, no overflow.
[[nodiscard]] std::optional<int64_t> parse_int64(std::string_view text);

// "a, b,c" -> {"a", "b", "c"}; empty items dropped.
[[nodiscard]] std::vector<std::string> split_list(std::string_view text, char separator = ',');

[[nodiscard]] std::string_view trim(std::string_view text);
[[nodiscard]] std::string to_lower(std::string_view text);
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);

// True for any byte below 0x20 other than tab, and for DEL.
[[nodiscard]] bool has_control_characters(std::string_view text);

// A TOML basic string literal, escaped.
[[nodiscard]] std::string toml_quote(std::string_view text);

} // namespace rcommerce::util
