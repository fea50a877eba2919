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

// How much of the request at the head of `received` (the bytes a
// connection has buffered) has arrived, judged from the raw bytes.
struct RequestArrival {
    enum class State {
        partial,           // wait for more
        awaiting_continue, // the head is whole; the client waits for 100 Continue
        ready,             // answer now, from what is there
    };
    State state = State::partial;
    // Bytes of the whole request (head and Content-Length body) when known:
    // when ready, the server closes the connection if fewer were read, since
    // the rest would be taken for a next request; while the body arrives,
    // the size to wait for, so the head need not be read again.
    size_t length = 0;
    size_t head = 0; // bytes of the head, once it is whole
    // Set when the raw bytes would be framed differently by a lenient
    // reader than by cpp-httplib 0.11.4, which drops some lines silently: a
    // line ending in a bare LF, an obsolete folded line, a Content-Length
    // that is not digits. Such a request is refused (400) and the
    // connection closed, since its body could otherwise be smuggled in as
    // a next request.
    std::string problem;
};

// Ready when the header block (through its empty CRLF line) is whole and,
// for POST, PUT, PATCH and DELETE with a Content-Length of at most
// `max_body`, the body too. Also ready when waiting cannot help: a header
// block still unfinished after `max_head` bytes or ended by a bare LF, a
// body whose length is invalid, too large or chunked (refused unread), a
// body sent with another method (refused unread), or a framing problem.
// awaiting_continue for a whole HTTP/1.1 head with `100-continue` among its
// Expect values whose body has not arrived. A request is never partial beyond `max_head` bytes
// of head and `max_body` bytes of body.
[[nodiscard]] RequestArrival request_arrival(std::string_view received, size_t max_head,
                                             size_t max_body);

} // namespace rcommerce::http
