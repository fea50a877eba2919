// Diagnostics on stderr, as human text or as JSON lines.
//
// Results never go through here: commands print data to stdout themselves.
// Callers must not pass secrets in messages or fields.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace rcommerce::log {

enum class Level { trace, debug, info, warn, error, off };
enum class Format { text, json };

// Parses "trace|debug|info|warn|error"; nullopt for anything else.
[[nodiscard]] std::optional<Level> parse_level(std::string_view text);

// Configures the process-wide logger; safe to call again (later calls win).
void setup(Level level, Format format);

[[nodiscard]] bool enabled(Level level);

// One event: a short message and structured fields (a JSON object or null).
void write(Level level, std::string_view message, const nlohmann::json &fields = nullptr);

inline void trace(std::string_view m, const nlohmann::json &f = nullptr)
{
    write(Level::trace, m, f);
}
inline void debug(std::string_view m, const nlohmann::json &f = nullptr)
{
    write(Level::debug, m, f);
}
inline void info(std::string_view m, const nlohmann::json &f = nullptr)
{
    write(Level::info, m, f);
}
inline void warn(std::string_view m, const nlohmann::json &f = nullptr)
{
    write(Level::warn, m, f);
}
inline void error(std::string_view m, const nlohmann::json &f = nullptr)
{
    write(Level::error, m, f);
}

// Renders one event the way write() would, for tests.
[[nodiscard]] std::string render(Format format, Level level, std::string_view message,
                                 const nlohmann::json &fields, std::string_view timestamp);

} // namespace rcommerce::log
