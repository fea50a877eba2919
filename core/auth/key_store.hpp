// API keys in the store: create (the key is returned once, only its SHA-256
// is kept), list, revoke, and authenticate a presented key.
#pragma once

#include "core/auth/api_key.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rcommerce::store {
class Database;
} // namespace rcommerce::store

namespace rcommerce::auth {

struct StoredKey {
    int64_t id = 0;
    std::string name;
    std::string prefix; // "rk_live_<id>": safe to show
    Scopes scopes;
    std::string created_at;
    std::optional<std::string> last_used_at;
    std::optional<std::string> revoked_at;
};

struct CreatedKey {
    StoredKey stored;
    std::string key; // the only time the whole key exists outside the client
};

// Errors: validation_failed when the name is empty or too long, or no scope.
[[nodiscard]] Result<CreatedKey> create_key(store::Database &db, std::string_view name,
                                            const Scopes &scopes, KeyMode mode);
[[nodiscard]] std::vector<StoredKey> list_keys(store::Database &db);

struct RevokedKey {
    StoredKey stored;
    bool was_already_revoked = false; // revoked_at is the earlier revocation
};

// Revokes by numeric id or by prefix. api_key_not_found when neither
// matches; revoking twice is harmless (the first time is kept and reported).
[[nodiscard]] Result<RevokedKey> revoke_key(store::Database &db, std::string_view id_or_prefix);

class VerifiedKeyCache;

// The key a request presented, if it is ours, unrevoked and its hash matches
// (compared in constant time). Every failure is the same unauthorized error
// ("invalid_api_key"), so a caller learns nothing about which part was wrong.
// With a `cache`, a key verified recently is answered from it without the
// store (see key_cache.hpp for how long a revocation may take to apply), and
// a key the store verifies is added to it.
[[nodiscard]] Result<StoredKey> authenticate(store::Database &db, std::string_view presented,
                                             VerifiedKeyCache *cache = nullptr);

} // namespace rcommerce::auth
