#include "core/audit/render.hpp"

#include "core/version.hpp"

#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include <cstdio>

namespace rcommerce::audit {

namespace {

using nlohmann::json;

constexpr std::string_view k_tool = "rcommerce-check-headers";

json tls_json(const TlsFacts &tls)
{
    return json{{"version", tls.version},
                {"cipher", tls.cipher},
                {"group", tls.group},
                {"accepts_tls1_2", tls.accepts_tls12},
                {"accepts_tls1_1", tls.accepts_tls11},
                {"accepts_tls1_0", tls.accepts_tls10},
                {"chain_valid", tls.chain_valid},
                {"chain_error", tls.chain_error},
                {"hostname_matches", tls.hostname_matches},
                {"days_to_expiry", tls.days_to_expiry},
                {"key_type", tls.key_type},
                {"key_bits", tls.key_bits},
                {"ocsp_stapled", tls.ocsp_stapled}};
}

json finding_json(const Finding &f)
{
    return json{{"id", f.id},         {"severity", to_string(f.severity)},
                {"header", f.header}, {"value", f.value},
                {"detail", f.detail}, {"title", rule(f.id).title},
                {"fix", f.fix}};
}

std::string hex_sha256(std::string_view text)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char *>(text.data()), text.size(), digest);
    std::string out;
    char byte[3];
    for (unsigned char c : digest) {
        std::snprintf(byte, sizeof byte, "%02x", c);
        out += byte;
    }
    return out;
}

std::string_view sarif_level(Severity severity)
{
    switch (severity) {
    case Severity::high:
        return "error";
    case Severity::medium:
        return "warning";
    default:
        return "note";
    }
}

// GitHub code scanning orders alerts by this CVSS-like number.
std::string_view security_severity(Severity severity)
{
    switch (severity) {
    case Severity::high:
        return "8.0";
    case Severity::medium:
        return "5.0";
    case Severity::low:
        return "3.0";
    default:
        return "1.0";
    }
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 if invalid.
size_t utf8_sequence(std::string_view text, size_t i)
{
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    size_t length = lead < 0x80           ? 1
                    : (lead >> 5) == 0x6  ? 2
                    : (lead >> 4) == 0xe  ? 3
                    : (lead >> 3) == 0x1e ? 4
                                          : 0;
    if (length == 0 || i + length > text.size() || (length == 2 && lead < 0xc2)) {
        return 0;
    }
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) >> 6) != 0x2) {
            return 0;
        }
    }
    return length;
}

// Server-controlled text made safe to print: valid UTF-8 kept, control bytes
// (which could drive a terminal) and invalid bytes replaced by '?'.
std::string printable(std::string_view text)
{
    std::string out;
    for (size_t i = 0; i < text.size();) {
        size_t length = utf8_sequence(text, i);
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (length == 0 || (length == 1 && (c < 0x20 || c == 0x7f))) {
            out += '?';
            ++i;
            continue;
        }
        out.append(text.substr(i, length));
        i += length;
    }
    return out;
}

std::string xml_escape(std::string_view raw)
{
    std::string text = printable(raw);
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string finding_message(const Finding &f)
{
    std::string text(rule(f.id).title);
    if (!f.detail.empty()) {
        text += ": " + f.detail;
    }
    if (!f.header.empty()) {
        text += " [" + f.header + (f.value.empty() ? " absent" : ": " + f.value) + "]";
    }
    return text;
}

} // namespace

std::optional<Format> parse_format(std::string_view text)
{
    if (text == "table") {
        return Format::table;
    }
    if (text == "json") {
        return Format::json;
    }
    if (text == "sarif") {
        return Format::sarif;
    }
    if (text == "junit") {
        return Format::junit;
    }
    return std::nullopt;
}

std::string render_json(const AuditReport &report)
{
    json urls = json::array();
    for (const auto &url : report.urls) {
        json entry{{"url", url.url}, {"reachable", !url.error.has_value()}};
        if (url.error) {
            entry["error"] = json{{"code", url.error->code},
                                  {"what", url.error->what},
                                  {"why", url.error->why},
                                  {"hint", url.error->hint}};
            urls.push_back(entry);
            continue;
        }
        entry["final_url"] = url.final_url;
        entry["status"] = url.status;
        entry["redirects"] = url.redirects;
        entry["score"] = url.score.score;
        entry["grade"] = url.score.grade;
        entry["tls"] = url.tls ? tls_json(*url.tls) : json(nullptr);
        json items = json::array();
        for (const auto &item : url.score_items) {
            items.push_back(
                json{{"test", item.test}, {"result", item.result}, {"modifier", item.modifier}});
        }
        entry["score_items"] = items;
        json findings = json::array();
        for (const auto &f : url.findings) {
            findings.push_back(finding_json(f));
        }
        entry["findings"] = findings;
        urls.push_back(entry);
    }
    json doc{
        {"tool", k_tool}, {"version", k_version}, {"insecure", report.insecure}, {"urls", urls}};
    // Header values are bytes from a server, not necessarily UTF-8.
    return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string render_sarif(const AuditReport &report)
{
    json rules = json::array();
    for (const auto &r : all_rules()) {
        rules.push_back(
            json{{"id", r.id},
                 {"name", r.id},
                 {"shortDescription", {{"text", r.title}}},
                 {"fullDescription", {{"text", r.title}}},
                 {"help", {{"text", "Fix: " + std::string(r.fix)}}},
                 {"defaultConfiguration", {{"level", sarif_level(r.severity)}}},
                 {"properties",
                  {{"security-severity", security_severity(r.severity)}, {"tags", {"security"}}}}});
    }
    json results = json::array();
    json notifications = json::array();
    for (const auto &url : report.urls) {
        if (url.error) {
            notifications.push_back(
                json{{"level", "error"},
                     {"message", {{"text", url.error->what + ": " + url.error->why}}}});
            continue;
        }
        for (const auto &f : url.findings) {
            json location{
                {"physicalLocation",
                 {{"artifactLocation", {{"uri", url.url}}}, {"region", {{"startLine", 1}}}}}};
            if (!f.header.empty()) {
                location["logicalLocations"] =
                    json::array({json{{"name", f.header}, {"kind", "member"}}});
            }
            results.push_back(
                json{{"ruleId", f.id},
                     {"ruleIndex", rule_index(f.id)},
                     {"level", sarif_level(f.severity)},
                     {"message", {{"text", finding_message(f) + ". Fix: " + f.fix}}},
                     {"locations", json::array({location})},
                     {"partialFingerprints",
                      {{"rcommerceFinding/v1", hex_sha256(url.url + "|" + f.id + "|" + f.header)}}},
                     {"properties", {{"severity", to_string(f.severity)}, {"value", f.value}}}});
        }
    }
    json invocation{{"executionSuccessful", notifications.empty()},
                    {"properties", {{"insecure", report.insecure}}}};
    if (!notifications.empty()) {
        invocation["toolExecutionNotifications"] = notifications;
    }
    json doc{
        {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
        {"version", "2.1.0"},
        {"runs",
         json::array({json{
             {"tool",
              {{"driver", {{"name", k_tool}, {"semanticVersion", k_version}, {"rules", rules}}}}},
             {"invocations", json::array({invocation})},
             {"results", results}}})}};
    // Header values are bytes from a server, not necessarily UTF-8.
    return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string render_junit(const AuditReport &report, const RenderOptions &options)
{
    std::string suites;
    size_t total_tests = 0, total_failures = 0, total_errors = 0;
    for (const auto &url : report.urls) {
        std::string cases;
        size_t tests = 0, failures = 0, errors = 0;
        std::string classname = "check-headers." + xml_escape(url.url);
        if (url.error) {
            tests = errors = 1;
            cases += "    <testcase classname=\"" + classname + "\" name=\"fetch\">\n" +
                     "      <error type=\"" + xml_escape(url.error->code) + "\" message=\"" +
                     xml_escape(url.error->what + ": " + url.error->why) + "\"/>\n" +
                     "    </testcase>\n";
        } else {
            for (const auto &r : all_rules()) {
                ++tests;
                std::string body;
                for (const auto &f : url.findings) {
                    if (f.id != r.id) {
                        continue;
                    }
                    if (f.severity >= options.fail_on) {
                        body += "      <failure type=\"" + std::string(to_string(f.severity)) +
                                "\" message=\"" + xml_escape(finding_message(f)) + "\">" +
                                xml_escape("Fix: " + f.fix) + "</failure>\n";
                    } else {
                        body += "      <system-out>" + xml_escape(finding_message(f)) +
                                "</system-out>\n";
                    }
                }
                if (body.find("<failure") != std::string::npos) {
                    ++failures;
                }
                cases += "    <testcase classname=\"" + classname + "\" name=\"" +
                         std::string(r.id) + "\"" +
                         (body.empty() ? "/>\n" : ">\n" + body + "    </testcase>\n");
            }
        }
        total_tests += tests;
        total_failures += failures;
        total_errors += errors;
        suites += "  <testsuite name=\"" + xml_escape(url.url) + "\" tests=\"" +
                  std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
                  "\" errors=\"" + std::to_string(errors) + "\">\n" +
                  "    <properties><property name=\"insecure\" value=\"" +
                  (report.insecure ? "true" : "false") + "\"/></properties>\n" + cases +
                  "  </testsuite>\n";
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" + std::string(k_tool) +
           "\" tests=\"" + std::to_string(total_tests) + "\" failures=\"" +
           std::to_string(total_failures) + "\" errors=\"" + std::to_string(total_errors) +
           "\">\n" + suites + "</testsuites>\n";
}

std::string render_table(const AuditReport &report, const RenderOptions &options)
{
    auto paint = [&](std::string_view code, std::string_view text) {
        return options.color ? "\033[" + std::string(code) + "m" + std::string(text) + "\033[0m"
                             : std::string(text);
    };
    auto severity_colour = [](Severity s) -> std::string_view {
        switch (s) {
        case Severity::high:
            return "1;31";
        case Severity::medium:
            return "33";
        case Severity::low:
            return "36";
        default:
            return "2";
        }
    };
    std::string out;
    if (report.insecure) {
        out +=
            paint("1;33", "warning: --insecure: certificates were not required to verify") + "\n\n";
    }
    for (const auto &url : report.urls) {
        if (url.error) {
            out += paint("1", url.url) + "  " + paint("1;31", "UNREACHABLE") + "\n  " +
                   printable(url.error->why) + "\n";
            if (!url.error->hint.empty()) {
                out += "  hint: " + url.error->hint + "\n";
            }
            out += "\n";
            continue;
        }
        out += paint("1", url.url) + "  grade " + paint("1", url.score.grade) + " (" +
               std::to_string(url.score.score) + "/100)  HTTP " + std::to_string(url.status) + "\n";
        if (url.redirects.size() > 1) {
            out += "  redirects:";
            for (const auto &hop : url.redirects) {
                out += (hop == url.redirects.front() ? " " : " -> ") + hop;
            }
            out += "\n";
        }
        if (url.tls) {
            const auto &t = *url.tls;
            out += "  tls: " + t.version + " " + t.cipher + (t.group.empty() ? "" : " " + t.group) +
                   "; TLS 1.2 " + (t.accepts_tls12 ? "yes" : "no") + ", 1.1 " +
                   (t.accepts_tls11 ? "yes" : "no") + ", 1.0 " + (t.accepts_tls10 ? "yes" : "no") +
                   "; key " + t.key_type + " " + std::to_string(t.key_bits) + "; " +
                   (t.days_to_expiry < 0
                        ? "EXPIRED"
                        : "expires in " + std::to_string(t.days_to_expiry) + " days") +
                   "; chain " + (t.chain_valid ? "valid" : "INVALID") + "; OCSP staple " +
                   (t.ocsp_stapled ? "yes" : "no") + "\n";
        }
        if (url.findings.empty()) {
            out += "  no findings\n";
        }
        for (const auto &f : url.findings) {
            char label[16];
            std::snprintf(label, sizeof label, "%-6s", std::string(to_string(f.severity)).c_str());
            out += "  " + paint(severity_colour(f.severity), label) + " " + f.id + "  " +
                   printable(finding_message(f)) + "\n         fix: " + f.fix + "\n";
        }
        out += "\n";
    }
    return out;
}

std::string render(const AuditReport &report, Format format, const RenderOptions &options)
{
    switch (format) {
    case Format::json:
        return render_json(report);
    case Format::sarif:
        return render_sarif(report);
    case Format::junit:
        return render_junit(report, options);
    case Format::table:
        break;
    }
    return render_table(report, options);
}

} // namespace rcommerce::audit
