// Findings of the header and TLS audit, and the catalogue of rules they come from.
//
// Every finding names a rule by a stable id (`hsts-max-age-too-short`); the id,
// its default severity, title and one-line fix live in one table (finding.cpp) so
// SARIF rule descriptors, JUnit test cases and the docs all agree. Ids are a
// public contract: CI filters and SARIF baselines key on them, so never rename one.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rcommerce::audit {

enum class Severity { info, low, medium, high };

[[nodiscard]] std::string_view to_string(Severity severity);
// "info", "low", "medium", "high" (case-insensitive); nullopt otherwise.
[[nodiscard]] std::optional<Severity> parse_severity(std::string_view text);

// One rule of the catalogue.
struct Rule {
    std::string_view id;
    Severity severity;
    std::string_view title; // what is wrong, one sentence
    std::string_view fix;   // what to do, one line
};

// The whole catalogue, in a stable order (SARIF ruleIndex refers to it).
[[nodiscard]] std::span<const Rule> all_rules();
// The rule with this id; throws std::logic_error for an unknown id (a bug).
[[nodiscard]] const Rule &rule(std::string_view id);
// Index of the rule in all_rules().
[[nodiscard]] size_t rule_index(std::string_view id);

struct Finding {
    std::string id;
    Severity severity = Severity::info;
    std::string header; // the header it came from ("" for TLS and redirects)
    std::string value;  // the value it came from, as received
    std::string detail; // what was observed, more exact than the rule's title
    std::string fix;
};

// A finding of rule `id` with the catalogue's severity and fix.
[[nodiscard]] Finding make_finding(std::string_view id, std::string_view header,
                                   std::string_view value, std::string detail = {});

using Findings = std::vector<Finding>;

// True when some finding's id is `id`.
[[nodiscard]] bool has_finding(const Findings &findings, std::string_view id);

} // namespace rcommerce::audit
