#include "core/http/request_framing.hpp"

#include "core/util/strings.hpp"

#include <algorithm>
#include <limits>

namespace rcommerce::http {

std::string media_type(std::string_view content_type)
{
    auto semicolon = content_type.find(';');
    if (semicolon != std::string_view::npos) {
        content_type = content_type.substr(0, semicolon);
    }
    return util::to_lower(util::trim(content_type));
}

DeclaredLength declared_length(const std::vector<std::string_view> &values)
{
    DeclaredLength result;
    for (auto raw : values) {
        auto value = util::trim(raw);
        bool digits = !value.empty() && std::all_of(value.begin(), value.end(),
                                                    [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) {
            return {DeclaredLength::Kind::invalid, 0};
        }
        // Leading zeros are still 1*DIGIT; what matters is the value.
        auto significant = value.substr(std::min(value.find_first_not_of('0'), value.size()));
        constexpr size_t k_max_digits = std::numeric_limits<int64_t>::digits10;
        DeclaredLength this_one{DeclaredLength::Kind::too_large, 0};
        if (significant.size() <= k_max_digits) {
            this_one = {DeclaredLength::Kind::length,
                        util::parse_int64(significant.empty() ? "0" : significant).value_or(0)};
        }
        // Two headers that disagree leave the body's end ambiguous, the
        // opening for request smuggling (RFC 9112 6.3, item 5).
        if (result.kind != DeclaredLength::Kind::absent &&
            (result.kind != this_one.kind || result.bytes != this_one.bytes)) {
            return {DeclaredLength::Kind::invalid, 0};
        }
        result = this_one;
    }
    return result;
}

namespace {

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool is_hex_digit(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 3986 reg-name: unreserved / pct-encoded / sub-delims.
bool valid_reg_name(std::string_view name)
{
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        if (c == '%') {
            if (i + 2 >= name.size() || !is_hex_digit(name[i + 1]) || !is_hex_digit(name[i + 2])) {
                return false;
            }
            i += 2;
            continue;
        }
        bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
                       std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos;
        if (!allowed) {
            return false;
        }
    }
    return true;
}

} // namespace

bool valid_host_value(std::string_view value)
{
    std::string_view host = value;
    std::string_view port;
    if (!value.empty() && value.front() == '[') {
        auto close = value.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        auto literal = value.substr(1, close - 1);
        // IPv6address or IPvFuture: hex digits, colons and dots (an embedded
        // IPv4), or "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ).
        if (literal.empty() || !std::all_of(literal.begin(), literal.end(), [](char c) {
                return is_hex_digit(c) || c == ':' || c == '.' || c == 'v' || c == 'V';
            })) {
            return false;
        }
        auto rest = value.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') {
            return false;
        }
        port = rest.empty() ? rest : rest.substr(1);
    } else {
        auto colon = value.find(':');
        if (colon != std::string_view::npos) {
            host = value.substr(0, colon);
            port = value.substr(colon + 1);
        }
        if (!valid_reg_name(host)) {
            return false;
        }
    }
    return std::all_of(port.begin(), port.end(), is_digit);
}

std::string host_header_problem(const std::vector<std::string_view> &values,
                                std::string_view version)
{
    if (values.empty()) {
        if (version == "HTTP/1.1") {
            return "an HTTP/1.1 request needs a Host header naming the server it is for; send "
                   "`Host: <name>`";
        }
        return {};
    }
    if (values.size() > 1) {
        return "the request has " + std::to_string(values.size()) +
               " Host headers; send exactly one";
    }
    if (!valid_host_value(util::trim(values.front()))) {
        return "the Host header is not a host name, IP address or [IPv6] literal with an "
               "optional :port";
    }
    return {};
}

std::string header_field_problem(std::string_view name, std::string_view value)
{
    auto tchar = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    };
    if (name.empty() || !std::all_of(name.begin(), name.end(), tchar)) {
        return "a header line's name is not a token (no spaces before the colon, no folded "
               "continuation lines); send `Name: value` on one line";
    }
    bool control = std::any_of(value.begin(), value.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && byte != '\t') || byte == 0x7f;
    });
    if (control) {
        return "the " + std::string(name) +
               " header's value has a control character; send "
               "printable text only";
    }
    return {};
}

std::optional<AbsoluteTarget> split_absolute_target(std::string_view target)
{
    size_t scheme_end = 0;
    if (util::iequals(target.substr(0, 7), "http://")) {
        scheme_end = 7;
    } else if (util::iequals(target.substr(0, 8), "https://")) {
        scheme_end = 8;
    } else {
        return std::nullopt;
    }
    auto rest = target.substr(scheme_end);
    auto path_start = rest.find_first_of("/?#");
    AbsoluteTarget result;
    result.authority = std::string(rest.substr(0, path_start));
    if (path_start == std::string_view::npos) {
        result.origin_form = "/";
    } else {
        auto tail = rest.substr(path_start);
        result.origin_form = tail.front() == '/' ? std::string(tail) : "/" + std::string(tail);
    }
    return result;
}

RequestArrival request_arrival(std::string_view received, size_t max_head, size_t max_body)
{
    using State = RequestArrival::State;
    // The empty line that ends the header block follows the previous line's LF.
    auto blank = received.find("\n\r\n");
    // Only the head is searched: a body may hold anything, and is long.
    auto bare_blank =
        received.substr(0, blank == std::string_view::npos ? received.size() : blank).find("\n\n");
    if (bare_blank != std::string_view::npos) {
        return {State::ready, 0, 0,
                "the header block ends with a bare LF; end every line, and the header block, "
                "with CRLF"};
    }
    if (blank == std::string_view::npos) {
        return {received.size() > max_head ? State::ready : State::partial, 0, 0, {}};
    }
    auto head = received.substr(0, blank + 3);
    std::vector<std::string_view> lengths;
    bool chunked_or_coded = false;
    bool expects_continue = false;
    bool http11 = false;
    size_t start = 0;
    for (bool request_line = true; start < blank + 1; request_line = false) {
        auto end = head.find('\n', start);
        auto line = head.substr(start, end - start);
        start = end + 1;
        if (line.empty() || line.back() != '\r') {
            return {State::ready, 0, 0,
                    "a line of the request ends with a bare LF; end every line with CRLF"};
        }
        line.remove_suffix(1);
        if (request_line) {
            // RFC 9110 10.1.1: an HTTP/1.0 request's Expect is ignored.
            http11 = line.size() >= 8 && line.substr(line.size() - 8) == "HTTP/1.1";
            continue;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            return {State::ready, 0, 0,
                    "a header line starts with whitespace (obsolete line folding, RFC 9112 "
                    "section 5.2); send each header on one line"};
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        auto name = line.substr(0, colon);
        auto value = line.substr(colon + 1);
        if (util::iequals(name, "Transfer-Encoding")) {
            chunked_or_coded = true;
        } else if (util::iequals(name, "Expect")) {
            // Any Expect header listing 100-continue; other expectations are
            // ignored rather than refused with 417.
            for (auto rest = value; !rest.empty();) {
                auto comma = rest.find(',');
                expects_continue = expects_continue ||
                                   util::iequals(util::trim(rest.substr(0, comma)), "100-continue");
                rest =
                    comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            }
        } else if (util::iequals(name, "Content-Length")) {
            lengths.push_back(value);
        }
    }
    auto length = declared_length(lengths);
    if (length.kind == DeclaredLength::Kind::invalid) {
        return {State::ready, 0, 0,
                "the Content-Length header must be one decimal number of bytes, digits only, "
                "the same in every Content-Length header"};
    }
    // Only these methods have their body read; the server refuses one sent
    // with any other (a GET with a body) without waiting for it.
    auto method = head.substr(0, head.find(' '));
    bool reads_body =
        method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
    if (!reads_body || chunked_or_coded || length.kind != DeclaredLength::Kind::length ||
        length.bytes <= 0 || static_cast<uint64_t>(length.bytes) > max_body) {
        // Refused unread, or no body: the head is the whole of what is read.
        bool body_expected = length.kind != DeclaredLength::Kind::absent && length.bytes > 0;
        return {State::ready, body_expected || chunked_or_coded ? 0 : head.size(), head.size(), {}};
    }
    auto total = head.size() + static_cast<size_t>(length.bytes);
    if (received.size() >= total) {
        return {State::ready, total, head.size(), {}};
    }
    return {expects_continue && http11 ? State::awaiting_continue : State::partial,
            total,
            head.size(),
            {}};
}

} // namespace rcommerce::http
