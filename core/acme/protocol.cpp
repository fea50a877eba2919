#include "core/acme/protocol.hpp"

#include "core/util/strings.hpp"
#include "core/util/time.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

namespace rcommerce::acme {

namespace {

using nlohmann::json;

std::optional<json> parse_object(std::string_view text)
{
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return std::nullopt;
    }
    return doc;
}

std::string string_member(const json &object, const char *name)
{
    auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<Problem> problem_from(const json &doc)
{
    auto type = doc.find("type");
    if (type == doc.end() || !type->is_string()) {
        return std::nullopt;
    }
    Problem problem;
    problem.type = type->get<std::string>();
    problem.detail = string_member(doc, "detail");
    if (auto status = doc.find("status"); status != doc.end() && status->is_number_integer()) {
        problem.status = status->get<int>();
    }
    auto subs = doc.find("subproblems");
    if (subs != doc.end() && subs->is_array()) {
        for (const auto &sub : *subs) {
            if (!sub.is_object()) {
                continue;
            }
            Subproblem out{string_member(sub, "type"), string_member(sub, "detail"), {}};
            if (auto id = sub.find("identifier"); id != sub.end() && id->is_object()) {
                out.identifier = string_member(*id, "value");
            }
            problem.subproblems.push_back(std::move(out));
        }
    }
    return problem;
}

std::string short_type(std::string_view type)
{
    return std::string(type.rfind(k_error_prefix, 0) == 0 ? type.substr(k_error_prefix.size())
                                                          : type);
}

} // namespace

bool Problem::is(std::string_view name) const
{
    return type.size() == k_error_prefix.size() + name.size() &&
           type.rfind(k_error_prefix, 0) == 0 && type.substr(k_error_prefix.size()) == name;
}

std::string Problem::describe() const
{
    std::string out = short_type(type);
    if (!detail.empty()) {
        out += ": " + detail;
    }
    for (const auto &sub : subproblems) {
        out += "; ";
        if (!sub.identifier.empty()) {
            out += sub.identifier + ": ";
        }
        out += short_type(sub.type);
        if (!sub.detail.empty()) {
            out += ": " + sub.detail;
        }
    }
    return out;
}

std::optional<Problem> parse_problem(std::string_view body)
{
    auto doc = parse_object(body);
    return doc ? problem_from(*doc) : std::nullopt;
}

std::vector<Link> parse_link_header(std::string_view value)
{
    std::vector<Link> links;
    size_t pos = 0;
    while (pos < value.size()) {
        size_t open = value.find('<', pos);
        if (open == std::string_view::npos) {
            break;
        }
        size_t close = value.find('>', open);
        if (close == std::string_view::npos) {
            break;
        }
        Link link{std::string(value.substr(open + 1, close - open - 1)), {}};
        // Parameters run to the next top-level comma; quoted strings may hold
        // commas and semicolons.
        size_t end = close + 1;
        bool quoted = false;
        while (end < value.size() && (quoted || value[end] != ',')) {
            if (value[end] == '"') {
                quoted = !quoted;
            }
            ++end;
        }
        for (auto param : util::split_list(value.substr(close + 1, end - close - 1), ';')) {
            auto eq = param.find('=');
            if (eq == std::string::npos) {
                continue;
            }
            auto name = util::trim(std::string_view(param).substr(0, eq));
            auto val = util::trim(std::string_view(param).substr(eq + 1));
            if (val.size() >= 2 && val.front() == '"' && val.back() == '"') {
                val = val.substr(1, val.size() - 2);
            }
            if (util::iequals(name, "rel")) {
                link.rel = std::string(val);
            }
        }
        links.push_back(std::move(link));
        pos = end + 1;
    }
    return links;
}

std::optional<int64_t> parse_retry_after(std::string_view value, int64_t now)
{
    value = util::trim(value);
    if (auto seconds = util::parse_int64(value)) {
        return *seconds >= 0 ? std::optional(*seconds) : std::nullopt;
    }
    std::tm tm{};
    std::string text(value);
    const char *end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') {
        return std::nullopt;
    }
    int64_t at = timegm(&tm);
    return at > now ? at - now : 0;
}

std::optional<Directory> parse_directory(std::string_view body)
{
    auto doc = parse_object(body);
    if (!doc) {
        return std::nullopt;
    }
    Directory dir;
    dir.new_nonce = string_member(*doc, "newNonce");
    dir.new_account = string_member(*doc, "newAccount");
    dir.new_order = string_member(*doc, "newOrder");
    dir.revoke_cert = string_member(*doc, "revokeCert");
    dir.key_change = string_member(*doc, "keyChange");
    dir.renewal_info = string_member(*doc, "renewalInfo");
    if (dir.new_nonce.empty() || dir.new_account.empty() || dir.new_order.empty()) {
        return std::nullopt;
    }
    if (auto meta = doc->find("meta"); meta != doc->end() && meta->is_object()) {
        dir.terms_of_service = string_member(*meta, "termsOfService");
        auto eab = meta->find("externalAccountRequired");
        dir.external_account_required = eab != meta->end() && eab->is_boolean() && eab->get<bool>();
    }
    return dir;
}

std::optional<RenewalWindow> parse_renewal_info(std::string_view body)
{
    auto doc = parse_object(body);
    if (!doc) {
        return std::nullopt;
    }
    auto window = doc->find("suggestedWindow");
    if (window == doc->end() || !window->is_object()) {
        return std::nullopt;
    }
    auto start = util::parse_rfc3339(string_member(*window, "start"));
    auto end = util::parse_rfc3339(string_member(*window, "end"));
    if (!start || !end || *end < *start) {
        return std::nullopt;
    }
    return RenewalWindow{*start, *end};
}

} // namespace rcommerce::acme
