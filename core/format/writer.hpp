// Streaming writers for tabular command output: an aligned table for a
// terminal, CSV (RFC 4180), one JSON document, or NDJSON (one JSON object a
// line). Any command that prints rows uses these, so every report quotes,
// escapes and types its values the same way.
//
// A report is a header (its name and columns), then its rows, then — when it
// has them — its totals, which use the same columns (cells that do not apply
// are null). Rows are written as they arrive; nothing but the table writer's
// first k_table_sample rows (kept to measure column widths) is held.
//
// How values print:
//   text     as is (JSON: a string, invalid UTF-8 replaced by U+FFFD)
//   integer  digits (JSON: a number)
//   money    decimal with the currency's exponent, "12.99" (JSON: an object
//            {"amount": 1299, "currency": "EUR"} in minor units)
//   boolean  true / false (table: yes / no)
//   null     empty field (JSON: null)
// With totals, every format carries a `record` field first: "row" or "total".
#pragma once

#include "core/format/output.hpp"
#include "core/money/money.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rcommerce::format {

enum class Format { table, csv, json, ndjson };

// "table", "csv", "json", "ndjson".
[[nodiscard]] std::optional<Format> parse_format(std::string_view text);

enum class ColumnType { text, integer, money, boolean };

struct Column {
    std::string name;
    ColumnType type = ColumnType::text;
};

// One value. Text is a view: it must stay valid until Writer::row returns.
class Cell {
public:
    enum class Kind { null, text, integer, money, boolean };

    Cell() = default;
    [[nodiscard]] static Cell text(std::string_view value);
    [[nodiscard]] static Cell integer(int64_t value);
    [[nodiscard]] static Cell money(const money::Money &value);
    [[nodiscard]] static Cell boolean(bool value);
    // Text, or null when none.
    [[nodiscard]] static Cell optional_text(std::optional<std::string_view> value);
    [[nodiscard]] static Cell optional_integer(std::optional<int64_t> value);

    [[nodiscard]] Kind kind() const { return m_kind; }
    [[nodiscard]] std::string_view text_value() const { return m_text; }
    [[nodiscard]] int64_t integer_value() const { return m_integer; }
    [[nodiscard]] const money::Money &money_value() const { return m_money; }
    [[nodiscard]] bool boolean_value() const { return m_integer != 0; }

private:
    Kind m_kind = Kind::null;
    std::string_view m_text;
    int64_t m_integer = 0;
    money::Money m_money;
};

struct Header {
    std::string report;       // e.g. "stock"; JSON's "report" member
    std::string generated_at; // RFC 3339; JSON's "generated_at" member
    std::vector<Column> columns;
    bool has_totals = false;
};

enum class Section { rows, totals };

class Writer {
public:
    virtual ~Writer() = default;
    // Once, before any row.
    virtual void begin(const Header &header) = 0;
    // Every Section::rows call comes before the first Section::totals call;
    // `cells` has one entry per column.
    virtual void row(Section section, std::span<const Cell> cells) = 0;
    // Once, after the last row; flushes the output.
    virtual void end() = 0;
};

[[nodiscard]] std::unique_ptr<Writer> make_writer(Format format, Output &out);

// RFC 4180 §2: a field holding a comma, a double quote, CR or LF is enclosed
// in double quotes, and a double quote inside is doubled. Others are as is.
void append_csv_field(std::string &out, std::string_view field);

// A JSON string literal with its quotes (RFC 8259 §7): `"` and `\` escaped,
// control characters as \n, \t… or \u00XX, and any byte sequence that is not
// valid UTF-8 replaced by U+FFFD, so the document always parses.
void append_json_string(std::string &out, std::string_view text);

// Minor units with the currency's decimals ("12.99"), as every format prints
// money outside JSON.
[[nodiscard]] std::string decimal_amount(const money::Money &value);

} // namespace rcommerce::format
