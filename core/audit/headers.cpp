#include "core/audit/headers.hpp"

#include "core/util/strings.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <set>

namespace rcommerce::audit {

namespace {

bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 9110 section 5.6.2.
bool is_tchar(char c)
{
    static constexpr std::string_view k_extra = "!#$%&'*+-.^_`|~";
    return is_alpha(c) || is_digit(c) || k_extra.find(c) != std::string_view::npos;
}

// CSP's "ASCII whitespace" (Infra): tab, LF, FF, CR, space.
bool is_ascii_whitespace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

std::string_view trim_ascii_whitespace(std::string_view text)
{
    while (!text.empty() && is_ascii_whitespace(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_ascii_whitespace(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// A cursor over a header value; every read checks the end.
class Cursor {
public:
    explicit Cursor(std::string_view text) : m_text(text) {}

    [[nodiscard]] bool done() const { return m_pos >= m_text.size(); }
    [[nodiscard]] char peek() const { return done() ? '\0' : m_text[m_pos]; }
    [[nodiscard]] size_t pos() const { return m_pos; }
    void advance() { ++m_pos; }
    bool consume(char c)
    {
        if (peek() == c && !done()) {
            ++m_pos;
            return true;
        }
        return false;
    }
    void skip_ows()
    {
        while (!done() && is_ows(m_text[m_pos])) {
            ++m_pos;
        }
    }
    void skip_sp()
    {
        while (!done() && m_text[m_pos] == ' ') {
            ++m_pos;
        }
    }
    template <typename Pred> std::string_view take_while(Pred pred)
    {
        size_t start = m_pos;
        while (!done() && pred(m_text[m_pos])) {
            ++m_pos;
        }
        return m_text.substr(start, m_pos - start);
    }

private:
    std::string_view m_text;
    size_t m_pos = 0;
};

// RFC 9110 section 5.6.4 quoted-string; the cursor is on the opening quote.
std::optional<std::string> read_quoted_string(Cursor &cursor)
{
    cursor.advance();
    std::string out;
    while (!cursor.done()) {
        char c = cursor.peek();
        cursor.advance();
        if (c == '"') {
            return out;
        }
        if (c == '\\') {
            if (cursor.done()) {
                return std::nullopt;
            }
            c = cursor.peek();
            cursor.advance();
        }
        out.push_back(c);
    }
    return std::nullopt;
}

std::string describe_char(char c)
{
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
        return "a control or non-ASCII byte";
    }
    return std::string("'") + c + "'";
}

} // namespace

std::vector<std::string> header_values(const HeaderList &headers, std::string_view name)
{
    std::vector<std::string> out;
    for (const auto &[key, value] : headers) {
        if (util::iequals(key, name)) {
            out.push_back(value);
        }
    }
    return out;
}

std::vector<std::string> split_header_list(const std::vector<std::string> &values)
{
    std::vector<std::string> out;
    for (const auto &value : values) {
        std::string current;
        bool quoted = false;
        for (size_t i = 0; i < value.size(); ++i) {
            char c = value[i];
            if (quoted && c == '\\' && i + 1 < value.size()) {
                current += c;
                current += value[++i];
                continue;
            }
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                out.emplace_back(util::trim(current));
                current.clear();
                continue;
            }
            current += c;
        }
        out.emplace_back(util::trim(current));
    }
    return out;
}

Hsts parse_hsts(std::string_view value)
{
    Hsts hsts;
    Cursor cursor(value);
    std::set<std::string> seen;
    std::optional<std::string> max_age_text;

    while (true) {
        cursor.skip_ows();
        if (cursor.done()) {
            break;
        }
        if (cursor.consume(';')) {
            continue; // RFC 6797 allows empty directives: *( ";" [ directive ] )
        }
        std::string name = util::to_lower(cursor.take_while(is_tchar));
        if (name.empty()) {
            hsts.error = "expected a directive name at offset " + std::to_string(cursor.pos()) +
                         ", found " + describe_char(cursor.peek());
            return hsts;
        }
        cursor.skip_ows();
        std::optional<std::string> directive_value;
        if (cursor.consume('=')) {
            cursor.skip_ows();
            if (cursor.peek() == '"' && !cursor.done()) {
                directive_value = read_quoted_string(cursor);
                if (!directive_value) {
                    hsts.error = "unterminated quoted value for " + name;
                    return hsts;
                }
            } else {
                directive_value = std::string(cursor.take_while(is_tchar));
                if (directive_value->empty()) {
                    hsts.error = "expected a value after '" + name + "=', found " +
                                 (cursor.done() ? "the end" : describe_char(cursor.peek()));
                    return hsts;
                }
            }
            cursor.skip_ows();
        }
        if (!cursor.done() && cursor.peek() != ';') {
            hsts.error = "unexpected " + describe_char(cursor.peek()) + " after directive " + name;
            return hsts;
        }
        if (!seen.insert(name).second) {
            // RFC 6797 section 6.1: "All directives MUST appear only once".
            hsts.error = "directive " + name + " appears more than once";
            return hsts;
        }
        if (name == "max-age") {
            max_age_text = directive_value.value_or("");
        } else if (name == "includesubdomains") {
            hsts.include_subdomains = true;
        } else if (name == "preload") {
            hsts.preload = true;
        }
    }

    if (!max_age_text) {
        hsts.error = "max-age is missing";
        return hsts;
    }
    if (max_age_text->empty() || !std::all_of(max_age_text->begin(), max_age_text->end(),
                                              [](char c) { return is_digit(c); })) {
        hsts.error = "max-age must be a number of seconds, got \"" + *max_age_text + "\"";
        return hsts;
    }
    constexpr int64_t k_delta_seconds_cap = int64_t{1} << 31;
    int64_t seconds = 0;
    for (char c : *max_age_text) {
        seconds = std::min(k_delta_seconds_cap, seconds * 10 + (c - '0'));
    }
    hsts.max_age = seconds;
    hsts.valid = true;
    return hsts;
}

bool is_known_csp_directive(std::string_view name)
{
    static constexpr std::array<std::string_view, 33> k_known = {
        "base-uri",
        "block-all-mixed-content",
        "child-src",
        "connect-src",
        "default-src",
        "fenced-frame-src",
        "font-src",
        "form-action",
        "frame-ancestors",
        "frame-src",
        "img-src",
        "manifest-src",
        "media-src",
        "navigate-to",
        "object-src",
        "plugin-types",
        "prefetch-src",
        "report-to",
        "report-uri",
        "require-sri-for",
        "require-trusted-types-for",
        "sandbox",
        "script-src",
        "script-src-attr",
        "script-src-elem",
        "style-src",
        "style-src-attr",
        "style-src-elem",
        "trusted-types",
        "upgrade-insecure-requests",
        "webrtc",
        "worker-src",
        "disown-opener",
    };
    return std::find(k_known.begin(), k_known.end(), name) != k_known.end();
}

const CspDirective *CspPolicy::find(std::string_view name) const
{
    for (const auto &directive : directives) {
        if (directive.name == name) {
            return &directive;
        }
    }
    return nullptr;
}

namespace {

// CSP Level 3 section 2.2.1 "parse a serialized CSP".
CspPolicy parse_one_policy(std::string_view serialized)
{
    CspPolicy policy;
    std::set<std::string> seen;
    size_t start = 0;
    while (start <= serialized.size()) {
        size_t end = serialized.find(';', start);
        if (end == std::string_view::npos) {
            end = serialized.size();
        }
        std::string_view token = trim_ascii_whitespace(serialized.substr(start, end - start));
        start = end + 1;
        if (token.empty()) {
            continue;
        }
        size_t name_end = 0;
        while (name_end < token.size() && !is_ascii_whitespace(token[name_end])) {
            ++name_end;
        }
        // Step 2.2: a token that is not all ASCII is skipped whole, so a
        // directive with one non-ASCII source does not exist at all.
        if (std::any_of(token.begin(), token.end(),
                        [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
            policy.malformed.push_back(util::to_lower(token.substr(0, name_end)) +
                                       " (a non-ASCII byte drops the whole directive)");
            continue;
        }
        std::string name = util::to_lower(token.substr(0, name_end));
        if (!seen.insert(name).second) {
            policy.repeated.push_back(name);
            continue;
        }
        // directive-name = 1*( ALPHA / DIGIT / "-" ), section 2.2.
        bool well_formed = std::all_of(name.begin(), name.end(), [](char c) {
            return is_alpha(c) || is_digit(c) || c == '-';
        });
        if (!well_formed) {
            policy.malformed.push_back(name);
            continue;
        }
        if (!is_known_csp_directive(name)) {
            policy.unknown.push_back(name);
        }
        CspDirective directive{name, {}};
        std::string_view rest = token.substr(name_end);
        size_t i = 0;
        while (i < rest.size()) {
            while (i < rest.size() && is_ascii_whitespace(rest[i])) {
                ++i;
            }
            size_t j = i;
            while (j < rest.size() && !is_ascii_whitespace(rest[j])) {
                ++j;
            }
            if (j > i) {
                directive.sources.emplace_back(rest.substr(i, j - i));
            }
            i = j;
        }
        policy.directives.push_back(std::move(directive));
    }
    return policy;
}

} // namespace

std::vector<CspPolicy> parse_csp(std::string_view value)
{
    // Section 2.2.2 "parse a serialized CSP list": strictly split on commas and
    // drop policies with no directive at all.
    std::vector<CspPolicy> policies;
    size_t start = 0;
    while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string_view::npos) {
            end = value.size();
        }
        CspPolicy policy = parse_one_policy(value.substr(start, end - start));
        if (!policy.directives.empty() || !policy.malformed.empty()) {
            policies.push_back(std::move(policy));
        }
        start = end + 1;
    }
    return policies;
}

FrameOptions parse_frame_options(const std::vector<std::string> &values)
{
    if (values.empty()) {
        return FrameOptions::absent;
    }
    std::set<std::string> options;
    for (const auto &member : split_header_list(values)) {
        options.insert(util::to_lower(member));
    }
    bool has_keyword =
        options.count("deny") || options.count("sameorigin") || options.count("allowall");
    if (options.size() > 1) {
        // Conflicting values: HTML blocks framing if any keyword is present.
        return has_keyword ? FrameOptions::deny : FrameOptions::invalid;
    }
    const std::string &only = *options.begin();
    if (only == "deny") {
        return FrameOptions::deny;
    }
    if (only == "sameorigin") {
        return FrameOptions::sameorigin;
    }
    if (only == "allowall") {
        return FrameOptions::allowall;
    }
    if (only.rfind("allow-from", 0) == 0) {
        return FrameOptions::allow_from;
    }
    return FrameOptions::invalid;
}

std::optional<bool> parse_nosniff(const std::vector<std::string> &values)
{
    if (values.empty()) {
        return std::nullopt;
    }
    auto members = split_header_list(values);
    return !members.empty() && util::iequals(members.front(), "nosniff");
}

std::optional<std::string> parse_referrer_policy(const std::vector<std::string> &values)
{
    static constexpr std::array<std::string_view, 8> k_policies = {
        "no-referrer",
        "no-referrer-when-downgrade",
        "same-origin",
        "origin",
        "strict-origin",
        "origin-when-cross-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    };
    std::optional<std::string> policy;
    for (const auto &member : split_header_list(values)) {
        std::string token = util::to_lower(member);
        if (std::find(k_policies.begin(), k_policies.end(), token) != k_policies.end()) {
            policy = token;
        }
    }
    return policy;
}

namespace {

// RFC 8941 section 4.2, parsing. Each function returns false on failure and
// leaves a reason in `error`.
class SfParser {
public:
    explicit SfParser(std::string_view text) : m_cursor(text) {}

    bool dictionary(std::vector<std::pair<std::string, SfItem>> &members)
    {
        m_cursor.skip_sp();
        while (!m_cursor.done()) {
            std::string key;
            if (!parse_key(key)) {
                return false;
            }
            SfItem member;
            if (m_cursor.consume('=')) {
                if (!item_or_inner_list(member)) {
                    return false;
                }
            } else {
                member.kind = SfItem::Kind::boolean;
                member.boolean = true;
                if (!parameters(member.params)) {
                    return false;
                }
            }
            auto existing = std::find_if(members.begin(), members.end(),
                                         [&](const auto &m) { return m.first == key; });
            if (existing != members.end()) {
                existing->second = std::move(member); // section 4.2.2: last wins
            } else {
                members.emplace_back(std::move(key), std::move(member));
            }
            m_cursor.skip_ows();
            if (m_cursor.done()) {
                return true;
            }
            if (!m_cursor.consume(',')) {
                return fail("expected ',' between members");
            }
            m_cursor.skip_ows();
            if (m_cursor.done()) {
                return fail("trailing ','");
            }
        }
        return true;
    }

    bool whole_item(SfItem &out)
    {
        m_cursor.skip_sp();
        if (!bare_item(out) || !parameters(out.params)) {
            return false;
        }
        m_cursor.skip_sp();
        return m_cursor.done() || fail("unexpected text after the value");
    }

    [[nodiscard]] bool at_end() const { return m_cursor.done(); }
    std::string error;

private:
    bool fail(std::string why)
    {
        error = why + " at offset " + std::to_string(m_cursor.pos());
        return false;
    }

    bool parse_key(std::string &key)
    {
        char c = m_cursor.peek();
        if (m_cursor.done() || !((c >= 'a' && c <= 'z') || c == '*')) {
            return fail("expected a key (lowercase letter or '*')");
        }
        key = std::string(m_cursor.take_while([](char ch) {
            return (ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '_' || ch == '-' ||
                   ch == '.' || ch == '*';
        }));
        return true;
    }

    bool item_or_inner_list(SfItem &out)
    {
        if (m_cursor.peek() == '(' && !m_cursor.done()) {
            return inner_list(out);
        }
        return bare_item(out) && parameters(out.params);
    }

    bool inner_list(SfItem &out)
    {
        m_cursor.advance();
        out.kind = SfItem::Kind::inner_list;
        while (!m_cursor.done()) {
            m_cursor.skip_sp();
            if (m_cursor.consume(')')) {
                return parameters(out.params);
            }
            SfItem item;
            if (!bare_item(item) || !parameters(item.params)) {
                return false;
            }
            out.inner.push_back(std::move(item));
            if (m_cursor.peek() != ' ' && m_cursor.peek() != ')') {
                return fail("expected ' ' or ')' in an inner list");
            }
        }
        return fail("unterminated inner list");
    }

    bool parameters(std::vector<std::pair<std::string, SfBareItem>> &params)
    {
        while (m_cursor.consume(';')) {
            m_cursor.skip_sp();
            std::string key;
            if (!parse_key(key)) {
                return false;
            }
            SfItem value;
            value.kind = SfItem::Kind::boolean;
            value.boolean = true;
            if (m_cursor.consume('=') && !bare_item(value)) {
                return false;
            }
            params.emplace_back(std::move(key),
                                SfBareItem{value.kind, std::move(value.text), value.boolean});
        }
        return true;
    }

    bool bare_item(SfItem &out)
    {
        char c = m_cursor.peek();
        if (m_cursor.done()) {
            return fail("expected a value");
        }
        if (c == '-' || is_digit(c)) {
            return number(out);
        }
        if (c == '"') {
            return string(out);
        }
        if (is_alpha(c) || c == '*') {
            out.kind = SfItem::Kind::token;
            out.text = std::string(m_cursor.take_while(
                [](char ch) { return is_tchar(ch) || ch == ':' || ch == '/'; }));
            return true;
        }
        if (c == ':') {
            return bytes(out);
        }
        if (c == '?') {
            m_cursor.advance();
            out.kind = SfItem::Kind::boolean;
            if (m_cursor.consume('0')) {
                out.boolean = false;
                return true;
            }
            if (m_cursor.consume('1')) {
                out.boolean = true;
                return true;
            }
            return fail("expected ?0 or ?1");
        }
        return fail("unexpected " + describe_char(c));
    }

    bool number(SfItem &out)
    {
        out.kind = SfItem::Kind::integer;
        if (m_cursor.consume('-')) {
            out.text = "-";
        }
        std::string_view whole = m_cursor.take_while(is_digit);
        if (whole.empty()) {
            return fail("expected a digit");
        }
        out.text += whole;
        if (!m_cursor.consume('.')) {
            return whole.size() <= 15 || fail("integer longer than 15 digits");
        }
        out.kind = SfItem::Kind::decimal;
        std::string_view fraction = m_cursor.take_while(is_digit);
        if (whole.size() > 12 || fraction.empty() || fraction.size() > 3) {
            return fail("malformed decimal");
        }
        out.text += "." + std::string(fraction);
        return true;
    }

    bool string(SfItem &out)
    {
        m_cursor.advance();
        out.kind = SfItem::Kind::string;
        while (!m_cursor.done()) {
            char c = m_cursor.peek();
            m_cursor.advance();
            if (c == '"') {
                return true;
            }
            if (c == '\\') {
                char next = m_cursor.peek();
                if (m_cursor.done() || (next != '"' && next != '\\')) {
                    return fail("bad escape in a string");
                }
                m_cursor.advance();
                out.text.push_back(next);
                continue;
            }
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
                return fail("control or non-ASCII byte in a string");
            }
            out.text.push_back(c);
        }
        return fail("unterminated string");
    }

    bool bytes(SfItem &out)
    {
        m_cursor.advance();
        out.kind = SfItem::Kind::bytes;
        out.text = std::string(m_cursor.take_while([](char ch) {
            return is_alpha(ch) || is_digit(ch) || ch == '+' || ch == '/' || ch == '=';
        }));
        return m_cursor.consume(':') || fail("unterminated byte sequence");
    }

    Cursor m_cursor;
};

} // namespace

SfParse parse_sf_dictionary(std::string_view value)
{
    SfParse result;
    SfParser parser(value);
    if (!parser.dictionary(result.members)) {
        result.error = parser.error;
        result.members.clear();
    }
    return result;
}

SfParse parse_sf_item(std::string_view value)
{
    SfParse result;
    SfParser parser(value);
    SfItem item;
    if (!parser.whole_item(item)) {
        result.error = parser.error;
    } else {
        result.item = std::move(item);
    }
    return result;
}

std::optional<std::string> check_permissions_policy(std::string_view value)
{
    SfParse parsed = parse_sf_dictionary(value);
    if (parsed.error) {
        return "not a structured-field dictionary: " + *parsed.error;
    }
    auto allowlist_member_ok = [](const SfItem &item) {
        return item.kind == SfItem::Kind::string ||
               (item.kind == SfItem::Kind::token && (item.text == "*" || item.text == "self"));
    };
    for (const auto &[feature, member] : parsed.members) {
        if (member.kind == SfItem::Kind::inner_list) {
            for (const auto &item : member.inner) {
                if (!allowlist_member_ok(item)) {
                    return "feature " + feature +
                           ": allowlist members are *, self or quoted "
                           "origins";
                }
            }
        } else if (!allowlist_member_ok(member)) {
            return "feature " + feature + " needs an allowlist such as () or (self)";
        }
    }
    return std::nullopt;
}

Cookie parse_set_cookie(std::string_view value)
{
    Cookie cookie;
    size_t semicolon = value.find(';');
    std::string_view pair = value.substr(0, semicolon);
    size_t equals = pair.find('=');
    if (equals == std::string_view::npos) {
        cookie.value = std::string(util::trim(pair)); // RFC 6265bis 5.6 step 3: nameless
    } else {
        cookie.name = std::string(util::trim(pair.substr(0, equals)));
        cookie.value = std::string(util::trim(pair.substr(equals + 1)));
    }

    std::string_view rest =
        semicolon == std::string_view::npos ? std::string_view{} : value.substr(semicolon + 1);
    while (!rest.empty()) {
        size_t next = rest.find(';');
        std::string_view attribute = rest.substr(0, next);
        rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
        size_t eq = attribute.find('=');
        std::string name = util::to_lower(util::trim(attribute.substr(0, eq)));
        std::string_view attr_value = eq == std::string_view::npos
                                          ? std::string_view{}
                                          : util::trim(attribute.substr(eq + 1));
        if (name == "secure") {
            cookie.secure = true;
        } else if (name == "httponly") {
            cookie.http_only = true;
        } else if (name == "samesite") {
            // Section 5.6.7: the last SameSite wins; an unknown value leaves
            // the enforcement at "Default", which we report as invalid.
            cookie.same_site_present = true;
            cookie.same_site_raw = std::string(attr_value);
            std::string lower = util::to_lower(attr_value);
            if (lower == "strict" || lower == "lax" || lower == "none") {
                cookie.same_site = lower;
            } else {
                cookie.same_site.reset();
            }
        } else if (name == "domain" && !attr_value.empty()) {
            // Section 5.6.3: an empty Domain is ignored, not a domain.
            cookie.domain = std::string(attr_value);
        } else if (name == "path") {
            cookie.path = std::string(attr_value);
        } else if (name == "max-age") {
            // Section 5.6.2: an optional '-' then digits, else ignored.
            std::string_view digits = attr_value;
            bool negative = !digits.empty() && digits.front() == '-';
            digits.remove_prefix(negative ? 1 : 0);
            if (!digits.empty() && std::all_of(digits.begin(), digits.end(), is_digit)) {
                int64_t seconds = 0;
                for (char c : digits) {
                    seconds = std::min(int64_t{1} << 40, seconds * 10 + (c - '0'));
                }
                cookie.max_age = negative ? -seconds : seconds;
            }
        } else if (name == "expires") {
            if (auto when = parse_cookie_date(attr_value)) {
                cookie.expires = when;
            }
        }
    }
    return cookie;
}

bool Cookie::deletes(int64_t now) const
{
    if (max_age) {
        return *max_age <= 0;
    }
    return expires && *expires < now;
}

std::optional<int64_t> parse_cookie_date(std::string_view text)
{
    auto is_delimiter = [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u == 0x09 || (u >= 0x20 && u <= 0x2f) || (u >= 0x3b && u <= 0x40) ||
               (u >= 0x5b && u <= 0x60) || (u >= 0x7b && u <= 0x7e);
    };
    // A token's leading digits: 1..max of them, then nothing or a non-digit.
    auto leading_number = [](std::string_view token, size_t min, size_t max) -> std::optional<int> {
        size_t n = 0;
        while (n < token.size() && is_digit(token[n])) {
            ++n;
        }
        if (n < min || n > max) {
            return std::nullopt;
        }
        return std::stoi(std::string(token.substr(0, n)));
    };
    static constexpr std::array<std::string_view, 12> k_months = {
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    std::optional<int> hour, minute, second, day, month, year;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_delimiter(text[i])) {
            ++i;
        }
        size_t start = i;
        while (i < text.size() && !is_delimiter(text[i])) {
            ++i;
        }
        std::string_view token = text.substr(start, i - start);
        if (token.empty()) {
            continue;
        }
        if (!hour) { // time = hms-time ( non-digit *OCTET ), hh:mm:ss with 1-2 digits each
            int parts[3];
            size_t pos = 0;
            bool ok = true;
            for (int k = 0; k < 3 && ok; ++k) {
                size_t n = 0;
                while (pos + n < token.size() && is_digit(token[pos + n])) {
                    ++n;
                }
                ok = n >= 1 && n <= 2;
                if (ok) {
                    parts[k] = std::stoi(std::string(token.substr(pos, n)));
                    pos += n;
                    if (k < 2) {
                        ok = pos < token.size() && token[pos] == ':';
                        ++pos;
                    }
                }
            }
            if (ok && (pos == token.size() || !is_digit(token[pos]))) {
                hour = parts[0];
                minute = parts[1];
                second = parts[2];
                continue;
            }
        }
        if (!day) {
            if (auto n = leading_number(token, 1, 2)) {
                day = n;
                continue;
            }
        }
        if (!month && token.size() >= 3) {
            std::string prefix = util::to_lower(token.substr(0, 3));
            auto found = std::find(k_months.begin(), k_months.end(), prefix);
            if (found != k_months.end()) {
                month = static_cast<int>(found - k_months.begin()) + 1;
                continue;
            }
        }
        if (!year) {
            if (auto n = leading_number(token, 2, 4)) {
                year = n;
                continue;
            }
        }
    }
    if (!hour || !day || !month || !year) {
        return std::nullopt;
    }
    if (*year >= 70 && *year <= 99) {
        *year += 1900;
    } else if (*year >= 0 && *year <= 69) {
        *year += 2000;
    }
    if (*day < 1 || *day > 31 || *year < 1601 || *hour > 23 || *minute > 59 || *second > 59) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = *year - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    return static_cast<int64_t>(timegm(&tm)); // the date is UTC whatever zone it names
}

CacheControl parse_cache_control(const std::vector<std::string> &values)
{
    CacheControl cc;
    for (const auto &member : split_header_list(values)) {
        std::string name = util::to_lower(util::trim(member.substr(0, member.find('='))));
        if (name == "no-store") {
            cc.no_store = true;
        } else if (name == "private") {
            cc.is_private = true;
        } else if (name == "no-cache") {
            cc.no_cache = true;
        } else if (name == "public") {
            cc.is_public = true;
        }
    }
    return cc;
}

} // namespace rcommerce::audit
