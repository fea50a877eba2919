#include "core/log/log.hpp"

#include "core/util/time.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

namespace rcommerce::log {
namespace {

std::atomic<Level> g_level{Level::info};
std::atomic<Format> g_format{Format::text};

std::string_view level_name(Level level)
{
    switch (level) {
    case Level::trace:
        return "trace";
    case Level::debug:
        return "debug";
    case Level::info:
        return "info";
    case Level::warn:
        return "warn";
    case Level::error:
        return "error";
    case Level::off:
        return "off";
    }
    return "info";
}

// spdlog supplies the thread-safe stderr sink; the line itself is ours so the
// JSON form stays one valid object per line.
spdlog::logger &logger()
{
    static auto instance = [] {
        auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        auto created = std::make_shared<spdlog::logger>("rcommerce", sink);
        created->set_pattern("%v");
        created->set_level(spdlog::level::trace);
        created->flush_on(spdlog::level::trace);
        return created;
    }();
    return *instance;
}

std::string text_value(const nlohmann::json &value)
{
    if (value.is_string()) {
        const auto &text = value.get_ref<const std::string &>();
        bool plain = !text.empty() && text.find_first_of(" \"=\t\n") == std::string::npos;
        return plain ? text : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

std::optional<Level> parse_level(std::string_view text)
{
    for (Level level : {Level::trace, Level::debug, Level::info, Level::warn, Level::error}) {
        if (text == level_name(level)) {
            return level;
        }
    }
    return std::nullopt;
}

void setup(Level level, Format format)
{
    g_level = level;
    g_format = format;
}

bool enabled(Level level)
{
    return level >= g_level.load() && level != Level::off;
}

std::string render(Format format, Level level, std::string_view message,
                   const nlohmann::json &fields, std::string_view timestamp)
{
    if (format == Format::json) {
        nlohmann::json line = nlohmann::json::object();
        line["ts"] = timestamp;
        line["level"] = level_name(level);
        line["msg"] = message;
        if (fields.is_object()) {
            for (const auto &[key, value] : fields.items()) {
                if (key != "ts" && key != "level" && key != "msg") {
                    line[key] = value;
                }
            }
        }
        return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    std::string out = std::string(timestamp) + " " + std::string(level_name(level)) + " ";
    out += message;
    if (fields.is_object()) {
        for (const auto &[key, value] : fields.items()) {
            out += " " + key + "=" + text_value(value);
        }
    }
    return out;
}

void write(Level level, std::string_view message, const nlohmann::json &fields)
{
    if (!enabled(level)) {
        return;
    }
    logger().info(render(g_format.load(), level, message, fields, util::now_rfc3339_millis()));
}

} // namespace rcommerce::log
