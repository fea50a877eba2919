// Answering ACME challenges (RFC 8555 section 8).
//
// http-01 (section 8.3): the key authorization is served at
// /.well-known/acme-challenge/<token> by one of: a standalone listener this
// process runs on --http-port; files in a --webroot; or a running
// `rcommerce serve`, through `<cache_dir>/http-01/<token>` files.
// dns-01 (section 8.4): an operator hook publishes the TXT record. It is
// called as `CMD add|remove _acme-challenge.<domain> <value>` and must not
// return from `add` before the record is visible to the CA's resolvers.
#pragma once

#include "core/util/cancellation.hpp"
#include "core/util/result.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rcommerce::acme {

enum class ChallengeType { http_01, dns_01 };
enum class HttpMode { standalone, webroot, serve };

[[nodiscard]] std::string_view challenge_type_name(ChallengeType type);
[[nodiscard]] std::string_view http_mode_name(HttpMode mode);

struct ChallengeSettings {
    ChallengeType type = ChallengeType::http_01;
    HttpMode http_mode = HttpMode::standalone;
    int http_port = 80;
    std::string http_bind; // empty: all addresses, IPv6 and IPv4
    std::filesystem::path webroot;
    std::filesystem::path shared_dir; // <cache_dir>/http-01
    std::string dns_hook;
    std::chrono::seconds hook_timeout{600};
    const util::Cancellation *cancel = nullptr; // ends a running hook; may be null
};

// Tokens are base64url (section 8.1); anything else never reaches a path.
[[nodiscard]] bool valid_token(std::string_view token);
[[nodiscard]] std::string key_authorization(std::string_view token, std::string_view thumbprint);
// base64url(SHA-256(key authorization)), the dns-01 TXT value.
[[nodiscard]] std::string dns_txt_value(std::string_view key_authorization);
// "_acme-challenge.example.com" for "example.com" and "*.example.com".
[[nodiscard]] std::string dns_record_name(std::string_view domain);

// Runs `/bin/sh -c COMMAND "$@"` with `args` and extra environment; fails
// with `hook_failed` unless it exits 0 within `timeout`. A hook still
// running at the timeout, or when `cancel` fires, is stopped with its whole
// process group (SIGTERM, then SIGKILL): a hung DNS API call must not hold
// the certificate's lock, or keep `serve` from shutting down, forever.
[[nodiscard]] Status run_hook(const std::string &command, const std::vector<std::string> &args,
                              const std::vector<std::pair<std::string, std::string>> &env,
                              std::chrono::seconds timeout = std::chrono::seconds(600),
                              const util::Cancellation *cancel = nullptr);

// Publishes challenge responses and removes every one of them again when
// destroyed, whether the order succeeded or not.
class ChallengeResponder {
public:
    explicit ChallengeResponder(ChallengeSettings settings);
    ~ChallengeResponder();
    ChallengeResponder(const ChallengeResponder &) = delete;
    ChallengeResponder &operator=(const ChallengeResponder &) = delete;

    [[nodiscard]] const ChallengeSettings &settings() const { return m_settings; }
    [[nodiscard]] Status add_http(const std::string &token, const std::string &key_auth);
    [[nodiscard]] Status add_dns(const std::string &domain, const std::string &txt_value);
    void cleanup();

private:
    [[nodiscard]] Status start_listener();

    struct Listener;
    ChallengeSettings m_settings;
    std::unique_ptr<Listener> m_listener;
    std::vector<std::filesystem::path> m_files;
    std::vector<std::pair<std::string, std::string>> m_dns; // name, value
};

} // namespace rcommerce::acme
