// Any bytes as a name must give a JSON string nlohmann parses back, and a CSV
// field that undoes, under RFC 4180's quoting, to the same text: the input
// with bytes that are not UTF-8 replaced by U+FFFD, as both writers do.
#include "core/format/writer.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view input(reinterpret_cast<const char *>(data), size);

    std::string json;
    rcommerce::format::append_json_string(json, input);
    auto parsed = nlohmann::json::parse(json, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_string()) {
        std::abort();
    }

    const std::string text = parsed.get<std::string>();
    std::string csv;
    rcommerce::format::append_csv_field(csv, input);
    if (csv.size() >= 2 && csv.front() == '"' &&
        text.find_first_of(",\"\r\n") != std::string::npos) {
        // Quoted: undoubling the inner quotes must give the input back.
        std::string inner;
        for (size_t i = 1; i + 1 < csv.size(); ++i) {
            inner += csv[i];
            if (csv[i] == '"') {
                ++i;
            }
        }
        if (inner != text) {
            std::abort();
        }
    } else if (csv != text) {
        std::abort();
    }
    return 0;
}
