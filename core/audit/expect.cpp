#include "core/audit/expect.hpp"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

namespace rcommerce::audit {

namespace {

Error policy_error(std::string_view source, std::string why)
{
    return make_error(ErrorKind::validation, "bad_expect_policy",
                      "reading --expect policy " + std::string(source), std::move(why),
                      "see docs/check-headers.md for the file format");
}

Result<ExpectRule> read_rule(const toml::table &table, bool forbidden, std::string_view where,
                             std::string_view source)
{
    ExpectRule rule;
    rule.forbidden = forbidden;
    for (const auto &[key, node] : table) {
        std::string_view k = key.str();
        if (k != "name" && k != "equals" && k != "matches" && k != "severity") {
            return policy_error(source,
                                std::string(where) + ": unknown key \"" + std::string(k) + "\"");
        }
        if (!node.is_string()) {
            return policy_error(source,
                                std::string(where) + "." + std::string(k) + " must be a string");
        }
    }
    rule.name = table["name"].value_or(std::string{});
    if (rule.name.empty()) {
        return policy_error(source, std::string(where) + ": name is required");
    }
    if (auto equals = table["equals"].value<std::string>()) {
        rule.equals = *equals;
    }
    if (auto matches = table["matches"].value<std::string>()) {
        try {
            rule.pattern = std::regex(*matches, std::regex::ECMAScript);
            rule.matches = *matches;
        } catch (const std::regex_error &e) {
            return policy_error(source, std::string(where) + ".matches \"" + *matches +
                                            "\" is not a valid regular expression: " + e.what());
        }
    }
    if (auto severity = table["severity"].value<std::string>()) {
        auto parsed = parse_severity(*severity);
        if (!parsed) {
            return policy_error(source, std::string(where) +
                                            ".severity must be info, low, "
                                            "medium or high, got \"" +
                                            *severity + "\"");
        }
        rule.severity = *parsed;
    }
    if (forbidden && (rule.equals || rule.matches)) {
        return policy_error(source, std::string(where) + ": a forbidden header takes no value");
    }
    return rule;
}

} // namespace

Result<ExpectPolicy> parse_expect_policy(std::string_view text, std::string_view source)
{
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error &e) {
        return policy_error(source, "line " + std::to_string(e.source().begin.line) + ": " +
                                        std::string(e.description()));
    }
    ExpectPolicy policy;
    for (const auto &[key, node] : root) {
        std::string_view section = key.str();
        if (section != "require" && section != "forbid") {
            return policy_error(source, "unknown section \"" + std::string(section) +
                                            "\" (use [[require]] or [[forbid]])");
        }
        const auto *array = node.as_array();
        if (array == nullptr) {
            return policy_error(source, std::string(section) + " must be an array of tables ([[" +
                                            std::string(section) + "]])");
        }
        for (size_t i = 0; i < array->size(); ++i) {
            const auto *table = (*array)[i].as_table();
            std::string where = std::string(section) + "[" + std::to_string(i) + "]";
            if (table == nullptr) {
                return policy_error(source, where + " must be a table");
            }
            auto rule = read_rule(*table, section == "forbid", where, source);
            if (!rule) {
                return rule.error();
            }
            policy.rules.push_back(std::move(rule.value()));
        }
    }
    return policy;
}

Result<ExpectPolicy> load_expect_policy(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return policy_error(path, "cannot open the file");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_expect_policy(text.str(), path);
}

Findings check_expect_policy(const ExpectPolicy &policy, const HeaderList &headers)
{
    Findings out;
    for (const auto &rule : policy.rules) {
        auto values = header_values(headers, rule.name);
        std::string joined;
        for (const auto &v : values) {
            joined += (joined.empty() ? "" : ", ") + v;
        }
        std::optional<Finding> finding;
        if (rule.forbidden) {
            if (!values.empty()) {
                finding = make_finding("expect-header-forbidden", rule.name, joined);
            }
        } else if (values.empty()) {
            finding = make_finding("expect-header-missing", rule.name, "");
        } else if (rule.equals && joined != *rule.equals) {
            finding = make_finding("expect-header-mismatch", rule.name, joined,
                                   "expected exactly \"" + *rule.equals + "\"");
        } else if (rule.pattern && !std::regex_search(joined, *rule.pattern)) {
            finding = make_finding("expect-header-mismatch", rule.name, joined,
                                   "expected a match for /" + *rule.matches + "/");
        }
        if (finding) {
            finding->severity = rule.severity;
            out.push_back(std::move(*finding));
        }
    }
    return out;
}

} // namespace rcommerce::audit
