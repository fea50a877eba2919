// Recently verified API keys, so a client sending many requests costs one
// store lookup per `ttl` instead of one per request (the lookup was the
// largest part of an authenticated read; see README "Benchmarks").
//
// An entry is the key's row plus the SHA-256 of the whole presented key, and
// is only ever created after the store confirmed that hash for an unrevoked
// key. A hit needs the same prefix and the same hash, compared in constant
// time, so the cache never accepts a key the store would refuse at the time
// the entry was made.
//
// Known shortcoming: a key revoked by another process (`rcommerce apikey
// revoke` while `serve` runs) is still accepted by that server until its
// entry expires, at most `ttl` after the key's last store check. The
// setting `[server] api_key_cache_seconds` bounds that window; 0 turns the
// cache off. (No route revokes keys, so there is no same-process revocation
// to apply sooner.)
#pragma once

#include "core/auth/key_store.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rcommerce::auth {

class VerifiedKeyCache {
public:
    using Clock = std::chrono::steady_clock;

    // `capacity` bounds memory: when full, expired entries go first, then all.
    explicit VerifiedKeyCache(std::chrono::seconds ttl, size_t capacity = 4096);

    [[nodiscard]] bool enabled() const noexcept { return m_ttl.count() > 0; }

    // The key stored under `prefix` when it was verified less than ttl
    // before `now` and `hash` (hex SHA-256 of the presented key) matches.
    [[nodiscard]] std::optional<StoredKey> find(std::string_view prefix, std::string_view hash,
                                                Clock::time_point now) const;

    // Records a key the store has just verified (unrevoked, hash matching).
    void remember(const StoredKey &key, std::string hash, Clock::time_point now);

    [[nodiscard]] size_t size() const;

private:
    struct Entry {
        StoredKey key;
        std::string hash;
        Clock::time_point verified;
    };
    std::chrono::seconds m_ttl;
    size_t m_capacity;
    mutable std::mutex m_mutex;
    // Entries are immutable once made: find() copies the pointer under the
    // lock and the key outside it.
    std::unordered_map<std::string, std::shared_ptr<const Entry>> m_entries;
};

} // namespace rcommerce::auth
