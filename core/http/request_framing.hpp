// Reading the headers that say what a request's body is: its media type and
// its Content-Length. cpp-httplib 0.11.4 matches media types case-sensitively
// and turns any Content-Length into a number with strtoull ("abc" is 0, "-5"
// is 2^64-5), so the server checks both itself before the library acts on them.
#pragma once

#include <cstdint>
#include <optional>
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

// True for a Host value of RFC 9110 7.2: uri-host [ ":" port ] (RFC 3986
// 3.2.2): a reg-name, an IPv4 address or a bracketed IP literal. Empty is
// valid (a target without an authority).
[[nodiscard]] bool valid_host_value(std::string_view value);

// RFC 9112 3.2: what is wrong with a request's Host headers (`values`, every
// one in order) for a request of `version` ("HTTP/1.1"), or empty when
// nothing is: an HTTP/1.1 request without one, a request with several, or
// one whose value is not a host. The server answers 400 with this text.
[[nodiscard]] std::string host_header_problem(const std::vector<std::string_view> &values,
                                              std::string_view version);

// What is wrong with one header line of a request, or empty: a field name
// that is not an RFC 9110 5.1 token (whitespace before the colon, an
// obs-fold continuation line taken for a name), or a value with a control
// character other than HTAB (5.5: CR, LF and NUL must not reach anyone who
// builds a header or a log line from it).
[[nodiscard]] std::string header_field_problem(std::string_view name, std::string_view value);

// The origin-form path of an absolute-form request target (RFC 9112 3.2.2),
// "http://shop.example:8443/a/b?q" -> "/a/b?q" (and "/" when it has no
// path), with the authority in `authority`; nullopt for any other form.
struct AbsoluteTarget {
    std::string authority;
    std::string origin_form;
};
[[nodiscard]] std::optional<AbsoluteTarget> split_absolute_target(std::string_view target);

// Whether `received`, the bytes a connection has buffered, holds the whole
// request at its head, so that answering it will not wait on the client:
// the header block through its empty line and, when a Content-Length of at
// most `max_body` bytes declares one, the body. Also true when waiting
// cannot help or must not happen: a header block still unfinished after
// `max_head` bytes, a body whose length is invalid, too large or chunked,
// a request that awaits a 100 Continue before it sends its body, and a
// body sent with a method other than POST, PUT, PATCH and DELETE (refused
// unread). The
// server then answers from what is there (mostly with a refusal). Lines end
// in CRLF; a line that ends in a bare LF does not end the header block
// (cpp-httplib 0.11.4 skips such lines).
[[nodiscard]] bool request_arrived(std::string_view received, size_t max_head, size_t max_body);

} // namespace rcommerce::http
