#include "core/format/writer.hpp"

#include <algorithm>
#include <clocale>
#include <cwchar>
#include <locale.h>

namespace rcommerce::format {

// ---------------------------------------------------------------------- Cell

Cell Cell::text(std::string_view value)
{
    Cell cell;
    cell.m_kind = Kind::text;
    cell.m_text = value;
    return cell;
}

Cell Cell::integer(int64_t value)
{
    Cell cell;
    cell.m_kind = Kind::integer;
    cell.m_integer = value;
    return cell;
}

Cell Cell::money(const money::Money &value)
{
    Cell cell;
    cell.m_kind = Kind::money;
    cell.m_money = value;
    return cell;
}

Cell Cell::boolean(bool value)
{
    Cell cell;
    cell.m_kind = Kind::boolean;
    cell.m_integer = value ? 1 : 0;
    return cell;
}

Cell Cell::optional_text(std::optional<std::string_view> value)
{
    return value ? text(*value) : Cell();
}

Cell Cell::optional_integer(std::optional<int64_t> value)
{
    return value ? integer(*value) : Cell();
}

std::optional<Format> parse_format(std::string_view text)
{
    if (text == "table") {
        return Format::table;
    }
    if (text == "csv") {
        return Format::csv;
    }
    if (text == "json") {
        return Format::json;
    }
    if (text == "ndjson") {
        return Format::ndjson;
    }
    return std::nullopt;
}

std::string decimal_amount(const money::Money &value)
{
    return money::format_amount(value.amount, value.currency);
}

// ------------------------------------------------------------------ escaping

namespace {

constexpr char k_replacement[] = "\xEF\xBF\xBD"; // U+FFFD

// Length of the valid UTF-8 sequence starting at text[i] (RFC 3629 §4:
// no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t utf8_sequence(std::string_view text, size_t i)
{
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        low = lead == 0xE0 ? 0xA0 : 0x80;
        high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        low = lead == 0xF0 ? 0x90 : 0x80;
        high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (i + length > text.size()) {
        return 0;
    }
    if (byte(i + 1) < low || byte(i + 1) > high) {
        return 0;
    }
    for (size_t k = 2; k < length; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
            return 0;
        }
    }
    return length;
}

} // namespace

void append_csv_field(std::string &out, std::string_view field)
{
    bool quoted = field.find_first_of(",\"\r\n") != std::string_view::npos;
    bool ascii = std::none_of(field.begin(), field.end(),
                              [](char ch) { return static_cast<unsigned char>(ch) >= 0x80; });
    if (!quoted && ascii) {
        out.append(field);
        return;
    }
    if (quoted) {
        out.push_back('"');
    }
    size_t i = 0;
    while (i < field.size()) {
        char ch = field[i];
        if (static_cast<unsigned char>(ch) >= 0x80) {
            // The file is declared UTF-8: a stray byte from stored data
            // would make a strict reader (Python's csv, a spreadsheet's
            // import) refuse the whole file, so it becomes U+FFFD as in JSON.
            size_t length = utf8_sequence(field, i);
            out.append(length == 0 ? std::string_view(k_replacement) : field.substr(i, length));
            i += std::max<size_t>(length, 1);
            continue;
        }
        if (ch == '"') {
            out.push_back('"');
        }
        out.push_back(ch);
        ++i;
    }
    if (quoted) {
        out.push_back('"');
    }
}

void append_json_string(std::string &out, std::string_view text)
{
    static constexpr char k_hex[] = "0123456789abcdef";
    out.push_back('"');
    size_t i = 0;
    while (i < text.size()) {
        auto ch = static_cast<unsigned char>(text[i]);
        if (ch >= 0x80) {
            size_t length = utf8_sequence(text, i);
            if (length == 0) {
                out.append(k_replacement); // for one bad byte
                ++i;
            } else {
                out.append(text.substr(i, length));
                i += length;
            }
            continue;
        }
        switch (ch) {
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
            break;
        case '\n':
            out.append("\\n");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\t':
            out.append("\\t");
            break;
        default:
            if (ch < 0x20 || ch == 0x7F) {
                out.append("\\u00");
                out.push_back(k_hex[ch >> 4]);
                out.push_back(k_hex[ch & 0xF]);
            } else {
                out.push_back(static_cast<char>(ch));
            }
        }
        ++i;
    }
    out.push_back('"');
}

namespace {

std::string_view record_name(Section section)
{
    return section == Section::rows ? "row" : "total";
}

// ----------------------------------------------------------------------- CSV

class CsvWriter final : public Writer {
public:
    explicit CsvWriter(Output &out) : m_out(out) {}

    void begin(const Header &header) override
    {
        m_totals = header.has_totals;
        m_line.clear();
        if (m_totals) {
            m_line.append("record,");
        }
        for (size_t i = 0; i < header.columns.size(); ++i) {
            if (i > 0) {
                m_line.push_back(',');
            }
            append_csv_field(m_line, header.columns[i].name);
        }
        m_line.append("\r\n");
        m_out.write(m_line);
    }

    void row(Section section, std::span<const Cell> cells) override
    {
        m_line.clear();
        if (m_totals) {
            m_line.append(record_name(section));
            m_line.push_back(',');
        }
        for (size_t i = 0; i < cells.size(); ++i) {
            if (i > 0) {
                m_line.push_back(',');
            }
            append_cell(cells[i]);
        }
        m_line.append("\r\n");
        m_out.write(m_line);
    }

    void end() override { m_out.flush(); }

private:
    void append_cell(const Cell &cell)
    {
        switch (cell.kind()) {
        case Cell::Kind::null:
            break;
        case Cell::Kind::text:
            append_csv_field(m_line, cell.text_value());
            break;
        case Cell::Kind::integer: {
            char digits[24];
            auto end = std::to_chars(digits, digits + sizeof digits, cell.integer_value()).ptr;
            m_line.append(digits, end);
            break;
        }
        case Cell::Kind::money:
            m_line.append(decimal_amount(cell.money_value()));
            break;
        case Cell::Kind::boolean:
            m_line.append(cell.boolean_value() ? "true" : "false");
            break;
        }
    }

    Output &m_out;
    bool m_totals = false;
    std::string m_line;
};

// -------------------------------------------------------------- JSON, NDJSON

// Appends one row as a JSON object; shared by the document and line writers.
class JsonObject {
public:
    void set_columns(const std::vector<Column> &columns, bool with_record)
    {
        m_keys.clear();
        for (const auto &column : columns) {
            std::string key;
            append_json_string(key, column.name);
            key.push_back(':');
            m_keys.push_back(std::move(key));
        }
        m_with_record = with_record;
    }

    void append(std::string &out, Section section, std::span<const Cell> cells) const
    {
        out.push_back('{');
        if (m_with_record) {
            out.append("\"record\":\"");
            out.append(record_name(section));
            out.append("\",");
        }
        for (size_t i = 0; i < cells.size(); ++i) {
            if (i > 0) {
                out.push_back(',');
            }
            out.append(m_keys[i]);
            append_value(out, cells[i]);
        }
        out.push_back('}');
    }

private:
    static void append_value(std::string &out, const Cell &cell)
    {
        switch (cell.kind()) {
        case Cell::Kind::null:
            out.append("null");
            break;
        case Cell::Kind::text:
            append_json_string(out, cell.text_value());
            break;
        case Cell::Kind::integer: {
            char digits[24];
            auto end = std::to_chars(digits, digits + sizeof digits, cell.integer_value()).ptr;
            out.append(digits, end);
            break;
        }
        case Cell::Kind::money: {
            out.append("{\"amount\":");
            out.append(std::to_string(cell.money_value().amount));
            out.append(",\"currency\":");
            append_json_string(out, cell.money_value().currency.code());
            out.push_back('}');
            break;
        }
        case Cell::Kind::boolean:
            out.append(cell.boolean_value() ? "true" : "false");
            break;
        }
    }

    std::vector<std::string> m_keys;
    bool m_with_record = false;
};

// {"report": ..., "generated_at": ..., "rows": [...], "totals": [...]}
class JsonWriter final : public Writer {
public:
    explicit JsonWriter(Output &out) : m_out(out) {}

    void begin(const Header &header) override
    {
        m_object.set_columns(header.columns, false);
        m_has_totals = header.has_totals;
        m_line = "{\"report\":";
        append_json_string(m_line, header.report);
        m_line.append(",\"generated_at\":");
        append_json_string(m_line, header.generated_at);
        m_line.append(",\"rows\":[");
        m_out.write(m_line);
    }

    void row(Section section, std::span<const Cell> cells) override
    {
        if (section == Section::totals && !m_in_totals) {
            open_totals();
        }
        m_line.clear();
        if (!m_first) {
            m_line.push_back(',');
        }
        m_line.append("\n");
        m_object.append(m_line, section, cells);
        m_out.write(m_line);
        m_first = false;
    }

    void end() override
    {
        if (m_has_totals && !m_in_totals) {
            open_totals();
        }
        m_out.write("\n]}\n");
        m_out.flush();
    }

private:
    void open_totals()
    {
        m_out.write("\n],\"totals\":[");
        m_in_totals = true;
        m_first = true;
    }

    Output &m_out;
    JsonObject m_object;
    std::string m_line;
    bool m_has_totals = false;
    bool m_in_totals = false;
    bool m_first = true;
};

class NdjsonWriter final : public Writer {
public:
    explicit NdjsonWriter(Output &out) : m_out(out) {}

    void begin(const Header &header) override
    {
        m_object.set_columns(header.columns, header.has_totals);
    }

    void row(Section section, std::span<const Cell> cells) override
    {
        m_line.clear();
        m_object.append(m_line, section, cells);
        m_line.push_back('\n');
        m_out.write(m_line);
    }

    void end() override { m_out.flush(); }

private:
    Output &m_out;
    JsonObject m_object;
    std::string m_line;
};

// --------------------------------------------------------------------- table

// The code point of the valid `length`-byte UTF-8 sequence at text[i].
char32_t decode_utf8(std::string_view text, size_t i, size_t length)
{
    static constexpr unsigned char k_lead_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    char32_t cp = static_cast<unsigned char>(text[i]) & k_lead_mask[length];
    for (size_t k = 1; k < length; ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    return cp;
}

// Terminal columns of one code point: 2 for East Asian wide characters and
// emoji, 0 for combining marks. glibc's wcwidth knows Unicode's tables but
// answers by the process's locale, which is usually "C" for a cron job, so it
// is asked in C.UTF-8 (built into glibc since 2.35) on this thread only.
size_t code_point_columns(char32_t cp)
{
    static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{});
    if (utf8 == locale_t{}) {
        return 1;
    }
    locale_t previous = uselocale(utf8);
    int columns = wcwidth(static_cast<wchar_t>(cp));
    uselocale(previous);
    return columns < 0 ? 1 : static_cast<size_t>(columns);
}

// Display width in terminal columns of text that printable() produced (valid
// UTF-8, no control characters).
size_t display_width(std::string_view text)
{
    size_t width = 0;
    size_t i = 0;
    while (i < text.size()) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++width;
            ++i;
            continue;
        }
        size_t length = std::max<size_t>(utf8_sequence(text, i), 1);
        width += length == 1 ? 1 : code_point_columns(decode_utf8(text, i, length));
        i += length;
    }
    return width;
}

// Control characters would break the layout (or drive the terminal), so they
// are shown as escapes; C1 controls (U+0080 to U+009F, which some terminals
// obey as escape sequences too) as "?", and bytes that are not UTF-8 as
// U+FFFD, as JSON shows them.
std::string printable(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        char ch = text[i];
        if (static_cast<unsigned char>(ch) >= 0x80) {
            size_t length = utf8_sequence(text, i);
            if (length == 0) {
                out.append(k_replacement);
                ++i;
            } else {
                char32_t cp = decode_utf8(text, i, length);
                if (cp <= 0x9F) {
                    out.push_back('?');
                } else {
                    out.append(text.substr(i, length));
                }
                i += length;
            }
            continue;
        }
        if (ch == '\n') {
            out.append("\\n");
        } else if (ch == '\r') {
            out.append("\\r");
        } else if (ch == '\t') {
            out.append("\\t");
        } else if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) {
            out.push_back('?');
        } else {
            out.push_back(ch);
        }
        ++i;
    }
    return out;
}

std::string render(const Cell &cell)
{
    switch (cell.kind()) {
    case Cell::Kind::null:
        return {};
    case Cell::Kind::text:
        return printable(cell.text_value());
    case Cell::Kind::integer:
        return std::to_string(cell.integer_value());
    case Cell::Kind::money:
        return decimal_amount(cell.money_value());
    case Cell::Kind::boolean:
        return cell.boolean_value() ? "yes" : "no";
    }
    return {};
}

// Aligned columns: text left, numbers right, two spaces between. Widths come
// from the header and the first k_table_sample rows of each section; a later,
// wider value widens its column from there on (the lines above stay as they
// were printed), which keeps memory bounded for any number of rows.
class TableWriter final : public Writer {
public:
    static constexpr size_t k_table_sample = 1000;

    explicit TableWriter(Output &out) : m_out(out) {}

    void begin(const Header &header) override
    {
        if (header.has_totals) {
            m_columns.push_back({"record", ColumnType::text});
        }
        m_columns.insert(m_columns.end(), header.columns.begin(), header.columns.end());
        m_totals = header.has_totals;
    }

    void row(Section section, std::span<const Cell> cells) override
    {
        if (section != m_section) {
            flush_sample();
            m_section = section;
            m_printed_header = false;
            m_out.write("\n");
        }
        std::vector<std::string> line;
        line.reserve(m_columns.size());
        if (m_totals) {
            line.emplace_back(record_name(section));
        }
        for (const auto &cell : cells) {
            line.push_back(render(cell));
        }
        if (m_sample.size() < k_table_sample && !m_printed_header) {
            m_sample.push_back(std::move(line));
            return;
        }
        flush_sample();
        print(line);
    }

    void end() override
    {
        flush_sample();
        m_out.flush();
    }

private:
    void flush_sample()
    {
        if (m_printed_header) {
            return;
        }
        m_widths.assign(m_columns.size(), 0);
        std::vector<std::string> names;
        for (const auto &column : m_columns) {
            names.push_back(column.name);
        }
        widen(names);
        for (const auto &line : m_sample) {
            widen(line);
        }
        print(names);
        for (const auto &line : m_sample) {
            print(line);
        }
        m_sample.clear();
        m_printed_header = true;
    }

    void widen(const std::vector<std::string> &line)
    {
        for (size_t i = 0; i < line.size() && i < m_widths.size(); ++i) {
            m_widths[i] = std::max(m_widths[i], display_width(line[i]));
        }
    }

    void print(const std::vector<std::string> &line)
    {
        widen(line);
        m_text.clear();
        for (size_t i = 0; i < line.size(); ++i) {
            size_t pad = m_widths[i] - display_width(line[i]);
            bool right =
                m_columns[i].type == ColumnType::integer || m_columns[i].type == ColumnType::money;
            bool last = i + 1 == line.size();
            if (i > 0) {
                m_text.append("  ");
            }
            if (right) {
                m_text.append(pad, ' ');
            }
            m_text.append(line[i]);
            if (!right && !last) {
                m_text.append(pad, ' ');
            }
        }
        m_text.push_back('\n');
        m_out.write(m_text);
    }

    Output &m_out;
    std::vector<Column> m_columns;
    std::vector<size_t> m_widths;
    std::vector<std::vector<std::string>> m_sample;
    std::string m_text;
    Section m_section = Section::rows;
    bool m_totals = false;
    bool m_printed_header = false;
};

} // namespace

std::unique_ptr<Writer> make_writer(Format format, Output &out)
{
    switch (format) {
    case Format::table:
        return std::make_unique<TableWriter>(out);
    case Format::csv:
        return std::make_unique<CsvWriter>(out);
    case Format::json:
        return std::make_unique<JsonWriter>(out);
    case Format::ndjson:
        return std::make_unique<NdjsonWriter>(out);
    }
    return nullptr;
}

} // namespace rcommerce::format
