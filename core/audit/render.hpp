// The four output formats of `check-headers`. Each returns the whole document;
// the command writes it to stdout and nothing else goes there.
#pragma once

#include "core/audit/audit.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rcommerce::audit {

enum class Format { table, json, sarif, junit };

// "table", "json", "sarif", "junit"; nullopt otherwise.
[[nodiscard]] std::optional<Format> parse_format(std::string_view text);

struct RenderOptions {
    bool color = false;               // table only: ANSI colours
    Severity fail_on = Severity::low; // junit: findings at or above fail a test case
};

[[nodiscard]] std::string render_table(const AuditReport &report, const RenderOptions &options);
[[nodiscard]] std::string render_json(const AuditReport &report);
// SARIF 2.1.0: one run, every catalogue rule as a reportingDescriptor, one
// result per finding located at the audited URL.
[[nodiscard]] std::string render_sarif(const AuditReport &report);
// JUnit XML: a test suite per URL, a test case per rule.
[[nodiscard]] std::string render_junit(const AuditReport &report, const RenderOptions &options);

[[nodiscard]] std::string render(const AuditReport &report, Format format,
                                 const RenderOptions &options);

} // namespace rcommerce::audit
