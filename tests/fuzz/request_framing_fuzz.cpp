// The headers that frame a request body, as a client sends them: the input
// is split at newlines into Content-Length values, and its first line is
// also read as a Content-Type. Never a crash; an accepted length is digits
// only and non-negative; several values are accepted only when they agree;
// a media type is lower case with no parameters or surrounding whitespace;
// an accepted Host value has no character that ends a host in a URL; an
// absolute-form target always yields a path starting with "/". The input is
// also a connection's buffered bytes: it never counts as a whole request
// before any line has ended (unless too long), and once an empty line and
// as many bytes as the body limit follow it always does, so no client can
// make the server wait beyond its read timeout for a request it can answer.
#include "core/http/request_framing.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace rcommerce::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view input(reinterpret_cast<const char *>(data), size);
    std::vector<std::string_view> values;
    for (size_t start = 0; start <= input.size();) {
        size_t end = input.find('\n', start);
        if (end == std::string_view::npos) {
            end = input.size();
        }
        values.push_back(input.substr(start, end - start));
        start = end + 1;
        if (values.size() > 16) {
            break;
        }
    }
    auto declared = declared_length(values);
    if (declared.kind == DeclaredLength::Kind::length) {
        if (declared.bytes < 0) {
            std::abort();
        }
        for (auto value : values) {
            // Optional whitespace around the value (and a stray CR) is allowed.
            constexpr std::string_view space = " \t\r";
            auto first = value.find_first_not_of(space);
            auto trimmed = first == std::string_view::npos
                               ? std::string_view()
                               : value.substr(first, value.find_last_not_of(space) - first + 1);
            if (trimmed.empty() ||
                trimmed.find_first_not_of("0123456789") != std::string_view::npos) {
                std::abort();
            }
        }
    }
    for (auto value : values) {
        // An accepted Host never carries what could smuggle a path, user
        // info or a header line into a URL the server builds from it.
        if (valid_host_value(value) && value.find_first_of(std::string_view(
                                           " \t\r\n/@?#\\\0", 10)) != std::string_view::npos) {
            std::abort();
        }
        auto absolute = split_absolute_target(value);
        if (absolute && (absolute->origin_form.empty() || absolute->origin_form.front() != '/')) {
            std::abort();
        }
    }
    static_cast<void>(host_header_problem(values, "HTTP/1.1"));
    constexpr size_t k_head = 512, k_body = 64;
    using State = RequestArrival::State;
    if (input.find('\n') == std::string_view::npos && input.size() <= k_head &&
        request_arrival(input, k_head, k_body).state != State::partial) {
        std::abort();
    }
    std::string completed = std::string(input) + "\r\n\r\n" + std::string(k_body, 'x');
    auto arrival = request_arrival(completed, k_head, k_body);
    if (arrival.state != State::ready || arrival.length > completed.size()) {
        std::abort();
    }
    auto type = media_type(values.front());
    for (char c : type) {
        if ((c >= 'A' && c <= 'Z') || c == ';') {
            std::abort();
        }
    }
    if (!type.empty() && (type.front() == ' ' || type.back() == ' ')) {
        std::abort();
    }
    return 0;
}
