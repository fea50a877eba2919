#include "core/acme/renewer.hpp"

#include "core/acme/names.hpp"
#include "core/log/log.hpp"
#include "core/util/time.hpp"

#include <algorithm>
#include <random>

namespace rcommerce::acme {

namespace {

std::vector<std::string> sorted_a_labels(const std::vector<std::string> &names)
{
    std::vector<std::string> out;
    for (const auto &name : names) {
        auto a_label = to_a_label(name);
        out.push_back(a_label ? *a_label : name);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// A shutdown cancels the order in progress; that is no failure to report.
bool is_cancelled(const Error &error)
{
    return error.code == "acme_cancelled";
}

} // namespace

IssueRequest configured_issue_request(const config::LetsEncryptConfig &le)
{
    IssueRequest request;
    request.domains = le.domains;
    request.email = le.email;
    request.directory_url = configured_directory_url(le);
    request.ca_file = le.ca_file;
    request.cache_dir = le.cache_dir;
    request.key_type = parse_key_type(le.key_type).value_or(KeyType::ecdsa_p256);
    request.eab_kid = le.eab_kid;
    request.eab_hmac_key = le.eab_hmac_key;
    request.challenge.type =
        le.challenge == "dns-01" ? ChallengeType::dns_01 : ChallengeType::http_01;
    request.challenge.http_mode = HttpMode::serve;
    request.challenge.dns_hook = le.dns_hook;
    request.challenge.hook_timeout = std::chrono::seconds(le.hook_timeout_seconds);
    // The configuration states what `serve` should hold: an operator who
    // moves tls.lets_encrypt from staging to production, or drops a name
    // from its domains, wants the stored certificate replaced.
    request.replace = true;
    return request;
}

bool certificate_missing(const IssueRequest &request)
{
    auto wanted = sorted_a_labels(request.domains);
    if (wanted.empty()) {
        return false;
    }
    CertStore store(request.cache_dir);
    for (const auto &cert : store.list()) {
        if (cert && sorted_a_labels(cert->meta.names) == wanted &&
            cert->meta.directory_url == request.directory_url) {
            return false;
        }
    }
    return true;
}

Renewer::Renewer(const config::LetsEncryptConfig &le, std::function<void()> on_changed)
    : m_le(le), m_on_changed(std::move(on_changed)), m_thread([this] { loop(); })
{
}

Renewer::~Renewer()
{
    stop();
}

void Renewer::stop()
{
    m_cancel.cancel();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

PassOutcome Renewer::run_pass()
{
    PassOutcome outcome;
    IssueRequest obtain = configured_issue_request(m_le);
    obtain.cancel = &m_cancel;
    if (certificate_missing(obtain)) {
        log::info("obtaining a certificate",
                  {{"names", obtain.domains}, {"directory", obtain.directory_url}});
        auto issued = issue_certificate(obtain);
        if (issued) {
            outcome.changed = true;
            if (auto hooked =
                    run_deploy_hook(m_le.deploy_hook, *issued,
                                    std::chrono::seconds(m_le.hook_timeout_seconds), &m_cancel);
                !hooked) {
                log::error("deploy hook failed", {{"why", hooked.error().why}});
            }
        } else if (is_cancelled(issued.error())) {
            log::info("order cancelled for shutdown; nothing was stored",
                      {{"names", obtain.domains}});
        } else {
            outcome.failed = true;
            log::error("obtaining a certificate failed; will retry", {{"names", obtain.domains},
                                                                      {"what", issued.error().what},
                                                                      {"why", issued.error().why}});
        }
    }
    if (!m_le.auto_renew || m_cancel.cancelled()) {
        return outcome;
    }

    RenewRequest renew;
    renew.cache_dir = m_le.cache_dir;
    renew.renew_before_days = m_le.renew_before_days;
    renew.deploy_hook = m_le.deploy_hook;
    renew.ca_file = m_le.ca_file;
    renew.http_mode = HttpMode::serve; // the CLI's standalone port is ours now
    renew.dns_hook = m_le.dns_hook;
    renew.hook_timeout = std::chrono::seconds(m_le.hook_timeout_seconds);
    renew.eab_kid = m_le.eab_kid;
    renew.eab_hmac_key = m_le.eab_hmac_key;
    renew.cancel = &m_cancel;
    for (const auto &report : renew_certificates(renew)) {
        std::string name =
            report.names.empty() ? report.folder.filename().string() : report.names.front();
        switch (report.outcome) {
        case RenewOutcome::renewed:
            outcome.changed = true;
            log::info("certificate renewed", {{"name", name}, {"detail", report.detail}});
            break;
        case RenewOutcome::failed:
            if (m_cancel.cancelled()) {
                break;
            }
            outcome.failed = true;
            log::error("certificate renewal failed; still serving the current one",
                       {{"name", name}, {"why", report.detail}});
            break;
        case RenewOutcome::busy:
            log::info("another renewer holds this certificate",
                      {{"name", name}, {"detail", report.detail}});
            break;
        case RenewOutcome::not_due:
            log::debug("certificate not due", {{"name", name}, {"detail", report.detail}});
            if (report.due_at > 0) {
                outcome.next_due_at =
                    std::min(outcome.next_due_at.value_or(report.due_at), report.due_at);
            }
            break;
        }
    }
    return outcome;
}

void Renewer::loop()
{
    std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    RetryPolicy policy{m_le.retry_min_seconds, m_le.retry_max_seconds};
    int failures = 0;
    while (!m_cancel.cancelled()) {
        PassOutcome outcome;
        try {
            outcome = run_pass();
        } catch (const std::exception &error) {
            // A bug or a full disk must not end certificate upkeep for good.
            log::error("certificate check failed", {{"error", error.what()}});
            outcome.failed = true;
        }
        if (outcome.changed && m_on_changed) {
            m_on_changed();
        }
        int64_t delay = 0;
        if (outcome.failed) {
            delay = retry_delay_seconds(++failures, policy, uniform(rng));
            log::warn("certificate retry scheduled",
                      {{"in_seconds", delay}, {"failures_in_a_row", failures}});
        } else if (outcome.changed) {
            // A certificate just written has no due time yet; the next pass
            // (not due, as it is new) reads it, ARI included.
            failures = 0;
            delay = 1;
        } else {
            failures = 0;
            std::optional<int64_t> until_due;
            if (outcome.next_due_at) {
                until_due = *outcome.next_due_at - util::unix_now();
            }
            delay = next_check_delay_seconds(m_le.check_interval_seconds, until_due, uniform(rng));
            log::debug("next certificate check", {{"in_seconds", delay}});
        }
        m_cancel.sleep_for(std::chrono::seconds(delay));
    }
}

} // namespace rcommerce::acme
