#include "core/auth/key_cache.hpp"

#include "core/crypto/crypto.hpp"

namespace rcommerce::auth {

VerifiedKeyCache::VerifiedKeyCache(std::chrono::seconds ttl, size_t capacity)
    : m_ttl(ttl), m_capacity(capacity == 0 ? 1 : capacity)
{
}

std::optional<StoredKey> VerifiedKeyCache::find(std::string_view prefix, std::string_view hash,
                                                Clock::time_point now) const
{
    if (!enabled()) {
        return std::nullopt;
    }
    std::shared_ptr<const Entry> entry;
    {
        std::lock_guard lock(m_mutex);
        auto found = m_entries.find(std::string(prefix));
        if (found == m_entries.end()) {
            return std::nullopt;
        }
        entry = found->second;
    }
    bool fresh = now >= entry->verified && now - entry->verified < m_ttl;
    if (!crypto::constant_time_equals(hash, entry->hash) || !fresh) {
        return std::nullopt;
    }
    return entry->key;
}

void VerifiedKeyCache::remember(const StoredKey &key, std::string hash, Clock::time_point now)
{
    if (!enabled() || key.revoked_at) {
        return;
    }
    auto entry = std::make_shared<const Entry>(Entry{key, std::move(hash), now});
    std::lock_guard lock(m_mutex);
    if (m_entries.size() >= m_capacity && m_entries.count(key.prefix) == 0) {
        std::erase_if(m_entries,
                      [&](const auto &item) { return now - item.second->verified >= m_ttl; });
        if (m_entries.size() >= m_capacity) {
            m_entries.clear();
        }
    }
    m_entries[key.prefix] = std::move(entry);
}

size_t VerifiedKeyCache::size() const
{
    std::lock_guard lock(m_mutex);
    return m_entries.size();
}

} // namespace rcommerce::auth
