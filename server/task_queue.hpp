// The connection worker pool handed to cpp-httplib (Server::new_task_queue).
//
// cpp-httplib 0.11.4 gives each accepted connection to one worker for the
// connection's whole life: the TLS handshake, every keep-alive request, and
// the idle waits between them. Its stock ThreadPool has a fixed size, so N
// idle keep-alive clients (or N slowloris clients dribbling header bytes)
// starve everyone else. This pool keeps `min_threads` ready and starts
// another thread whenever a connection arrives and none is idle, up to
// `max_threads`; threads beyond the minimum exit after a minute idle. The
// cost of an idle connection is then one mostly-sleeping thread (its stack is
// reserved, not touched), which is what lets 500 idle clients and a new
// request coexist. Beyond `max_threads` connections wait in a queue.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rcommerce::server {

class ElasticTaskQueue : public httplib::TaskQueue {
public:
    ElasticTaskQueue(size_t min_threads, size_t max_threads);
    ~ElasticTaskQueue() override;

    void enqueue(std::function<void()> fn) override;
    // Runs every queued connection to its end, then joins all threads.
    void shutdown() override;

private:
    void work();
    void start_thread(); // with m_mutex held

    size_t m_min_threads;
    size_t m_max_threads;
    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::deque<std::function<void()>> m_jobs;
    std::vector<std::thread> m_threads;
    std::vector<std::thread::id> m_finished; // exited threads waiting to be joined
    size_t m_running = 0;
    size_t m_idle = 0;
    bool m_shutdown = false;
};

} // namespace rcommerce::server
