#include "core/acme/names.hpp"

#include "core/util/strings.hpp"

#include <idn2.h>

#include <cstdlib>

namespace rcommerce::acme {

namespace {

Error invalid(std::string_view name, std::string why)
{
    return make_error(ErrorKind::validation, "invalid_domain",
                      "domain \"" + std::string(name) + "\"", std::move(why),
                      "give a host name such as shop.example.com or *.example.com");
}

bool valid_ldh(std::string_view host, Dots dots)
{
    if (host.empty() || host.size() > 253) {
        return false;
    }
    size_t label = 0;
    for (size_t i = 0; i <= host.size(); ++i) {
        if (i == host.size() || host[i] == '.') {
            if (label == 0 || label > 63 || host[i - 1] == '-' || host[i - label] == '-') {
                return false;
            }
            label = 0;
            continue;
        }
        char c = host[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return false;
        }
        ++label;
    }
    return dots == Dots::optional || host.find('.') != std::string_view::npos;
}

// A top-level label of digits only is no DNS name (RFC 3696 section 2): such
// a "name" is an IPv4 address or a typo of one.
bool numeric_top_label(std::string_view host)
{
    auto dot = host.rfind('.');
    auto top = dot == std::string_view::npos ? host : host.substr(dot + 1);
    return !top.empty() && top.find_first_not_of("0123456789") == std::string_view::npos;
}

} // namespace

bool is_wildcard(std::string_view name)
{
    return name.rfind("*.", 0) == 0;
}

Result<std::string> to_a_label(std::string_view name, Dots dots)
{
    if (util::has_control_characters(name) || name.find('\0') != std::string_view::npos) {
        return invalid(name, "it contains control characters");
    }
    std::string_view host = is_wildcard(name) ? name.substr(2) : name;
    if (!host.empty() && host.back() == '.') {
        host.remove_suffix(1);
    }
    std::string input(host);
    char *output = nullptr;
    int rc = idn2_to_ascii_8z(input.c_str(), &output, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) {
        return invalid(name, idn2_strerror(rc));
    }
    std::string ascii = util::to_lower(output);
    idn2_free(output);
    if (!valid_ldh(ascii, dots)) {
        return invalid(name, dots == Dots::required
                                 ? "labels must be letters, digits and inner hyphens, with a dot"
                                 : "labels must be letters, digits and inner hyphens");
    }
    if (numeric_top_label(ascii)) {
        return invalid(name, "it looks like an IP address, and a domain name's last label is "
                             "never all digits");
    }
    return is_wildcard(name) ? "*." + ascii : ascii;
}

std::string folder_name(std::string_view a_label)
{
    return is_wildcard(a_label) ? "_wildcard_" + std::string(a_label.substr(1))
                                : std::string(a_label);
}

} // namespace rcommerce::acme
