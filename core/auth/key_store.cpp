#include "core/auth/key_store.hpp"

#include "core/auth/key_cache.hpp"
#include "core/crypto/crypto.hpp"
#include "core/store/database.hpp"
#include "core/util/strings.hpp"
#include "core/util/time.hpp"
#include "core/util/validation.hpp"

namespace rcommerce::auth {
namespace {

constexpr const char *k_key_select =
    "SELECT id, name, prefix, scopes, created_at, last_used_at, revoked_at, key_hash "
    "FROM api_keys ";

// last_used_at is a hint for operators, not an audit log: refreshing it at
// most once a minute keeps reads from taking the write lock on every request.
constexpr int64_t k_last_used_resolution_seconds = 60;

StoredKey read_key(const store::Row &row)
{
    StoredKey key;
    key.id = row.integer(0);
    key.name = row.text(1);
    key.prefix = row.text(2);
    // Stored by create_key from a parsed set, so it parses.
    if (auto scopes = parse_scopes(row.text_view(3))) {
        key.scopes = *scopes;
    }
    key.created_at = row.text(4);
    key.last_used_at = row.optional_text(5);
    key.revoked_at = row.optional_text(6);
    return key;
}

Error unauthorized()
{
    return make_error(ErrorKind::unauthorized, "invalid_api_key", "authenticating the request",
                      "the API key is missing, malformed, unknown or revoked",
                      "send `Authorization: Bearer rk_live_...` with a key from "
                      "`rcommerce apikey create`");
}

} // namespace

Result<CreatedKey> create_key(store::Database &db, std::string_view name, const Scopes &scopes,
                              KeyMode mode)
{
    util::FieldErrors errors;
    if (util::trim(name).empty() || name.size() > 200 || util::has_control_characters(name)) {
        errors.add("name", "must be 1 to 200 printable characters");
    }
    if (scopes.empty()) {
        errors.add("scopes", "must list at least one of read, write, admin");
    }
    if (!errors.empty()) {
        return errors.error("creating an API key");
    }
    auto generated = generate_api_key(mode);
    return db.write([&](store::Connection &c) {
        c.execute("INSERT INTO api_keys (name, prefix, key_hash, scopes) VALUES (?, ?, ?, ?)", name,
                  generated.prefix, generated.hash, scopes.to_string());
        CreatedKey created;
        c.query(
            std::string(k_key_select) + "WHERE id = ?",
            [&](const store::Row &row) { created.stored = read_key(row); }, c.last_insert_id());
        created.key = std::move(generated.key);
        return created;
    });
}

std::vector<StoredKey> list_keys(store::Database &db)
{
    auto lease = db.connection();
    std::vector<StoredKey> keys;
    lease->query(std::string(k_key_select) + "ORDER BY id",
                 [&](const store::Row &row) { keys.push_back(read_key(row)); });
    return keys;
}

Result<RevokedKey> revoke_key(store::Database &db, std::string_view id_or_prefix)
{
    auto id = util::parse_int64(id_or_prefix);
    return db.write([&](store::Connection &c) -> Result<RevokedKey> {
        auto find = [&] {
            std::optional<StoredKey> key;
            c.query(
                std::string(k_key_select) + "WHERE id = ? OR prefix = ?",
                [&](const store::Row &row) { key = read_key(row); }, id.value_or(-1), id_or_prefix);
            return key;
        };
        auto before = find();
        if (!before) {
            return make_error(ErrorKind::not_found, "api_key_not_found", "revoking an API key",
                              "no key has id or prefix " + std::string(id_or_prefix),
                              "see `rcommerce apikey list`");
        }
        if (before->revoked_at) {
            return RevokedKey{*before, true};
        }
        c.execute("UPDATE api_keys SET revoked_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
                  "WHERE id = ?",
                  before->id);
        return RevokedKey{*find(), false};
    });
}

Result<StoredKey> authenticate(store::Database &db, std::string_view presented,
                               VerifiedKeyCache *cache)
{
    auto prefix = api_key_prefix(presented);
    if (!prefix) {
        return unauthorized();
    }
    auto hash = hash_api_key(presented);
    auto now = VerifiedKeyCache::Clock::now();
    if (cache != nullptr) {
        if (auto known = cache->find(*prefix, hash, now)) {
            return *known;
        }
    }
    std::optional<StoredKey> key;
    std::string stored_hash;
    {
        auto lease = db.connection();
        lease->query(
            std::string(k_key_select) + "WHERE prefix = ?",
            [&](const store::Row &row) {
                key = read_key(row);
                stored_hash = row.text(7);
            },
            *prefix);
    }
    // The hash is compared even for a revoked key, so timing does not tell
    // a revoked key from a wrong one.
    bool matches = key && crypto::constant_time_equals(hash, stored_hash);
    if (!matches || key->revoked_at) {
        return unauthorized();
    }
    if (cache != nullptr) {
        cache->remember(*key, std::move(hash), now);
    }

    auto stale = util::format_rfc3339(util::unix_now() - k_last_used_resolution_seconds);
    if (!key->last_used_at || *key->last_used_at < stale) {
        db.write([&](store::Connection &c) {
            c.execute("UPDATE api_keys SET last_used_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
                      "WHERE id = ?",
                      key->id);
        });
    }
    return *key;
}

} // namespace rcommerce::auth
