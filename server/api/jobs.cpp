#include "server/api/jobs.hpp"

#include "core/idempotency/key_store.hpp"
#include "core/inventory/stock.hpp"
#include "core/log/log.hpp"
#include "core/payments/refunds.hpp"
#include "core/payments/stripe_gateway.hpp"
#include "core/util/time.hpp"

namespace rcommerce::server::api {

BackgroundJobs::BackgroundJobs(const config::Config &config, store::Database &database)
    : m_config(config), m_database(database), m_thread([this] { loop(); })
{
}

BackgroundJobs::~BackgroundJobs()
{
    stop();
}

void BackgroundJobs::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

void BackgroundJobs::run_once(const config::Config &config, store::Database &database, int64_t now)
{
    auto expired = inventory::expire_reservations(database, config.inventory, now);
    if (expired > 0) {
        log::info("reservations expired", {{"count", expired}});
    }
    idempotency::purge_expired(database, now);
    if (config.payment.stripe.enabled) {
        payments::stripe::StripeGateway card(
            payments::stripe::client_options(config.payment.stripe));
        auto settled = payments::resend_orphaned_refunds(database, config.inventory, card, now);
        if (settled > 0) {
            log::info("orphaned Stripe refunds settled", {{"count", settled}});
        }
    }
}

void BackgroundJobs::loop()
{
    auto interval = std::chrono::seconds(m_config.inventory.expiry_interval_seconds);
    std::unique_lock lock(m_mutex);
    while (!m_wake.wait_for(lock, interval, [this] { return m_stopping; })) {
        lock.unlock();
        try {
            run_once(m_config, m_database, util::unix_now());
        } catch (const std::exception &error) {
            // A busy database or a failing disk: try again next interval.
            log::warn("background job failed", {{"error", error.what()}});
        }
        lock.lock();
    }
}

} // namespace rcommerce::server::api
