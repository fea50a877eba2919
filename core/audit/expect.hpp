// A team's own header policy for --expect FILE, checked besides the built-in
// rules. The file is TOML:
//
//   [[require]]                      # the header must be present...
//   name = "Strict-Transport-Security"
//   equals = "max-age=63072000; includeSubDomains"   # ...with exactly this value
//   matches = "max-age=[0-9]{8}"     # ...or a value this ECMAScript regex finds
//   severity = "high"                # optional, default high
//
//   [[forbid]]                       # the header must be absent
//   name = "X-Powered-By"
#pragma once

#include "core/audit/finding.hpp"
#include "core/audit/headers.hpp"
#include "core/util/result.hpp"

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace rcommerce::audit {

struct ExpectRule {
    std::string name;
    std::optional<std::string> equals;
    std::optional<std::string> matches; // the pattern as written, for messages
    std::optional<std::regex> pattern;
    Severity severity = Severity::high;
    bool forbidden = false;
};

struct ExpectPolicy {
    std::vector<ExpectRule> rules;
};

// Fails with a validation error naming the file, the entry and the problem.
[[nodiscard]] Result<ExpectPolicy> parse_expect_policy(std::string_view text,
                                                       std::string_view source);
[[nodiscard]] Result<ExpectPolicy> load_expect_policy(const std::string &path);

[[nodiscard]] Findings check_expect_policy(const ExpectPolicy &policy, const HeaderList &headers);

} // namespace rcommerce::audit
