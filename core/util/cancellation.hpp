// A stop request shared between a thread that waits or polls and the thread
// that wants it to end (SIGTERM in `serve`): long waits are interruptible,
// and work in between checks cancelled() at points where stopping leaves
// nothing half done.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace rcommerce::util {

class Cancellation {
public:
    // Wakes every sleep_for() at once; later ones return immediately.
    void cancel();
    [[nodiscard]] bool cancelled() const;
    // Waits `duration` unless cancelled first; false when cancelled.
    bool sleep_for(std::chrono::milliseconds duration) const;

private:
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_wake;
    bool m_cancelled = false;
};

} // namespace rcommerce::util
