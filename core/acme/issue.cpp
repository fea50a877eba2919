#include "core/acme/issue.hpp"
#include "core/tls/certificate.hpp"

#include "core/acme/client.hpp"
#include "core/acme/names.hpp"
#include "core/acme/x509.hpp"
#include "core/log/log.hpp"
#include "core/util/strings.hpp"
#include "core/util/time.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace rcommerce::acme {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Validation against a nearby CA often finishes within milliseconds, so
// polling starts short and backs off; a longer Retry-After wins (section 8.2).
constexpr auto k_first_poll = std::chrono::milliseconds(25);
constexpr auto k_max_poll = std::chrono::milliseconds(2000);
// A rateLimited answer asking for at most this long is waited out once;
// longer ones are reported with the time to retry.
constexpr int64_t k_max_rate_limit_wait_seconds = 10;

// The key lives on the heap: the client keeps a pointer to it.
struct Session {
    std::unique_ptr<Client> client;
    std::unique_ptr<AccountKey> key;
};

Error order_error(std::string what, std::string why, std::string hint = {})
{
    return make_error(ErrorKind::unavailable, "acme_order_failed", std::move(what), std::move(why),
                      std::move(hint));
}

std::string json_string(const json &object, const char *key)
{
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool json_true(const json &object, const char *key)
{
    auto it = object.find(key);
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string problem_text(const json &object)
{
    auto it = object.find("error");
    if (it == object.end() || !it->is_object()) {
        return {};
    }
    auto problem = parse_problem(it->dump());
    return problem ? problem->describe() : std::string();
}

Error cancelled_error(const std::string &what)
{
    return make_error(ErrorKind::unavailable, "acme_cancelled", what,
                      "stopped: the process is shutting down");
}

// Sleeps unless the client's work is cancelled first; false when cancelled.
bool pause(const Client &client, std::chrono::milliseconds duration)
{
    if (client.cancellation() != nullptr) {
        return client.cancellation()->sleep_for(duration);
    }
    std::this_thread::sleep_for(duration);
    return true;
}

// A signed POST, waiting out one short rateLimited answer.
Result<Response> post_checked(Client &client, const std::string &url, const json &payload,
                              Signer signer = Signer::kid, const std::string &accept = {})
{
    auto response = client.post(url, payload, signer, accept);
    if (response && response->problem && response->problem->is("rateLimited") &&
        response->retry_after && *response->retry_after <= k_max_rate_limit_wait_seconds) {
        if (pause(client, std::chrono::seconds(*response->retry_after))) {
            response = client.post(url, payload, signer, accept);
        }
    }
    return response;
}

// Polls `url` (POST-as-GET) until `done(object)` or the deadline.
Result<json> poll(Client &client, const std::string &url, Clock::time_point deadline,
                  const std::function<bool(const json &)> &done, const std::string &what)
{
    auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(k_first_poll);
    for (;;) {
        auto response = post_checked(client, url, nullptr);
        if (!response) {
            return std::move(response).error();
        }
        if (!response->ok()) {
            return problem_error(what, *response);
        }
        json object = response->json();
        if (done(object)) {
            return object;
        }
        // A longer Retry-After wins over the backoff; a shorter one (0, or a
        // date already past) would turn polling into a busy loop against
        // the CA until the deadline, so the backoff is the floor. A day
        // caps it: any deadline passes first, and seconds * 1000 stays in range.
        auto wait =
            response->retry_after
                ? std::max(interval, std::chrono::milliseconds(*response->retry_after * 1000))
                : interval;
        if (Clock::now() + wait > deadline) {
            return order_error(
                what, "still \"" + json_string(object, "status") + "\" when the deadline passed",
                "the CA is slow; try again later");
        }
        if (!pause(client, wait)) {
            return cancelled_error(what);
        }
        interval = std::min(interval * 2,
                            std::chrono::duration_cast<std::chrono::milliseconds>(k_max_poll));
    }
}

Result<std::vector<std::string>> normalize_names(const std::vector<std::string> &domains)
{
    std::vector<std::string> names;
    for (const auto &domain : domains) {
        auto a_label = to_a_label(domain);
        if (!a_label) {
            return std::move(a_label).error();
        }
        if (std::find(names.begin(), names.end(), *a_label) == names.end()) {
            names.push_back(std::move(*a_label));
        }
    }
    if (names.empty()) {
        return make_error(ErrorKind::validation, "no_domains", "certificate request",
                          "no domain given", "pass --domain or set tls.lets_encrypt.domains");
    }
    return names;
}

Result<Session> open_session(const IssueRequest &request, const CertStore &store,
                             bool fresh_account)
{
    auto client = Client::connect(request.directory_url, request.ca_file);
    if (!client) {
        return std::move(client).error();
    }
    Session session{std::move(*client), nullptr};
    session.client->set_cancellation(request.cancel);
    // The stored key is kept whatever else is wrong: certificates it ordered
    // can only be revoked with it. A CA that forgot the account, or a lost
    // account.json, is answered by registering the same key again (a CA
    // returns the existing account for a known key, RFC 8555 section 7.3.1).
    auto stored = store.load_account(request.directory_url, request.email);
    if (stored) {
        if (auto key = AccountKey::from_pem(stored->key_pem)) {
            session.key = std::make_unique<AccountKey>(std::move(*key));
            session.client->set_account(session.key.get(), fresh_account ? "" : stored->url);
            if (!fresh_account && !stored->url.empty()) {
                return session;
            }
        } else {
            log::warn("the stored ACME account key is unreadable; it is kept as "
                      "key.pem.unreadable.* and a new account is registered",
                      {{"directory", request.directory_url}, {"email", request.email}});
        }
    }
    if (!session.key) {
        auto key = AccountKey::generate(KeyType::ecdsa_p256);
        if (!key) {
            return std::move(key).error();
        }
        session.key = std::make_unique<AccountKey>(std::move(*key));
        session.client->set_account(session.key.get(), "");
        // On disk before the CA knows it: a crash after registering must
        // not lose the key of an account that exists.
        auto kept =
            store.save_new_account_key(request.directory_url, request.email, session.key->pem());
        if (!kept) {
            return std::move(kept).error();
        }
    }

    // Section 7.3: a new account, with the terms agreed and the contact.
    const Directory &dir = session.client->directory();
    json payload = {{"termsOfServiceAgreed", true}};
    if (!request.email.empty()) {
        payload["contact"] = json::array({"mailto:" + request.email});
    }
    if (dir.external_account_required) {
        if (request.eab_kid.empty() || request.eab_hmac_key.empty()) {
            return make_error(ErrorKind::validation, "eab_required",
                              "creating an account at " + request.directory_url,
                              std::string("the CA requires External Account Binding and ") +
                                  (request.eab_kid.empty() ? "no key id" : "no HMAC key") +
                                  " was given",
                              "pass --eab-kid with the key id your CA gave you, and put its "
                              "HMAC key in RCOMMERCE_TLS_LETS_ENCRYPT_EAB_HMAC_KEY (or "
                              "tls.lets_encrypt.eab_hmac_key)");
        }
        auto eab = make_eab(*session.key, request.eab_kid, request.eab_hmac_key, dir.new_account);
        if (!eab) {
            return std::move(eab).error();
        }
        payload["externalAccountBinding"] = *eab;
    }
    auto response = post_checked(*session.client, dir.new_account, payload, Signer::jwk);
    if (!response) {
        return std::move(response).error();
    }
    if (!response->ok() || response->location.empty()) {
        return problem_error("creating an account at " + request.directory_url, *response);
    }
    session.client->set_account(session.key.get(), response->location);
    auto saved = store.save_account(request.directory_url, request.email,
                                    {response->location, session.key->pem()});
    if (!saved) {
        return std::move(saved).error();
    }
    log::info("ACME account ready", {{"account", response->location}});
    return session;
}

// The challenge of the wanted type in an authorization, or an error saying
// which types the CA offered.
Result<json> pick_challenge(const json &authz, ChallengeType type, const std::string &domain)
{
    std::string wanted(challenge_type_name(type));
    std::string offered;
    auto challenges = authz.find("challenges");
    if (challenges != authz.end() && challenges->is_array()) {
        for (const auto &challenge : *challenges) {
            if (!challenge.is_object()) {
                continue;
            }
            std::string name = json_string(challenge, "type");
            if (name == wanted) {
                return challenge;
            }
            offered += (offered.empty() ? "" : ", ") + name;
        }
    }
    return order_error("validating " + domain,
                       "the CA does not offer " + wanted +
                           " (offered: " + (offered.empty() ? "none" : offered) + ")",
                       wanted == "http-01" ? "use --challenge dns-01 with --dns-hook" : "");
}

// Section 7.5: publish every pending challenge, tell the CA, and poll each
// authorization until it is decided.
Status authorize(Session &session, const json &order, const IssueRequest &request,
                 Clock::time_point deadline)
{
    Client &client = *session.client;
    ChallengeSettings settings = request.challenge;
    settings.cancel = request.cancel;
    ChallengeResponder responder(settings);
    std::string thumbprint = session.key->thumbprint();
    std::vector<std::pair<std::string, std::string>> pending; // authz url, domain
    for (const auto &url_json : order.value("authorizations", json::array())) {
        if (!url_json.is_string()) {
            continue;
        }
        std::string url = url_json.get<std::string>();
        auto response = post_checked(client, url, nullptr);
        if (!response) {
            return std::move(response).error();
        }
        if (!response->ok()) {
            return problem_error("fetching authorization " + url, *response);
        }
        json authz = response->json();
        std::string domain = json_string(authz.value("identifier", json::object()), "value");
        if (json_true(authz, "wildcard")) {
            domain = "*." + domain;
        }
        if (json_string(authz, "status") == "valid") {
            continue;
        }
        auto challenge = pick_challenge(authz, request.challenge.type, domain);
        if (!challenge) {
            return std::move(challenge).error();
        }
        std::string token = json_string(*challenge, "token");
        std::string key_auth = key_authorization(token, thumbprint);
        auto published = request.challenge.type == ChallengeType::http_01
                             ? responder.add_http(token, key_auth)
                             : responder.add_dns(domain, dns_txt_value(key_auth));
        if (!published) {
            return published;
        }
        auto answered = post_checked(client, json_string(*challenge, "url"), json::object());
        if (!answered) {
            return std::move(answered).error();
        }
        if (!answered->ok()) {
            return problem_error("answering the challenge for " + domain, *answered);
        }
        pending.emplace_back(url, domain);
    }
    for (const auto &[url, domain] : pending) {
        auto authz = poll(
            client, url, deadline,
            [](const json &a) { return json_string(a, "status") != "pending"; },
            "validating " + domain);
        if (!authz) {
            return std::move(authz).error();
        }
        if (json_string(*authz, "status") == "valid") {
            continue;
        }
        std::string why;
        for (const auto &challenge : authz->value("challenges", json::array())) {
            if (challenge.is_object() && why.empty()) {
                why = problem_text(challenge);
            }
        }
        return order_error("validating " + domain,
                           "authorization " + json_string(*authz, "status") +
                               (why.empty() ? "" : ": " + why),
                           "check that the CA can reach this host for " +
                               std::string(challenge_type_name(request.challenge.type)));
    }
    return ok_status();
}

// Section 7.4: finalize with a CSR, polling through orderNotReady and
// processing. Returns the order once it is valid.
Result<json> finalize(Client &client, const std::string &order_url, json order, EVP_PKEY *key,
                      const std::vector<std::string> &names, Clock::time_point deadline)
{
    auto csr = make_csr(key, names);
    if (!csr) {
        return std::move(csr).error();
    }
    json payload = {{"csr", base64url_encode(*csr)}};
    auto settled = [](const json &o) {
        std::string s = json_string(o, "status");
        return s != "pending" && s != "processing";
    };
    int not_ready_rounds = 0;
    for (;;) {
        auto response = post_checked(client, json_string(order, "finalize"), payload);
        if (!response) {
            return std::move(response).error();
        }
        if (response->problem && response->problem->is("orderNotReady")) {
            if (Clock::now() >= deadline) {
                return problem_error("finalizing the order", *response);
            }
            auto polled = poll(client, order_url, deadline, settled, "waiting for the order");
            if (!polled) {
                return polled;
            }
            order = std::move(*polled);
            if (json_string(order, "status") != "ready") {
                break;
            }
            // A CA that says "ready" and then "orderNotReady" again is not
            // hammered: back off a little each round until the deadline.
            if (!pause(client, k_first_poll * (++not_ready_rounds))) {
                return cancelled_error("finalizing the order");
            }
            continue;
        }
        if (!response->ok()) {
            return problem_error("finalizing the order", *response);
        }
        order = response->json();
        break;
    }
    auto done = poll(client, order_url, deadline, settled, "waiting for the certificate");
    if (!done) {
        return done;
    }
    if (json_string(*done, "status") != "valid") {
        std::string why = problem_text(*done);
        return order_error("finalizing the order", "order is " + json_string(*done, "status") +
                                                       (why.empty() ? "" : ": " + why));
    }
    return done;
}

std::string chain_top_issuer(const std::string &pem_chain)
{
    auto certs = split_pem_chain(pem_chain);
    if (certs.empty()) {
        return {};
    }
    auto info = read_certificate(certs.back());
    return info ? info->issuer_cn : std::string();
}

// Section 7.4.2: the default chain, or the alternate whose top certificate
// was issued by `preferred` (the root's subject CN).
Result<std::string> download_chain(Client &client, const std::string &url,
                                   const std::string &preferred)
{
    const std::string accept = "application/pem-certificate-chain";
    auto response = post_checked(client, url, nullptr, Signer::kid, accept);
    if (!response) {
        return std::move(response).error();
    }
    if (!response->ok() || split_pem_chain(response->body).empty()) {
        return problem_error("downloading the certificate", *response);
    }
    if (preferred.empty() || chain_top_issuer(response->body) == preferred) {
        return response->body;
    }
    for (const auto &link : response->links) {
        if (link.rel != "alternate") {
            continue;
        }
        auto alternate = post_checked(client, link.uri, nullptr, Signer::kid, accept);
        if (alternate && alternate->ok() && chain_top_issuer(alternate->body) == preferred) {
            return alternate->body;
        }
    }
    log::warn("no chain matches --preferred-chain; keeping the default chain",
              {{"preferred", preferred}, {"default", chain_top_issuer(response->body)}});
    return response->body;
}

Result<json> new_order(Session &session, const std::vector<std::string> &names,
                       const std::string &replaces, std::string &order_url)
{
    json identifiers = json::array();
    for (const auto &name : names) {
        identifiers.push_back({{"type", "dns"}, {"value", name}});
    }
    json payload = {{"identifiers", identifiers}};
    if (!replaces.empty()) {
        payload["replaces"] = replaces;
    }
    const std::string &url = session.client->directory().new_order;
    auto response = post_checked(*session.client, url, payload);
    if (!response) {
        return std::move(response).error();
    }
    // RFC 9773 section 5: a CA may refuse `replaces`; order without it.
    if (response->problem && response->problem->is("alreadyReplaced") && !replaces.empty()) {
        return new_order(session, names, {}, order_url);
    }
    if (!response->ok()) {
        return problem_error("ordering a certificate for " + names.front(), *response);
    }
    order_url = response->location;
    return response->json();
}

// Everything that can be wrong on this machine is found before the CA is
// contacted: an order placed and then abandoned counts against the CA's
// rate limits (Let's Encrypt allows few failed validations an hour).
Status check_local_inputs(const IssueRequest &request)
{
    auto invalid = [](std::string code, std::string what, std::string why, std::string hint) {
        return make_error(ErrorKind::validation, std::move(code), std::move(what), std::move(why),
                          std::move(hint));
    };
    // RFC 8555 section 6.1: HTTPS only. A CA on the loopback interface (a
    // test double) may speak plain HTTP: nothing crosses a network.
    std::string url = util::to_lower(request.directory_url);
    bool loopback = url.rfind("http://127.0.0.1:", 0) == 0 ||
                    url.rfind("http://localhost:", 0) == 0 || url.rfind("http://[::1]:", 0) == 0;
    if (url.rfind("https://", 0) != 0 && !loopback) {
        return invalid("acme_directory_not_https", "ACME directory " + request.directory_url,
                       "ACME is spoken over HTTPS only (RFC 8555 section 6.1)",
                       "use the https:// directory URL your CA publishes");
    }
    const auto &email = request.email;
    auto at = email.find('@');
    if (!email.empty() && (at == std::string::npos || at == 0 || at + 1 == email.size() ||
                           email.find('@', at + 1) != std::string::npos ||
                           email.find_first_of(" \t\r\n,;<>\"") != std::string::npos)) {
        return invalid("invalid_email", "contact e-mail \"" + email + "\"",
                       "not a single address of the form name@domain",
                       "pass --email ops@example.com, or leave it out");
    }
    std::error_code ec;
    if (!request.ca_file.empty()) {
        if (auto usable = tls::check_ca_file(request.ca_file, "CA file " + request.ca_file);
            !usable) {
            return usable.error();
        }
    }
    const auto &challenge = request.challenge;
    if (challenge.type == ChallengeType::http_01 && challenge.http_mode == HttpMode::webroot &&
        (!std::filesystem::is_directory(challenge.webroot, ec) ||
         ::access(challenge.webroot.c_str(), W_OK) != 0)) {
        return invalid("webroot_unusable", "webroot " + challenge.webroot.string(),
                       "not a folder this process can write to",
                       "pass the document root your web server serves for the domain");
    }
    if (challenge.type == ChallengeType::dns_01) {
        // The hook is a shell command; a path as its first word is checked.
        std::string program = challenge.dns_hook.substr(0, challenge.dns_hook.find(' '));
        if (program.find('/') != std::string::npos && ::access(program.c_str(), X_OK) != 0) {
            return invalid("dns_hook_unusable", "DNS hook " + program, std::strerror(errno),
                           "pass an executable to --dns-hook");
        }
    }
    return ok_status();
}

Status check_challenge_fits(const std::vector<std::string> &names, const IssueRequest &request)
{
    for (const auto &name : names) {
        if (is_wildcard(name) && request.challenge.type != ChallengeType::dns_01) {
            return make_error(ErrorKind::validation, "wildcard_needs_dns01", "domain " + name,
                              "wildcard names can only be validated with dns-01",
                              "pass --challenge dns-01 --dns-hook CMD");
        }
    }
    if (request.challenge.type == ChallengeType::dns_01 && request.challenge.dns_hook.empty()) {
        return make_error(ErrorKind::validation, "dns_hook_missing", "dns-01 challenge",
                          "no DNS hook is configured",
                          "pass --dns-hook CMD (called as CMD add|remove NAME VALUE)");
    }
    if (request.challenge.type == ChallengeType::http_01 &&
        request.challenge.http_mode == HttpMode::webroot && request.challenge.webroot.empty()) {
        return make_error(ErrorKind::validation, "webroot_missing", "http-01 challenge",
                          "no webroot folder given", "pass --webroot DIR");
    }
    return check_local_inputs(request);
}

Result<Issued> issue_locked(const IssueRequest &original, const std::vector<std::string> &names,
                            const CertStore &store)
{
    IssueRequest request = original;
    request.challenge.shared_dir = store.challenge_dir();
    auto deadline = Clock::now() + request.deadline;

    auto session = open_session(request, store, false);
    if (!session) {
        return std::move(session).error();
    }
    std::string order_url;
    auto order = new_order(*session, names, request.replaces, order_url);
    // A stored account the CA forgot (a test CA restarted, a deactivated
    // account): register again once.
    if (!order && order.error().why.rfind("accountDoesNotExist", 0) == 0) {
        session = open_session(request, store, true);
        if (!session) {
            return std::move(session).error();
        }
        order = new_order(*session, names, request.replaces, order_url);
    }
    if (!order) {
        return std::move(order).error();
    }
    if (auto authorized = authorize(*session, *order, request, deadline); !authorized) {
        return std::move(authorized).error();
    }
    auto key = generate_key(request.key_type);
    if (!key) {
        return std::move(key).error();
    }
    auto valid = finalize(*session->client, order_url, *order, key->get(), names, deadline);
    if (!valid) {
        return std::move(valid).error();
    }
    auto pem = download_chain(*session->client, json_string(*valid, "certificate"),
                              request.preferred_chain);
    if (!pem) {
        return std::move(pem).error();
    }
    auto certs = order_issued_chain(split_pem_chain(*pem), key->get(), names);
    if (!certs) {
        return std::move(certs).error();
    }
    auto info = read_certificate(certs->front());
    if (!info) {
        return std::move(info).error();
    }
    std::string chain;
    for (size_t i = 1; i < certs->size(); ++i) {
        chain += (*certs)[i];
    }

    CertMeta meta;
    meta.names = names;
    meta.issuer = info->issuer;
    meta.serial_hex = info->serial_hex;
    meta.not_before = info->not_before;
    meta.not_after = info->not_after;
    meta.directory_url = request.directory_url;
    // Stored absolute: `cert renew` runs later from another folder (a timer).
    std::error_code absolute_error;
    auto absolute = [&](const std::filesystem::path &path) {
        return path.empty() ? std::string()
                            : std::filesystem::absolute(path, absolute_error).string();
    };
    meta.ca_file = absolute(request.ca_file);
    meta.email = request.email;
    meta.key_type = key_type_name(request.key_type);
    meta.challenge = challenge_type_name(request.challenge.type);
    meta.http_mode = http_mode_name(request.challenge.http_mode);
    meta.http_port = request.challenge.http_port;
    meta.webroot = absolute(request.challenge.webroot);
    meta.dns_hook = request.challenge.dns_hook;
    meta.preferred_chain = request.preferred_chain;
    auto folder = store.folder_for(names.front());
    if (auto saved = store.save(folder, certs->front(), chain, private_key_pem(key->get()), meta);
        !saved) {
        return std::move(saved).error();
    }
    log::info("certificate issued",
              {{"names", names}, {"serial", info->serial_hex}, {"folder", folder.string()}});
    return Issued{folder, std::move(meta)};
}

IssueRequest request_from_meta(const CertMeta &meta, const RenewRequest &renew)
{
    IssueRequest request;
    request.domains = meta.names;
    request.email = meta.email;
    request.directory_url = meta.directory_url;
    request.ca_file = renew.ca_file.empty() ? meta.ca_file : renew.ca_file;
    request.cache_dir = renew.cache_dir;
    request.key_type = parse_key_type(meta.key_type).value_or(KeyType::ecdsa_p256);
    request.preferred_chain = meta.preferred_chain;
    request.eab_kid = renew.eab_kid;
    request.eab_hmac_key = renew.eab_hmac_key;
    request.cancel = renew.cancel;
    ChallengeSettings &c = request.challenge;
    c.type = renew.challenge_type.value_or(meta.challenge == "dns-01" ? ChallengeType::dns_01
                                                                      : ChallengeType::http_01);
    c.http_mode = meta.http_mode == "webroot" ? HttpMode::webroot
                  : meta.http_mode == "serve" ? HttpMode::serve
                                              : HttpMode::standalone;
    c.http_mode = renew.http_mode.value_or(c.http_mode);
    c.http_port = renew.http_port.value_or(static_cast<int>(meta.http_port));
    c.webroot = renew.webroot.empty() ? meta.webroot : renew.webroot;
    c.dns_hook = renew.dns_hook.empty() ? meta.dns_hook : renew.dns_hook;
    c.hook_timeout = renew.hook_timeout;
    return request;
}

RenewReport renew_one(const CertStore &store, const std::filesystem::path &folder,
                      const RenewRequest &request)
{
    RenewReport report{folder, {}, RenewOutcome::failed, {}};
    auto lock = store.lock(folder.filename().string());
    if (!lock) {
        report.outcome = RenewOutcome::busy;
        report.detail = lock.error().why;
        return report;
    }
    // Read again under the lock: another renewer may have just finished.
    auto cert = store.load(folder);
    if (!cert) {
        report.detail = cert.error().what + ": " + cert.error().why;
        return report;
    }
    report.names = cert->meta.names;
    auto decision = renewal_decision(*cert, request.renew_before_days, request.ca_file);
    report.detail = decision.reason;
    report.due_at = decision.due_at;
    if (!decision.due && !request.force) {
        report.outcome = RenewOutcome::not_due;
        return report;
    }
    IssueRequest issue = request_from_meta(cert->meta, request);
    if (!issue.ca_file.empty()) {
        if (auto usable = tls::check_ca_file(issue.ca_file, "CA file " + issue.ca_file); !usable) {
            report.detail = usable.error().what + ": " + usable.error().why +
                            " (pass --ca-file, or issue the certificate again)";
            return report;
        }
    }
    if (auto pem = read_file(folder / "cert.pem")) {
        if (auto id = ari_cert_id(*pem)) {
            issue.replaces = *id;
        }
    }
    auto issued = issue_locked(issue, cert->meta.names, store);
    if (!issued) {
        report.detail = issued.error().what + ": " + issued.error().why;
        return report;
    }
    report.outcome = RenewOutcome::renewed;
    report.detail = "valid until " + util::format_rfc3339(issued->meta.not_after);
    if (auto hooked =
            run_deploy_hook(request.deploy_hook, *issued, request.hook_timeout, request.cancel);
        !hooked) {
        report.outcome = RenewOutcome::failed;
        report.detail = "renewed, but the deploy hook failed: " + hooked.error().why;
    }
    return report;
}

} // namespace

namespace {

std::string joined(const std::vector<std::string> &names)
{
    std::string out;
    for (const auto &name : names) {
        out += (out.empty() ? "" : ", ") + name;
    }
    return out;
}

// The folder is named by the first name only, so a request for fewer names,
// or from another CA, would silently replace what `serve` is serving: a
// production certificate by an untrusted staging one, or {a, b} by {a}.
// Adding names to the same CA's certificate loses nothing and is allowed.
Status check_replacement(const CertStore &store, const std::vector<std::string> &names,
                         const IssueRequest &request)
{
    auto existing = store.load(store.folder_for(names.front()));
    if (request.replace || !existing) {
        return ok_status(); // nothing stored, or broken files worth replacing
    }
    const auto &meta = existing->meta;
    std::vector<std::string> dropped;
    for (const auto &name : meta.names) {
        if (std::find(names.begin(), names.end(), name) == names.end()) {
            dropped.push_back(name);
        }
    }
    std::string why;
    if (meta.directory_url != request.directory_url) {
        why = "the stored certificate for " + names.front() + " came from " + meta.directory_url +
              "; this one would come from " + request.directory_url + " and replace it";
    } else if (!dropped.empty()) {
        why = "the stored certificate for " + names.front() + " also names " + joined(dropped) +
              ", which this one would drop";
    } else {
        return ok_status();
    }
    return make_error(ErrorKind::validation, "certificate_exists",
                      "issuing a certificate for " + joined(names), why,
                      "pass --replace to replace it, give every name it has, or use another "
                      "tls.lets_encrypt.cache_dir for trials against staging");
}

} // namespace

Result<Issued> issue_certificate(const IssueRequest &request)
{
    auto names = normalize_names(request.domains);
    if (!names) {
        return std::move(names).error();
    }
    if (auto fits = check_challenge_fits(*names, request); !fits) {
        return std::move(fits).error();
    }
    CertStore store(request.cache_dir);
    auto lock = store.lock(folder_name(names->front()));
    if (!lock) {
        return std::move(lock).error();
    }
    if (auto kept = check_replacement(store, *names, request); !kept) {
        return std::move(kept).error();
    }
    return issue_locked(request, *names, store);
}

RenewalDecision renewal_decision(const StoredCertificate &cert, int64_t renew_before_days,
                                 const std::string &ca_file)
{
    int64_t now = util::unix_now();
    if (cert.meta.revoked) {
        return {true, now, "revoked"};
    }
    if (!cert.key_matches) {
        return {true, now, "the key does not match the certificate"};
    }
    std::optional<RenewalWindow> window;
    auto pem = read_file(cert.folder / "cert.pem");
    auto id = pem ? ari_cert_id(*pem) : Result<std::string>(Error{});
    auto client =
        id ? Client::connect(cert.meta.directory_url, ca_file.empty() ? cert.meta.ca_file : ca_file)
           : Result<std::unique_ptr<Client>>(Error{});
    if (client && !(*client)->directory().renewal_info.empty()) {
        std::string base = (*client)->directory().renewal_info;
        auto response = (*client)->get(base + (base.ends_with("/") ? "" : "/") + *id);
        if (response && response->ok()) {
            window = parse_renewal_info(response->body);
        }
    }
    return decide_renewal(cert.meta.not_before, cert.meta.not_after, now, renew_before_days,
                          window);
}

std::vector<RenewReport> renew_certificates(const RenewRequest &request)
{
    CertStore store(request.cache_dir);
    std::vector<RenewReport> reports;
    // renew_one loads each folder under its lock and reports a broken one
    // by its folder name, with the reason.
    for (const auto &folder : store.folders()) {
        if (request.cancel != nullptr && request.cancel->cancelled()) {
            break;
        }
        reports.push_back(renew_one(store, folder, request));
    }
    return reports;
}

Status run_deploy_hook(const std::string &hook, const Issued &issued, std::chrono::seconds timeout,
                       const util::Cancellation *cancel)
{
    if (hook.empty()) {
        return ok_status();
    }
    std::string names;
    for (const auto &name : issued.meta.names) {
        names += (names.empty() ? "" : " ") + name;
    }
    return run_hook(
        hook, {},
        {{"RCOMMERCE_RENEWED_DOMAINS", names}, {"RCOMMERCE_RENEWED_PATH", issued.folder.string()}},
        timeout, cancel);
}

std::string configured_directory_url(const config::LetsEncryptConfig &le)
{
    if (!le.directory_url.empty()) {
        return le.directory_url;
    }
    return std::string(le.use_staging ? k_letsencrypt_staging : k_letsencrypt_production);
}

std::optional<int> parse_revocation_reason(std::string_view name)
{
    static const std::pair<std::string_view, int> reasons[] = {{"unspecified", 0},
                                                               {"keyCompromise", 1},
                                                               {"affiliationChanged", 3},
                                                               {"superseded", 4},
                                                               {"cessationOfOperation", 5}};
    for (const auto &[text, code] : reasons) {
        if (text == name) {
            return code;
        }
    }
    return std::nullopt;
}

Status revoke_certificate(const std::filesystem::path &cache_dir, const std::string &domain,
                          int reason, const std::string &ca_file)
{
    auto name = to_a_label(domain);
    if (!name) {
        return std::move(name).error();
    }
    CertStore store(cache_dir);
    auto lock = store.lock(folder_name(*name));
    if (!lock) {
        return std::move(lock).error();
    }
    auto folder = store.folder_for(*name);
    auto cert = store.load(folder);
    auto pem = read_file(folder / "cert.pem");
    if (!cert || !pem) {
        return make_error(ErrorKind::not_found, "certificate_not_found", "revoking " + domain,
                          "no stored certificate at " + folder.string(),
                          "see `rcommerce cert list`");
    }
    auto der = certificate_der(*pem);
    auto account = store.load_account(cert->meta.directory_url, cert->meta.email);
    if (!der || !account) {
        return make_error(ErrorKind::not_found, "account_not_found", "revoking " + domain,
                          "the account that ordered this certificate is not in the store");
    }
    auto key = AccountKey::from_pem(account->key_pem);
    if (!key) {
        return std::move(key).error();
    }
    auto client =
        Client::connect(cert->meta.directory_url, ca_file.empty() ? cert->meta.ca_file : ca_file);
    if (!client) {
        return std::move(client).error();
    }
    std::string account_url = account->url;
    if (account_url.empty()) {
        // account.json was lost; the CA finds the account by its key.
        (*client)->set_account(&*key, "");
        auto found = post_checked(**client, (*client)->directory().new_account,
                                  {{"onlyReturnExisting", true}}, Signer::jwk);
        if (!found) {
            return std::move(found).error();
        }
        if (!found->ok() || found->location.empty()) {
            return problem_error("finding the account that ordered " + domain, *found);
        }
        account_url = found->location;
    }
    (*client)->set_account(&*key, account_url);
    json payload = {{"certificate", base64url_encode(*der)}, {"reason", reason}};
    auto response = post_checked(**client, (*client)->directory().revoke_cert, payload);
    if (!response) {
        return std::move(response).error();
    }
    if (!response->ok()) {
        return problem_error("revoking " + domain, *response);
    }
    CertMeta meta = cert->meta;
    meta.revoked = true;
    return write_file_atomic(folder / "meta.json", meta_to_json(meta).dump(2) + "\n", 0644);
}

} // namespace rcommerce::acme
