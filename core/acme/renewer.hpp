// `serve`'s own certificate manager for `[tls.lets_encrypt] enabled = true`.
//
// On its own thread it obtains the certificate for `domains` when the store
// lacks it (or holds one for other names), and, with `auto_renew`, renews
// every stored certificate that is due, with the same renewal_decision as
// `rcommerce cert renew` (ACME Renewal Information included). http-01 is
// answered by the running `serve` through `<cache_dir>/http-01/<token>`, so
// its plain-HTTP listener must be up before the renewer starts. After any
// certificate was written it calls `on_changed` so the HTTPS listener swaps
// it in at once. Checks repeat every check_interval_seconds (jittered) or
// when a certificate becomes due sooner; a failed pass is retried with the
// backoff of schedule.hpp while the old certificate keeps being served.
#pragma once

#include "core/acme/issue.hpp"
#include "core/acme/schedule.hpp"
#include "core/config/config.hpp"
#include "core/util/cancellation.hpp"

#include <functional>
#include <optional>
#include <thread>

namespace rcommerce::acme {

// The order `serve` places for `[tls.lets_encrypt] domains`: http-01 through
// the shared challenge folder (or dns-01 through dns_hook), from the
// configured directory, key type and account.
[[nodiscard]] IssueRequest configured_issue_request(const config::LetsEncryptConfig &le);

// Whether the store lacks a readable certificate for exactly the request's
// names (A-labels, any order) from the request's directory (so switching
// from staging to production orders anew). A certificate that is merely
// due, revoked or has a mismatched key is renewal's business, not this.
[[nodiscard]] bool certificate_missing(const IssueRequest &request);

struct PassOutcome {
    bool failed = false;                // something could not be obtained or renewed
    bool changed = false;               // a certificate was written
    std::optional<int64_t> next_due_at; // earliest due time of the stored ones
};

class Renewer {
public:
    // Starts the thread, which runs its first pass at once.
    Renewer(const config::LetsEncryptConfig &le, std::function<void()> on_changed);
    Renewer(const Renewer &) = delete;
    Renewer &operator=(const Renewer &) = delete;
    // stop()
    ~Renewer();

    // Cancels an order in progress (it stops at its next request or wait,
    // writing nothing) and joins the thread. A request already sent to the
    // CA finishes or times out first.
    void stop();

    // One pass: obtain what is missing, then renew what is due.
    [[nodiscard]] PassOutcome run_pass();

private:
    void loop();

    config::LetsEncryptConfig m_le;
    std::function<void()> m_on_changed;
    util::Cancellation m_cancel;
    std::thread m_thread;
};

} // namespace rcommerce::acme
