#include "core/audit/url.hpp"

#include "core/acme/names.hpp"
#include "core/util/strings.hpp"

#include <algorithm>

namespace rcommerce::audit {

Result<std::string> normalize_host(std::string_view host)
{
    bool ascii = std::all_of(host.begin(), host.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) {
        return util::to_lower(host);
    }
    // DNS, SNI, the Host header and the certificate's names all carry the
    // A-label; sending UTF-8 reaches no server and matches no certificate.
    return acme::to_a_label(host, acme::Dots::optional);
}

std::string Url::authority() const
{
    std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    uint16_t default_port = https() ? 443 : 80;
    if (port != default_port) {
        out += ":" + std::to_string(port);
    }
    return out;
}

std::string Url::str() const
{
    return scheme + "://" + authority() + target;
}

Result<Url> parse_url(std::string_view text)
{
    auto bad = [&](std::string why) {
        return make_error(ErrorKind::validation, "bad_url", "URL \"" + std::string(text) + "\"",
                          std::move(why), "give an absolute URL such as https://shop.example/");
    };
    if (util::has_control_characters(text) || text.find(' ') != std::string_view::npos) {
        return bad("it contains spaces or control characters");
    }
    size_t colon = text.find("://");
    if (colon == std::string_view::npos) {
        return bad("it has no scheme (http:// or https://)");
    }
    Url url;
    url.scheme = util::to_lower(text.substr(0, colon));
    if (url.scheme != "http" && url.scheme != "https") {
        return bad("only http and https are supported");
    }
    std::string_view rest = text.substr(colon + 3);
    size_t path_start = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_start);
    std::string_view target =
        path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
    target = target.substr(0, target.find('#'));
    url.target =
        target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
    if (authority.find('@') != std::string_view::npos) {
        return bad("user information in URLs is not supported");
    }

    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            return bad("unterminated IPv6 address");
        }
        url.host = util::to_lower(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') {
            return bad("unexpected text after the IPv6 address");
        }
        port_text = after.empty() ? after : after.substr(1);
    } else {
        size_t port_colon = authority.rfind(':');
        if (port_colon != std::string_view::npos && authority.find(':') != port_colon) {
            return bad("an IPv6 address must be in brackets, as in https://[::1]:8443/");
        }
        url.host = std::string(authority.substr(0, port_colon));
        if (port_colon != std::string_view::npos) {
            port_text = authority.substr(port_colon + 1);
        }
        if (!url.host.empty()) {
            auto host = normalize_host(url.host);
            if (!host) {
                return bad("host \"" + url.host + "\" is not a valid name: " + host.error().why);
            }
            url.host = host.value();
        }
    }
    if (url.host.empty()) {
        return bad("it has no host");
    }
    url.port = url.https() ? 443 : 80;
    if (!port_text.empty()) {
        auto port = util::parse_int64(port_text);
        if (!port || *port < 1 || *port > 65535 || port_text.front() == '+' ||
            port_text.front() == '-') {
            return bad("port \"" + std::string(port_text) + "\" is not 1-65535");
        }
        url.port = static_cast<uint16_t>(*port);
    }
    return url;
}

namespace {

// What a browser does to a Location's path and query before requesting it:
// spaces, controls, quotes and non-ASCII bytes are percent-encoded, so the
// request line stays one line of visible ASCII.
std::string encode_target(std::string_view target)
{
    static constexpr std::string_view k_hex = "0123456789ABCDEF";
    std::string out;
    for (char c : target) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`') {
            out += '%';
            out += k_hex[u >> 4];
            out += k_hex[u & 0xf];
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

Result<Url> resolve_location(const Url &base, std::string_view location)
{
    location = util::trim(location);
    size_t scheme_end = location.find("://");
    bool absolute = scheme_end != std::string_view::npos;
    if (absolute || location.substr(0, 2) == "//") {
        size_t authority = absolute ? scheme_end + 3 : 2;
        size_t path = location.find_first_of("/?#", authority);
        std::string text =
            (absolute ? "" : base.scheme + ":") + std::string(location.substr(0, path)) +
            (path == std::string_view::npos ? "" : encode_target(location.substr(path)));
        return parse_url(text);
    }
    Url url = base;
    if (!location.empty() && location.front() == '/') {
        url.target = encode_target(location);
    } else {
        // A relative path replaces the last segment of the base path (RFC 3986 5.2.3).
        std::string path = base.target.substr(0, base.target.find('?'));
        url.target = path.substr(0, path.rfind('/') + 1) + encode_target(location);
    }
    url.target = url.target.substr(0, url.target.find('#'));
    return url;
}

} // namespace rcommerce::audit
