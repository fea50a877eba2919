#include "core/acme/client.hpp"

#include "core/http/client_error.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "core/util/time.hpp"
#include "core/version.hpp"

#include <httplib.h>

namespace rcommerce::acme {

namespace {

constexpr int k_connect_timeout_seconds = 10;
constexpr int k_read_timeout_seconds = 60;

Error transport_error(const std::string &url, httplib::Error error)
{
    return make_error(ErrorKind::unavailable, "acme_unreachable", "contacting " + url,
                      http::describe_client_error(error),
                      "check the directory URL, the network and, for a private CA, --ca-file");
}

// "https://host:port/path?q" -> origin "https://host:port", path "/path?q".
std::optional<std::pair<std::string, std::string>> split_url(const std::string &url)
{
    auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        return std::nullopt;
    }
    std::string scheme = util::to_lower(url.substr(0, scheme_end));
    if (scheme != "https" && scheme != "http") {
        return std::nullopt;
    }
    auto path_start = url.find('/', scheme_end + 3);
    std::string origin = url.substr(0, path_start);
    std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
    if (origin.size() <= scheme_end + 3) {
        return std::nullopt;
    }
    return std::pair{origin, path};
}

} // namespace

nlohmann::json Response::json() const
{
    auto doc = nlohmann::json::parse(body, nullptr, false);
    return doc.is_object() ? doc : nlohmann::json::object();
}

Error problem_error(std::string what, const Response &response)
{
    std::string why =
        response.problem ? response.problem->describe() : "HTTP " + std::to_string(response.status);
    std::string hint;
    if (response.problem && response.problem->is("rateLimited") && response.retry_after) {
        hint = "the CA asks to retry after " +
               util::format_rfc3339(util::unix_now() + *response.retry_after);
    }
    return make_error(ErrorKind::unavailable, "acme_problem", std::move(what), std::move(why),
                      std::move(hint));
}

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::connect(const std::string &directory_url,
                                                const std::string &ca_file)
{
    std::unique_ptr<Client> client(new Client());
    client->m_directory_url = directory_url;
    client->m_ca_file = ca_file;
    auto response = client->get(directory_url);
    if (!response) {
        return std::move(response).error();
    }
    auto directory = response->ok() ? parse_directory(response->body) : std::nullopt;
    if (!directory) {
        return make_error(ErrorKind::unavailable, "acme_bad_directory",
                          "reading the ACME directory " + directory_url,
                          "HTTP " + std::to_string(response->status) +
                              ", not a directory with newNonce, newAccount and newOrder",
                          "check --directory");
    }
    client->m_directory = std::move(*directory);
    return client;
}

void Client::set_account(const AccountKey *key, std::string kid)
{
    m_key = key;
    m_kid = std::move(kid);
}

Result<httplib::Client *> Client::http_for(const std::string &url, std::string &path)
{
    auto parts = split_url(url);
    if (!parts) {
        return make_error(ErrorKind::validation, "acme_bad_url", "ACME URL \"" + url + "\"",
                          "not an http(s) URL");
    }
    path = parts->second;
    auto &slot = m_http[parts->first];
    if (!slot) {
        slot = std::make_unique<httplib::Client>(parts->first);
        slot->set_connection_timeout(k_connect_timeout_seconds, 0);
        slot->set_read_timeout(k_read_timeout_seconds, 0);
        slot->set_keep_alive(true);
        if (!m_ca_file.empty()) {
            slot->set_ca_cert_path(m_ca_file);
        }
        slot->enable_server_certificate_verification(true);
    }
    return slot.get();
}

Result<Response> Client::send(const std::string &method, const std::string &url,
                              const std::string &body, const std::string &accept)
{
    if (m_cancel != nullptr && m_cancel->cancelled()) {
        return make_error(ErrorKind::unavailable, "acme_cancelled", method + " " + url,
                          "stopped before sending: the process is shutting down");
    }
    std::string path;
    auto http = http_for(url, path);
    if (!http) {
        return std::move(http).error();
    }
    httplib::Headers headers = {{"User-Agent", std::string("rcommerce/") + k_version}};
    if (!accept.empty()) {
        headers.emplace("Accept", accept);
    }
    httplib::Result result = method == "POST"
                                 ? (*http)->Post(path, headers, body, "application/jose+json")
                             : method == "HEAD" ? (*http)->Head(path, headers)
                                                : (*http)->Get(path, headers);
    if (!result) {
        return transport_error(url, result.error());
    }
    Response out;
    out.status = result->status;
    out.body = result->body;
    out.location = result->get_header_value("Location");
    out.content_type = result->get_header_value("Content-Type");
    if (auto nonce = result->get_header_value("Replay-Nonce"); !nonce.empty()) {
        m_nonce = nonce;
    }
    auto links = result->headers.equal_range("Link");
    for (auto it = links.first; it != links.second; ++it) {
        for (auto &link : parse_link_header(it->second)) {
            out.links.push_back(std::move(link));
        }
    }
    if (result->has_header("Retry-After")) {
        out.retry_after =
            parse_retry_after(result->get_header_value("Retry-After"), util::unix_now());
    }
    if (out.status >= 400) {
        out.problem = parse_problem(out.body);
    }
    log::debug("acme response", {{"method", method}, {"url", url}, {"status", out.status}});
    return out;
}

Status Client::fetch_nonce()
{
    auto response = send("HEAD", m_directory.new_nonce, {}, {});
    if (!response) {
        return std::move(response).error();
    }
    if (m_nonce.empty()) {
        return problem_error("getting a nonce from " + m_directory.new_nonce, *response);
    }
    return ok_status();
}

Result<Response> Client::get(const std::string &url)
{
    return send("GET", url, {}, {});
}

Result<Response> Client::post(const std::string &url, const nlohmann::json &payload, Signer signer,
                              const std::string &accept)
{
    if (m_key == nullptr) {
        return make_error(ErrorKind::internal, "acme_no_account", "signing a request",
                          "no account key set");
    }
    for (int attempt = 0;; ++attempt) {
        if (m_nonce.empty()) {
            if (auto fetched = fetch_nonce(); !fetched) {
                return std::move(fetched).error();
            }
        }
        std::string nonce = std::exchange(m_nonce, {});
        auto jws = make_jws(*m_key, signer, m_kid, nonce, url, payload);
        if (!jws) {
            return std::move(jws).error();
        }
        auto response = send("POST", url, jws->dump(), accept);
        if (!response) {
            return response;
        }
        // Section 6.5: the error response carries a fresh nonce (now in
        // m_nonce); retry with it, a bounded number of times.
        if (response->problem && response->problem->is("badNonce") &&
            attempt < k_max_bad_nonce_retries) {
            log::debug("acme badNonce, retrying", {{"url", url}, {"attempt", attempt + 1}});
            continue;
        }
        return response;
    }
}

} // namespace rcommerce::acme
