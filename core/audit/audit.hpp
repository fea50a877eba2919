// One entry point for `rcommerce check-headers`: audit URLs, report findings,
// scores and whether CI should fail.
#pragma once

#include "core/audit/expect.hpp"
#include "core/audit/fetch.hpp"
#include "core/audit/rules.hpp"
#include "core/audit/score.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rcommerce::audit {

struct AuditOptions {
    FetchOptions fetch;
    std::optional<ExpectPolicy> expect;
    int max_redirects = 10;
};

// The audit of one URL. When `error` is set the URL could not be fetched and
// only `url` and `error` mean anything.
struct UrlReport {
    std::string url;
    std::optional<Error> error;
    std::vector<std::string> redirects; // every URL visited, for http:// URLs
    std::string final_url;
    int status = 0;
    HeaderList headers;
    std::optional<TlsFacts> tls;
    Findings findings; // most severe first
    std::vector<ScoreItem> score_items;
    Score score;
};

struct AuditReport {
    std::vector<UrlReport> urls;
    bool insecure = false;
};

// Fetches and judges one URL; never throws for network trouble.
[[nodiscard]] UrlReport audit_url(const std::string &url, const AuditOptions &options);

// Audits every URL (concurrently, in order of the input).
[[nodiscard]] AuditReport audit_urls(const std::vector<std::string> &urls,
                                     const AuditOptions &options);

// Judges an already fetched response; the offline half of audit_url.
void judge_response(UrlReport &report, const HttpResponse &response, const AuditOptions &options);

// The outcome CI acts on: any unreachable URL wins (exit 3), then any finding
// at or above `fail_on` or any grade worse than `min_grade_rank` (exit 1).
enum class Verdict { pass, fail, unreachable };
[[nodiscard]] Verdict verdict(const AuditReport &report, std::optional<Severity> fail_on,
                              std::optional<int> min_grade_rank);

} // namespace rcommerce::audit
