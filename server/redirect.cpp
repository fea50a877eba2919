#include "server/redirect.hpp"

#include "core/util/strings.hpp"
#include "server/middleware.hpp"

#include <httplib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rcommerce::server {
namespace {

constexpr std::string_view k_challenge_prefix = "/.well-known/acme-challenge/";

// "Shop.Example:8080" -> "shop.example"; "[::1]:8080" -> "[::1]".
std::string host_without_port(std::string_view header)
{
    std::string host = util::to_lower(util::trim(header));
    if (!host.empty() && host.front() == '[') {
        auto end = host.find(']');
        return end == std::string::npos ? std::string() : host.substr(0, end + 1);
    }
    auto colon = host.find(':');
    if (colon != std::string::npos) {
        host.resize(colon);
    }
    if (!host.empty() && host.back() == '.') {
        host.pop_back(); // the root label: "shop.example." names the same host
    }
    return host;
}

bool host_allowed(const config::Config &config, const std::string &host)
{
    if (host.empty()) {
        return false;
    }
    if (config.server.domains.empty()) {
        return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
    }
    return std::any_of(
        config.server.domains.begin(), config.server.domains.end(), [&](const std::string &domain) {
            auto pattern = util::to_lower(domain);
            if (pattern == host) {
                return true;
            }
            if (pattern.rfind("*.", 0) == 0) {
                auto dot = host.find('.');
                return dot != std::string::npos && dot > 0 && host.substr(dot) == pattern.substr(1);
            }
            return false;
        });
}

} // namespace

std::optional<std::string> https_redirect_url(const config::Config &config,
                                              std::string_view host_header, std::string_view target)
{
    auto host = host_without_port(host_header);
    if (!host_allowed(config, host) || target.empty() || target.front() != '/' ||
        util::has_control_characters(target)) {
        return std::nullopt;
    }
    std::string url = "https://" + host;
    if (config.server.port != 443) {
        url += ":" + std::to_string(config.server.port);
    }
    url += target;
    return url;
}

bool valid_challenge_token(std::string_view token)
{
    return !token.empty() && token.size() <= 256 &&
           std::all_of(token.begin(), token.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
           });
}

httplib::Server::HandlerWithResponse redirect_handler(const config::Config &config)
{
    return [&config](const httplib::Request &req, httplib::Response &res) {
        std::string_view path = req.path;
        if ((req.method == "GET" || req.method == "HEAD") &&
            path.substr(0, k_challenge_prefix.size()) == k_challenge_prefix) {
            auto token = path.substr(k_challenge_prefix.size());
            if (!valid_challenge_token(token)) {
                set_problem(res, 404, "no such challenge");
                return httplib::Server::HandlerResponse::Handled;
            }
            auto file = std::filesystem::path(config.tls.lets_encrypt.cache_dir) / "http-01" /
                        std::string(token);
            std::ifstream in(file, std::ios::binary);
            if (!in) {
                set_problem(res, 404, "no such challenge");
                return httplib::Server::HandlerResponse::Handled;
            }
            std::ostringstream content;
            content << in.rdbuf();
            res.set_content(content.str(), "text/plain");
            return httplib::Server::HandlerResponse::Handled;
        }
        if (!req.has_header("Host")) {
            set_problem(res, 400, "a Host header is required");
            return httplib::Server::HandlerResponse::Handled;
        }
        auto url = https_redirect_url(config, req.get_header_value("Host"), req.target);
        if (!url) {
            // RFC 9110 section 15.5.20: this server does not serve that
            // authority; never redirect to a name a client made up.
            set_problem(res, 421,
                        "this server does not answer for that host (its names are "
                        "[server] domains in the configuration)");
            return httplib::Server::HandlerResponse::Handled;
        }
        res.status = 308; // RFC 9110 15.4.9: method and body kept
        res.set_header("Location", *url);
        return httplib::Server::HandlerResponse::Handled;
    };
}

} // namespace rcommerce::server
