// A short-lived cache of the bodies of GET answers that are the same for
// every caller allowed to read them (a product by id), so a popular one is
// not read from the database and serialised on every request.
//
// Every write this process handles (any POST, PATCH or DELETE through the
// API) makes every entry stale at once, so a client never reads its own
// write back stale. A change made by another process (a second `serve` on
// the same PostgreSQL database, `rcommerce db seed`) is seen within the
// time to live, `[server] response_cache_seconds` (0 turns caching off).
// Authentication and scopes are checked on every request before the cache
// is consulted.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace rcommerce::server::api {

class ResponseCache {
public:
    ResponseCache(std::chrono::milliseconds time_to_live, size_t capacity);

    [[nodiscard]] bool enabled() const { return m_time_to_live.count() > 0; }
    // Read before the database is, and passed to store(): an answer read
    // while a write happened is then never served.
    [[nodiscard]] uint64_t generation() const { return m_generation.load(); }
    // After a request that may have written anything.
    void invalidate() { ++m_generation; }

    [[nodiscard]] std::shared_ptr<const std::string> find(const std::string &key) const;
    void store(const std::string &key, std::string body, uint64_t generation);

private:
    using Clock = std::chrono::steady_clock;
    struct Entry {
        std::shared_ptr<const std::string> body;
        uint64_t generation;
        Clock::time_point expires;
    };
    std::chrono::milliseconds m_time_to_live;
    size_t m_capacity;
    std::atomic<uint64_t> m_generation{0};
    mutable std::shared_mutex m_mutex;
    std::unordered_map<std::string, Entry> m_entries;
};

} // namespace rcommerce::server::api
