#include "core/http/security_headers.hpp"

namespace rcommerce::http {

std::string hsts_value(const config::HstsConfig &hsts)
{
    if (!hsts.enabled) {
        return {};
    }
    std::string value = "max-age=" + std::to_string(hsts.max_age);
    if (hsts.include_subdomains) {
        value += "; includeSubDomains";
    }
    if (hsts.preload && hsts.include_subdomains && hsts.max_age >= 31536000) {
        value += "; preload";
    }
    return value;
}

HeaderList security_headers(const config::Config &config, Scheme scheme)
{
    HeaderList out;
    auto add = [&](const char *name, const std::string &value) {
        if (!value.empty()) {
            out.emplace_back(name, value);
        }
    };
    if (scheme == Scheme::https) {
        add("Strict-Transport-Security", hsts_value(config.tls.hsts));
    }
    const auto &sh = config.security_headers;
    if (!sh.enabled) {
        return out;
    }
    add("Content-Security-Policy", sh.content_security_policy);
    add("X-Frame-Options", sh.x_frame_options);
    add("X-Content-Type-Options", sh.x_content_type_options);
    add("Referrer-Policy", sh.referrer_policy);
    add("Permissions-Policy", sh.permissions_policy);
    add("X-XSS-Protection", sh.x_xss_protection);
    add("Cross-Origin-Opener-Policy", sh.cross_origin_opener_policy);
    add("Cross-Origin-Resource-Policy", sh.cross_origin_resource_policy);
    add("Cache-Control", sh.cache_control);
    return out;
}

std::vector<std::string> policy_warnings(const config::Config &config)
{
    std::vector<std::string> out;
    if (config.tls.hsts.enabled && config.tls.hsts.preload) {
        out.emplace_back("tls.hsts.preload is on: once the domain is on the browsers' preload "
                         "list, it and every subdomain are HTTPS-only for months, and removal "
                         "is slow; see docs/security.md");
    }
    const auto &xss = config.security_headers.x_xss_protection;
    if (config.security_headers.enabled && !xss.empty() && xss != "0") {
        out.emplace_back("security_headers.x_xss_protection enables the legacy XSS filter, "
                         "which current browsers removed and which could be abused; \"0\" is "
                         "the current advice");
    }
    return out;
}

} // namespace rcommerce::http
