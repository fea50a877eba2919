// The API's background work while `serve` runs: every
// `[inventory] expiry_interval_seconds` it expires overdue reservations
// (inventory::expire_reservations), purges idempotency keys older than
// 24 hours (idempotency::purge_expired) and, with Stripe enabled, sends
// again the refunds nobody is waiting for (payments::resend_orphaned_refunds).
#pragma once

#include "core/config/config.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace rcommerce::store {
class Database;
}

namespace rcommerce::server::api {

class BackgroundJobs {
public:
    // Starts the thread; `config` and `database` outlive this object.
    BackgroundJobs(const config::Config &config, store::Database &database);
    BackgroundJobs(const BackgroundJobs &) = delete;
    BackgroundJobs &operator=(const BackgroundJobs &) = delete;
    // Stops and joins (waits for a run in progress, never interrupts one).
    ~BackgroundJobs();

    void stop();

    // One pass of every job, as the thread runs it (tests call it directly).
    static void run_once(const config::Config &config, store::Database &database, int64_t now);

private:
    void loop();
    const config::Config &m_config;
    store::Database &m_database;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace rcommerce::server::api
