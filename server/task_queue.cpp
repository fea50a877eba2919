#include "server/task_queue.hpp"

#include <algorithm>
#include <chrono>

namespace rcommerce::server {

namespace {
constexpr auto k_idle_exit = std::chrono::seconds(60);
}

ElasticTaskQueue::ElasticTaskQueue(size_t min_threads, size_t max_threads)
    : m_min_threads(std::max<size_t>(1, min_threads)),
      m_max_threads(std::max(m_min_threads, max_threads))
{
    std::lock_guard lock(m_mutex);
    for (size_t i = 0; i < m_min_threads; ++i) {
        start_thread();
    }
}

ElasticTaskQueue::~ElasticTaskQueue()
{
    shutdown();
}

void ElasticTaskQueue::start_thread()
{
    ++m_running;
    m_threads.emplace_back([this] { work(); });
}

void ElasticTaskQueue::enqueue(std::function<void()> fn)
{
    std::lock_guard lock(m_mutex);
    m_jobs.push_back(std::move(fn));
    // Only start a thread when the queued jobs outnumber idle threads.
    if (m_jobs.size() > m_idle && m_running < m_max_threads) {
        // Join threads that already exited so m_threads does not grow.
        for (auto id : m_finished) {
            auto it = std::find_if(m_threads.begin(), m_threads.end(),
                                   [&](const std::thread &t) { return t.get_id() == id; });
            if (it != m_threads.end()) {
                it->join();
                m_threads.erase(it);
            }
        }
        m_finished.clear();
        start_thread();
    }
    m_ready.notify_one();
}

void ElasticTaskQueue::work()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        ++m_idle;
        bool woke =
            m_ready.wait_for(lock, k_idle_exit, [&] { return !m_jobs.empty() || m_shutdown; });
        --m_idle;
        if (!woke && m_running > m_min_threads) {
            break;
        }
        if (m_jobs.empty()) {
            if (m_shutdown) {
                break;
            }
            continue;
        }
        auto job = std::move(m_jobs.front());
        m_jobs.pop_front();
        lock.unlock();
        job();
        lock.lock();
    }
    --m_running;
    // A thread cannot join itself: the next enqueue() or shutdown() does.
    if (!m_shutdown) {
        m_finished.push_back(std::this_thread::get_id());
    }
}

void ElasticTaskQueue::shutdown()
{
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(m_mutex);
        m_shutdown = true;
        threads.swap(m_threads);
        m_finished.clear();
    }
    m_ready.notify_all();
    for (auto &thread : threads) {
        if (thread.joinable()) {
            thread.join();
        }
    }
}

} // namespace rcommerce::server
