#include "core/idempotency/key_store.hpp"

#include "core/crypto/crypto.hpp"
#include "core/store/database.hpp"
#include "core/util/strings.hpp"
#include "core/util/time.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <limits>
#include <unistd.h>

namespace rcommerce::idempotency {
namespace {

std::string cutoff(int64_t now)
{
    return util::format_rfc3339(now - k_retention_seconds);
}

// True when the process that claimed a key can no longer finish it.
bool owner_gone(std::string_view owner)
{
    if (owner == process_owner()) {
        return false;
    }
    auto colon = owner.find(':');
    auto pid = util::parse_int64(owner.substr(0, colon));
    if (colon == std::string_view::npos || !pid || *pid <= 0 ||
        *pid > std::numeric_limits<pid_t>::max()) {
        return true; // claimed by a binary that did not record its owner
    }
    if (*pid == ::getpid()) {
        return true; // an earlier process with our pid (pid 1 in a container)
    }
    return ::kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH;
}

} // namespace

const std::string &process_owner()
{
    static const std::string owner =
        std::to_string(::getpid()) + ":" + crypto::to_hex(crypto::random_bytes(8));
    return owner;
}

Result<Claim> begin(store::Database &db, std::string_view scope, std::string_view key,
                    std::string_view fingerprint, std::string_view owner)
{
    if (owner.empty()) {
        owner = process_owner();
    }
    return db.write([&](store::Connection &c) -> Result<Claim> {
        c.execute("DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND created_at < ?",
                  scope, key, cutoff(util::unix_now()));
        auto statement = c.prepare("SELECT request_fingerprint, response_status, "
                                   "response_headers, response_body, created_at "
                                   "FROM idempotency_keys WHERE scope = ? AND key = ?");
        statement.bind_all(scope, key);
        if (!statement.step()) {
            // Until the response replaces them, the headers name the owner.
            nlohmann::json claimed = {{"owner", owner}};
            c.execute("INSERT INTO idempotency_keys (scope, key, request_fingerprint, "
                      "response_headers) VALUES (?, ?, ?, ?)",
                      scope, key, fingerprint, claimed.dump());
            return Claim{};
        }
        auto row = statement.row();
        if (!crypto::constant_time_equals(row.text_view(0), fingerprint)) {
            return make_error(ErrorKind::validation, "idempotency_key_reused",
                              "replaying an idempotent request",
                              "this Idempotency-Key was used for a different request",
                              "use a new key for a new request");
        }
        auto headers = nlohmann::json::parse(row.text_view(2), nullptr, false);
        if (row.is_null(1)) {
            std::string claimed_by;
            if (headers.is_object() && headers.contains("owner") && headers["owner"].is_string()) {
                claimed_by = headers["owner"].get<std::string>();
            }
            if (owner_gone(claimed_by)) {
                return make_error(
                    ErrorKind::conflict, "idempotency_key_interrupted",
                    "replaying an idempotent request",
                    "the first request with this Idempotency-Key, received at " + row.text(4) +
                        ", was cut off when the server stopped before answering; it may or "
                        "may not have taken effect",
                    "check whether it did (read or list what it creates or changes), then send "
                    "what is still needed under a new Idempotency-Key");
            }
            return make_error(ErrorKind::conflict, "idempotency_key_in_use",
                              "replaying an idempotent request",
                              "the first request with this Idempotency-Key is still running",
                              "retry in a moment");
        }
        Claim claim;
        claim.outcome = Claim::Outcome::replay;
        claim.response.status = static_cast<int>(row.integer(1));
        if (headers.is_object() && headers.contains("content-type") &&
            headers["content-type"].is_string()) {
            claim.response.content_type = headers["content-type"].get<std::string>();
        }
        claim.response.body = row.text(3);
        return claim;
    });
}

void finish(store::Database &db, std::string_view scope, std::string_view key,
            const StoredResponse &response)
{
    nlohmann::json headers = {{"content-type", response.content_type}};
    db.write([&](store::Connection &c) {
        c.execute("UPDATE idempotency_keys SET response_status = ?, response_headers = ?, "
                  "response_body = ? WHERE scope = ? AND key = ?",
                  int64_t{response.status}, headers.dump(), response.body, scope, key);
    });
}

void abandon(store::Database &db, std::string_view scope, std::string_view key)
{
    db.write([&](store::Connection &c) {
        c.execute("DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND "
                  "response_status IS NULL",
                  scope, key);
    });
}

int64_t purge_expired(store::Database &db, int64_t now)
{
    return db.write([&](store::Connection &c) {
        return c.execute("DELETE FROM idempotency_keys WHERE created_at < ?", cutoff(now));
    });
}

} // namespace rcommerce::idempotency
