#include "core/audit/audit.hpp"

#include "core/util/strings.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <future>

namespace rcommerce::audit {

namespace {

bool is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool authenticated(const FetchOptions &options)
{
    return std::any_of(options.extra_headers.begin(), options.extra_headers.end(),
                       [](const auto &header) {
                           return util::iequals(header.first, "Authorization") ||
                                  util::iequals(header.first, "Cookie");
                       });
}

void probe_versions(const Url &url, const FetchOptions &options, TlsFacts &facts)
{
    auto probe = [&](int version) {
        return std::async(std::launch::async, [&url, &options, version] {
            return accepts_tls_version(url, version, options);
        });
    };
    auto tls12 = probe(TLS1_2_VERSION);
    auto tls11 = probe(TLS1_1_VERSION);
    auto tls10 = probe(TLS1_VERSION);
    facts.accepts_tls12 = tls12.get();
    facts.accepts_tls11 = tls11.get();
    facts.accepts_tls10 = tls10.get();
}

} // namespace

void judge_response(UrlReport &report, const HttpResponse &response, const AuditOptions &options)
{
    report.status = response.status;
    report.headers = response.headers;
    report.tls = response.tls;

    HttpExchange exchange;
    exchange.https = response.tls.has_value();
    exchange.headers = response.headers;
    exchange.authenticated = authenticated(options.fetch);
    exchange.probe_origin = options.fetch.probe_origin;
    exchange.certificate_valid =
        !response.tls || (response.tls->chain_valid && response.tls->hostname_matches);

    Judgement judgement = judge_headers(exchange);
    report.findings = std::move(judgement.findings);
    report.score_items = std::move(judgement.score);
    if (report.redirects.size() > 0) {
        Judgement redirects = judge_redirects(report.redirects);
        report.findings.insert(report.findings.end(), redirects.findings.begin(),
                               redirects.findings.end());
        report.score_items.insert(report.score_items.end(), redirects.score.begin(),
                                  redirects.score.end());
    }
    if (response.tls) {
        Findings tls = judge_tls(*response.tls);
        report.findings.insert(report.findings.end(), tls.begin(), tls.end());
    }
    if (options.expect) {
        Findings expected = check_expect_policy(*options.expect, response.headers);
        report.findings.insert(report.findings.end(), expected.begin(), expected.end());
    }
    std::stable_sort(report.findings.begin(), report.findings.end(),
                     [](const Finding &a, const Finding &b) { return a.severity > b.severity; });
    report.score = compute_score(report.score_items);
}

UrlReport audit_url(const std::string &text, const AuditOptions &options)
{
    UrlReport report;
    report.url = text;
    auto url = parse_url(text);
    if (!url) {
        report.error = url.error();
        return report;
    }

    Url current = url.value();
    bool follow = !current.https();
    if (follow) {
        report.redirects.push_back(current.str());
    }
    while (true) {
        auto response = fetch_once(current, options.fetch);
        if (!response) {
            report.error = response.error();
            return report;
        }
        auto location = header_values(response->headers, "Location");
        bool hop = follow && is_redirect(response->status) && !location.empty();
        if (hop && static_cast<int>(report.redirects.size()) > options.max_redirects) {
            // Browsers give up too (ERR_TOO_MANY_REDIRECTS): there is no page
            // to judge, and a redirect's own headers are not one.
            report.error =
                make_error(ErrorKind::unavailable, "unreachable", "fetching " + text,
                           "more than " + std::to_string(options.max_redirects) +
                               " redirects, the last to " + location.front(),
                           "look for a redirect loop, e.g. between http:// and https:// or www");
            return report;
        }
        if (hop) {
            auto next = resolve_location(current, location.front());
            if (!next) {
                // A browser stops here too; the redirect itself is no page.
                report.error = make_error(ErrorKind::unavailable, "unreachable", "fetching " + text,
                                          "redirect to an unusable Location \"" + location.front() +
                                              "\": " + next.error().why,
                                          "send an absolute http(s) URL in Location");
                return report;
            }
            current = next.value();
            report.redirects.push_back(current.str());
            continue;
        }
        report.final_url = current.str();
        if (response->tls) {
            probe_versions(current, options.fetch, *response->tls);
        }
        judge_response(report, response.value(), options);
        return report;
    }
}

AuditReport audit_urls(const std::vector<std::string> &urls, const AuditOptions &options)
{
    // A few URLs at a time: each audit is four handshakes, mostly waiting.
    constexpr size_t k_parallel = 8;
    AuditReport report;
    report.insecure = options.fetch.insecure;
    report.urls.resize(urls.size());
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < urls.size(); i = next++) {
            report.urls[i] = audit_url(urls[i], options);
        }
    };
    std::vector<std::future<void>> workers;
    for (size_t i = 0; i < std::min(k_parallel, urls.size()); ++i) {
        workers.push_back(std::async(std::launch::async, worker));
    }
    for (auto &w : workers) {
        w.get();
    }
    return report;
}

Verdict verdict(const AuditReport &report, std::optional<Severity> fail_on,
                std::optional<int> min_grade_rank)
{
    Verdict result = Verdict::pass;
    for (const auto &url : report.urls) {
        if (url.error) {
            return Verdict::unreachable;
        }
        bool severe =
            fail_on && std::any_of(url.findings.begin(), url.findings.end(),
                                   [&](const Finding &f) { return f.severity >= *fail_on; });
        auto rank = grade_rank(url.score.grade);
        bool low_grade = min_grade_rank && rank && *rank > *min_grade_rank;
        if (severe || low_grade) {
            result = Verdict::fail;
        }
    }
    return result;
}

} // namespace rcommerce::audit
