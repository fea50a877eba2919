// Request metrics of the listener in the Prometheus text exposition format
// (version 0.0.4): counts by method and status, a latency histogram, requests
// in flight and open connections, plus gauges the listener sets (certificate
// expiry). Thread-safe; cheap enough to update on every request.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace rcommerce::server {

class Metrics {
public:
    Metrics();

    void request_started() { m_in_flight.fetch_add(1, std::memory_order_relaxed); }
    // `method` is normalised to a fixed set so a client cannot grow the label set.
    void request_finished(const std::string &method, int status, double seconds);
    void connection_opened() { m_connections.fetch_add(1, std::memory_order_relaxed); }
    void connection_closed() { m_connections.fetch_sub(1, std::memory_order_relaxed); }

    // Replaces the certificate-expiry gauge: one value per certificate's
    // first name, Unix seconds of notAfter.
    void set_certificate_expiry(std::map<std::string, int64_t> expiry);

    // The whole exposition, ending with a newline.
    [[nodiscard]] std::string render() const;

private:
    static constexpr int k_buckets = 10;
    struct Histogram {
        std::vector<uint64_t> counts = std::vector<uint64_t>(k_buckets, 0);
        uint64_t count = 0;
        double sum = 0;
    };
    mutable std::mutex m_mutex;
    std::map<std::pair<std::string, int>, uint64_t> m_requests;
    std::map<std::string, Histogram> m_latency; // by method
    std::map<std::string, int64_t> m_cert_expiry;
    std::atomic<int64_t> m_in_flight{0};
    std::atomic<int64_t> m_connections{0};
    int64_t m_start_time;
};

} // namespace rcommerce::server
