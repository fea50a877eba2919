// The audit's judgements: parsed headers, TLS facts and redirect chains in,
// findings and Observatory score modifiers out. No network here.
#pragma once

#include "core/audit/finding.hpp"
#include "core/audit/headers.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rcommerce::audit {

// One line of the score: the Mozilla HTTP Observatory test name, the result it
// reports, and the modifier that result carries in its published table.
struct ScoreItem {
    std::string test;
    std::string result;
    int modifier = 0;
};

struct Judgement {
    Findings findings;
    std::vector<ScoreItem> score;
};

// What the header rules need to know about the response they look at.
struct HttpExchange {
    bool https = true;
    HeaderList headers;
    bool authenticated = false;    // the request carried Authorization or Cookie
    std::string probe_origin;      // the Origin we sent to detect reflection ("" if none)
    bool certificate_valid = true; // browsers ignore HSTS on a certificate error
};

// Every header rule; appends one score item per Observatory test.
[[nodiscard]] Judgement judge_headers(const HttpExchange &exchange);

// The individual header rules, exposed for tests.
void judge_hsts(const HttpExchange &exchange, Judgement &out);
void judge_csp(const HttpExchange &exchange, Judgement &out);
void judge_framing(const HttpExchange &exchange, Judgement &out);
void judge_cookies(const HttpExchange &exchange, Judgement &out);

// A redirect chain for an http:// URL: every URL visited, the first being the
// one asked for and the last the final page.
[[nodiscard]] Judgement judge_redirects(const std::vector<std::string> &chain);

// What the TLS probes saw.
struct TlsFacts {
    std::string version; // negotiated, e.g. "TLSv1.3"
    std::string cipher;
    std::string group; // key-exchange group, e.g. "X25519"
    bool accepts_tls12 = false;
    bool accepts_tls11 = false;
    bool accepts_tls10 = false;
    bool chain_valid = false;
    std::string chain_error; // OpenSSL's reason when the chain does not verify
    bool hostname_matches = false;
    int64_t days_to_expiry = 0;
    std::string key_type; // "RSA", "EC", "Ed25519", ...
    int key_bits = 0;
    bool ocsp_stapled = false;
    // The leaf names an OCSP responder (Authority Information Access). Without
    // one there is nothing to staple (Let's Encrypt leaves it out since 2025).
    bool ocsp_responder = true;
    bool insecure = false; // --insecure was given
};
[[nodiscard]] Findings judge_tls(const TlsFacts &facts);

} // namespace rcommerce::audit
