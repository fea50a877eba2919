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

} // namespace rcommerce::http
