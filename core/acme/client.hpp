// The transport half of an RFC 8555 client: the directory, nonces and
// signed requests, over cpp-httplib's client.
//
// Every response's Replay-Nonce is kept for the next request (section
// 7.2); a badNonce problem is retried with the nonce it carried, at most
// k_max_bad_nonce_retries times (section 6.5). Problems are returned in the
// Response, not as errors, because callers act on their types
// (orderNotReady, rateLimited, accountDoesNotExist).
#pragma once

#include "core/acme/crypto.hpp"
#include "core/acme/protocol.hpp"
#include "core/util/cancellation.hpp"
#include "core/util/result.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace httplib {
class Client;
}

namespace rcommerce::acme {

inline constexpr int k_max_bad_nonce_retries = 20;

struct Response {
    int status = 0;
    std::string body;
    std::string location;
    std::string content_type;
    std::vector<Link> links;
    std::optional<int64_t> retry_after; // seconds
    std::optional<Problem> problem;     // set for any 4xx/5xx with a problem body

    [[nodiscard]] bool ok() const { return status >= 200 && status < 300; }
    // The body as a JSON object; an empty object if it is not one.
    [[nodiscard]] nlohmann::json json() const;
};

// An Error for a failed response: the problem's type, detail and subproblems.
[[nodiscard]] Error problem_error(std::string what, const Response &response);

class Client {
public:
    ~Client();
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;

    // Fetches the directory. `ca_file` (may be empty) is trusted for HTTPS.
    [[nodiscard]] static Result<std::unique_ptr<Client>> connect(const std::string &directory_url,
                                                                 const std::string &ca_file);

    [[nodiscard]] const Directory &directory() const { return m_directory; }
    [[nodiscard]] const std::string &directory_url() const { return m_directory_url; }

    // The key (and, once known, account URL) that signs requests.
    void set_account(const AccountKey *key, std::string kid);
    [[nodiscard]] const std::string &kid() const { return m_kid; }

    // Once `cancel` is cancelled no further request is sent (each fails with
    // `acme_cancelled`), and the order flow's waits end early. A request
    // already on the wire runs to its timeout. May be null.
    void set_cancellation(const util::Cancellation *cancel) { m_cancel = cancel; }
    [[nodiscard]] const util::Cancellation *cancellation() const { return m_cancel; }

    // A signed POST. A null payload is POST-as-GET (section 6.3).
    [[nodiscard]] Result<Response> post(const std::string &url, const nlohmann::json &payload,
                                        Signer signer = Signer::kid,
                                        const std::string &accept = {});
    [[nodiscard]] Result<Response> post_as_get(const std::string &url,
                                               const std::string &accept = {})
    {
        return post(url, nullptr, Signer::kid, accept);
    }
    // An unsigned GET (directory, renewalInfo).
    [[nodiscard]] Result<Response> get(const std::string &url);

private:
    Client() = default;
    [[nodiscard]] Result<httplib::Client *> http_for(const std::string &url, std::string &path);
    [[nodiscard]] Result<Response> send(const std::string &method, const std::string &url,
                                        const std::string &body, const std::string &accept);
    [[nodiscard]] Status fetch_nonce();

    std::string m_directory_url;
    std::string m_ca_file;
    Directory m_directory;
    std::map<std::string, std::unique_ptr<httplib::Client>> m_http;
    std::string m_nonce;
    const AccountKey *m_key = nullptr;
    std::string m_kid;
    const util::Cancellation *m_cancel = nullptr;
};

} // namespace rcommerce::acme
