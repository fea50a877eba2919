#include "server/api/response_cache.hpp"

#include <mutex>

namespace rcommerce::server::api {

ResponseCache::ResponseCache(std::chrono::milliseconds time_to_live, size_t capacity)
    : m_time_to_live(time_to_live), m_capacity(capacity)
{
}

std::shared_ptr<const std::string> ResponseCache::find(const std::string &key) const
{
    if (!enabled()) {
        return nullptr;
    }
    auto generation = m_generation.load();
    std::shared_lock lock(m_mutex);
    auto found = m_entries.find(key);
    if (found == m_entries.end() || found->second.generation != generation ||
        found->second.expires <= Clock::now()) {
        return nullptr;
    }
    return found->second.body;
}

void ResponseCache::store(const std::string &key, std::string body, uint64_t generation)
{
    if (!enabled() || generation != m_generation.load()) {
        return;
    }
    auto entry = Entry{std::make_shared<const std::string>(std::move(body)), generation,
                       Clock::now() + m_time_to_live};
    std::unique_lock lock(m_mutex);
    if (m_entries.size() >= m_capacity && m_entries.count(key) == 0) {
        // Stale and expired entries go first; a cache full of live ones
        // starts over, which only costs the next reads a database trip.
        auto now = Clock::now();
        for (auto it = m_entries.begin(); it != m_entries.end();) {
            bool dead = it->second.generation != generation || it->second.expires <= now;
            it = dead ? m_entries.erase(it) : std::next(it);
        }
        if (m_entries.size() >= m_capacity) {
            m_entries.clear();
        }
    }
    m_entries.insert_or_assign(key, std::move(entry));
}

} // namespace rcommerce::server::api
