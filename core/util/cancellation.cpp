#include "core/util/cancellation.hpp"

namespace rcommerce::util {

void Cancellation::cancel()
{
    {
        std::lock_guard lock(m_mutex);
        m_cancelled = true;
    }
    m_wake.notify_all();
}

bool Cancellation::cancelled() const
{
    std::lock_guard lock(m_mutex);
    return m_cancelled;
}

bool Cancellation::sleep_for(std::chrono::milliseconds duration) const
{
    std::unique_lock lock(m_mutex);
    return !m_wake.wait_for(lock, duration, [this] { return m_cancelled; });
}

} // namespace rcommerce::util
