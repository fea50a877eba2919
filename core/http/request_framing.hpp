// Reading the headers that say what a request's body is: its media type and
// its Content-Length. cpp-httplib 0.11.4 matches media types case-sensitively
// and turns any Content-Length into a number with strtoull ("abc" is 0, "-5"
// is 2^64-5), so the server checks both itself before the library acts on them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rcommerce::http {

// The media type of a Content-Type value, lower-cased and without parameters
// or surrounding whitespace: "Application/JSON; charset=utf-8" is
// "application/json" (RFC 9110 8.3.1: type and subtype are case-insensitive).
[[nodiscard]] std::string media_type(std::string_view content_type);

// What the Content-Length headers of a request declare (RFC 9112 6.3).
struct DeclaredLength {
    enum class Kind {
        absent,    // no Content-Length header
        length,    // `bytes`
        invalid,   // not 1*DIGIT, or several headers that disagree
        too_large, // digits only, but beyond any body this server reads
    };
    Kind kind = Kind::absent;
    int64_t bytes = 0;
};

// `values` are every Content-Length header's value, in order.
[[nodiscard]] DeclaredLength declared_length(const std::vector<std::string_view> &values);

} // namespace rcommerce::http
