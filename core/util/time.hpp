// UTC time helpers. Every timestamp rcommerce stores or prints is UTC.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rcommerce::util {

using Clock = std::chrono::system_clock;

// Seconds since the Unix epoch.
[[nodiscard]] int64_t unix_now();

// "2026-12-03T15:52:16.123Z"
[[nodiscard]] std::string now_rfc3339_millis();

// "2026-12-03T15:52:16Z" for a Unix time.
[[nodiscard]] std::string format_rfc3339(int64_t unix_seconds);

// Parses RFC 3339 ("2026-12-03T15:52:16Z", fractional seconds and numeric
// offsets accepted) or a bare date ("2026-12-03", midnight UTC).
[[nodiscard]] std::optional<int64_t> parse_rfc3339(std::string_view text);

} // namespace rcommerce::util
