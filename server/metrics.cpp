#include "server/metrics.hpp"

#include "core/util/time.hpp"
#include "core/version.hpp"

#include <array>
#include <sstream>

namespace rcommerce::server {
namespace {

constexpr std::array<double, 10> k_bounds = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                             0.05,  0.1,    0.25,  0.5,  1.0};

std::string known_method(const std::string &method)
{
    for (const char *known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
        if (method == known) {
            return method;
        }
    }
    return "other";
}

// Label values escaped per the text format: backslash, quote, newline.
std::string escape_label(const std::string &value)
{
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

Metrics::Metrics() : m_start_time(util::unix_now()) {}

void Metrics::request_finished(const std::string &method, int status, double seconds)
{
    m_in_flight.fetch_sub(1, std::memory_order_relaxed);
    auto name = known_method(method);
    std::lock_guard lock(m_mutex);
    ++m_requests[{name, status}];
    auto &histogram = m_latency[name];
    for (size_t i = 0; i < k_bounds.size(); ++i) {
        if (seconds <= k_bounds[i]) {
            ++histogram.counts[i];
        }
    }
    ++histogram.count;
    histogram.sum += seconds;
}

void Metrics::set_certificate_expiry(std::map<std::string, int64_t> expiry)
{
    std::lock_guard lock(m_mutex);
    m_cert_expiry = std::move(expiry);
}

std::string Metrics::render() const
{
    std::ostringstream out;
    out << "# HELP rcommerce_build_info Version of the running binary.\n"
        << "# TYPE rcommerce_build_info gauge\n"
        << "rcommerce_build_info{version=\"" << escape_label(k_version) << "\"} 1\n"
        << "# HELP rcommerce_process_start_time_seconds Start time of the process.\n"
        << "# TYPE rcommerce_process_start_time_seconds gauge\n"
        << "rcommerce_process_start_time_seconds " << m_start_time << "\n"
        << "# HELP rcommerce_http_requests_in_flight Requests being served.\n"
        << "# TYPE rcommerce_http_requests_in_flight gauge\n"
        << "rcommerce_http_requests_in_flight " << m_in_flight.load() << "\n"
        << "# HELP rcommerce_http_connections_open Client connections being served.\n"
        << "# TYPE rcommerce_http_connections_open gauge\n"
        << "rcommerce_http_connections_open " << m_connections.load() << "\n";

    std::lock_guard lock(m_mutex);
    out << "# HELP rcommerce_http_requests_total HTTP requests answered.\n"
        << "# TYPE rcommerce_http_requests_total counter\n";
    for (const auto &[key, count] : m_requests) {
        out << "rcommerce_http_requests_total{method=\"" << key.first << "\",status=\""
            << key.second << "\"} " << count << "\n";
    }
    out << "# HELP rcommerce_http_request_duration_seconds Time to answer a request.\n"
        << "# TYPE rcommerce_http_request_duration_seconds histogram\n";
    for (const auto &[method, histogram] : m_latency) {
        auto prefix =
            "rcommerce_http_request_duration_seconds_bucket{method=\"" + method + "\",le=\"";
        for (size_t i = 0; i < k_bounds.size(); ++i) {
            out << prefix << k_bounds[i] << "\"} " << histogram.counts[i] << "\n";
        }
        out << prefix << "+Inf\"} " << histogram.count << "\n"
            << "rcommerce_http_request_duration_seconds_sum{method=\"" << method << "\"} "
            << histogram.sum << "\n"
            << "rcommerce_http_request_duration_seconds_count{method=\"" << method << "\"} "
            << histogram.count << "\n";
    }
    out << "# HELP rcommerce_tls_certificate_not_after_seconds Expiry of each served "
           "certificate.\n"
        << "# TYPE rcommerce_tls_certificate_not_after_seconds gauge\n";
    for (const auto &[name, not_after] : m_cert_expiry) {
        out << "rcommerce_tls_certificate_not_after_seconds{name=\"" << escape_label(name) << "\"} "
            << not_after << "\n";
    }
    return out.str();
}

} // namespace rcommerce::server
