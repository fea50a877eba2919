#include "core/idempotency/key_store.hpp"

#include "core/crypto/crypto.hpp"
#include "core/store/database.hpp"
#include "core/util/time.hpp"

#include <nlohmann/json.hpp>

namespace rcommerce::idempotency {
namespace {

std::string cutoff(int64_t now)
{
    return util::format_rfc3339(now - k_retention_seconds);
}

} // namespace

Result<Claim> begin(store::Database &db, std::string_view scope, std::string_view key,
                    std::string_view fingerprint)
{
    return db.write([&](store::Connection &c) -> Result<Claim> {
        c.execute("DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND created_at < ?",
                  scope, key, cutoff(util::unix_now()));
        auto statement = c.prepare("SELECT request_fingerprint, response_status, "
                                   "response_headers, response_body FROM idempotency_keys "
                                   "WHERE scope = ? AND key = ?");
        statement.bind_all(scope, key);
        if (!statement.step()) {
            c.execute("INSERT INTO idempotency_keys (scope, key, request_fingerprint) "
                      "VALUES (?, ?, ?)",
                      scope, key, fingerprint);
            return Claim{};
        }
        auto row = statement.row();
        if (!crypto::constant_time_equals(row.text_view(0), fingerprint)) {
            return make_error(ErrorKind::validation, "idempotency_key_reused",
                              "replaying an idempotent request",
                              "this Idempotency-Key was used for a different request",
                              "use a new key for a new request");
        }
        if (row.is_null(1)) {
            return make_error(ErrorKind::conflict, "idempotency_key_in_use",
                              "replaying an idempotent request",
                              "the first request with this Idempotency-Key is still running",
                              "retry in a moment");
        }
        Claim claim;
        claim.outcome = Claim::Outcome::replay;
        claim.response.status = static_cast<int>(row.integer(1));
        auto headers = nlohmann::json::parse(row.text_view(2), nullptr, false);
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
