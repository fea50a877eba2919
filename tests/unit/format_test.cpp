#include "core/format/writer.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sstream>

using namespace rcommerce;
using namespace rcommerce::format;

namespace {

const money::Currency &currency(std::string_view code)
{
    const auto *found = money::find_currency(code);
    REQUIRE(found != nullptr);
    return *found;
}

// A two-column report with one hostile row and one total, in `format`.
std::string write_sample(Format format, std::string_view name)
{
    std::string sink;
    {
        Output out(sink);
        auto writer = make_writer(format, out);
        Header header{"sample",
                      "2026-12-03T00:00:00Z",
                      {{"name", ColumnType::text},
                       {"qty", ColumnType::integer},
                       {"price", ColumnType::money},
                       {"flag", ColumnType::boolean}},
                      true};
        writer->begin(header);
        std::vector<Cell> row = {Cell::text(name), Cell::integer(-3),
                                 Cell::money({1299, currency("EUR")}), Cell::boolean(true)};
        writer->row(Section::rows, row);
        std::vector<Cell> total = {Cell(), Cell::integer(7), Cell::money({5, currency("JPY")}),
                                   Cell()};
        writer->row(Section::totals, total);
        writer->end();
    }
    return sink;
}

// RFC 4180 reader for the test: fields, quotes doubled inside quotes, CRLF
// records. Independent of the writer's code.
std::vector<std::vector<std::string>> read_csv(std::string_view text)
{
    std::vector<std::vector<std::string>> records(1);
    std::string field;
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char ch = text[i];
        if (quoted) {
            if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (ch == '"') {
                quoted = false;
            } else {
                field += ch;
            }
        } else if (ch == '"') {
            quoted = true;
        } else if (ch == ',') {
            records.back().push_back(std::move(field));
            field.clear();
        } else if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            records.back().push_back(std::move(field));
            field.clear();
            records.emplace_back();
            ++i;
        } else {
            field += ch;
        }
    }
    records.pop_back(); // after the last CRLF
    return records;
}

const std::vector<std::string> k_hostile = {
    "plain",
    "comma, inside",
    "a \"quoted\" word",
    "line\nbreak",
    "carriage\rreturn\r\n",
    "\"",
    ",",
    "",
    "Crème brûlée – 東京 🎉",
    "=HYPERLINK(\"http://x\")",
    "tab\there\\back\\slash",
    std::string("nul\0byte", 8),
    "\x01\x1f\x7f",
};

std::string csv_field(std::string_view text)
{
    std::string out;
    append_csv_field(out, text);
    return out;
}

} // namespace

TEST_CASE("CSV quotes exactly the fields RFC 4180 says must be quoted")
{
    CHECK(csv_field("plain") == "plain");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_field("two\nlines") == "\"two\nlines\"");
}

TEST_CASE("CSV is valid UTF-8 whatever the store holds: stray bytes become U+FFFD")
{
    CHECK(csv_field("Caf\xC3\xA9 \xFF") == "Caf\xC3\xA9 \xEF\xBF\xBD");
    CHECK(csv_field("a,\xC0\xAF\"") == "\"a,\xEF\xBF\xBD\xEF\xBF\xBD\"\"\"");
    CHECK(csv_field("\xE5\x80\x89\xE5\xBA\xAB") == "\xE5\x80\x89\xE5\xBA\xAB"); // 倉庫, untouched
}

TEST_CASE("CSV round-trips hostile names through an RFC 4180 reader")
{
    for (const auto &name : k_hostile) {
        CAPTURE(name);
        auto records = read_csv(write_sample(Format::csv, name));
        REQUIRE(records.size() == 3);
        CHECK(records[0] == std::vector<std::string>{"record", "name", "qty", "price", "flag"});
        CHECK(records[1] == std::vector<std::string>{"row", name, "-3", "12.99", "true"});
        CHECK(records[2] == std::vector<std::string>{"total", "", "7", "5", ""});
    }
}

TEST_CASE("JSON round-trips hostile names, money as amount and currency")
{
    for (const auto &name : k_hostile) {
        CAPTURE(name);
        auto document = nlohmann::json::parse(write_sample(Format::json, name));
        CHECK(document["report"] == "sample");
        CHECK(document["generated_at"] == "2026-12-03T00:00:00Z");
        REQUIRE(document["rows"].size() == 1);
        const auto &row = document["rows"][0];
        CHECK(row["name"] == name);
        CHECK(row["qty"] == -3);
        CHECK(row["price"] == nlohmann::json{{"amount", 1299}, {"currency", "EUR"}});
        CHECK(row["flag"] == true);
        CHECK(!row.contains("record"));
        REQUIRE(document["totals"].size() == 1);
        CHECK(document["totals"][0]["name"].is_null());
        CHECK(document["totals"][0]["price"]["currency"] == "JPY");
    }
}

TEST_CASE("NDJSON is one object per line, each marked row or total")
{
    auto text = write_sample(Format::ndjson, "line\nbreak \"x\"");
    std::istringstream lines(text);
    std::string line;
    std::vector<nlohmann::json> objects;
    while (std::getline(lines, line)) {
        objects.push_back(nlohmann::json::parse(line));
    }
    REQUIRE(objects.size() == 2);
    CHECK(objects[0]["record"] == "row");
    CHECK(objects[0]["name"] == "line\nbreak \"x\"");
    CHECK(objects[1]["record"] == "total");
    CHECK(objects[1]["qty"] == 7);
}

TEST_CASE("JSON strings replace invalid UTF-8 so the document still parses")
{
    for (std::string bad : {std::string("\xff"), std::string("a\xc3"), std::string("\xed\xa0\x80"),
                            std::string("\xc0\xaf"), std::string("\xf4\x90\x80\x80")}) {
        std::string out;
        append_json_string(out, bad);
        auto parsed = nlohmann::json::parse(out);
        CHECK(parsed.get<std::string>().find("\xEF\xBF\xBD") != std::string::npos);
    }
    std::string out;
    append_json_string(out, "ok é 🎉");
    CHECK(out == "\"ok é 🎉\"");
}

TEST_CASE("an empty report is still a complete document")
{
    std::string sink;
    {
        Output out(sink);
        auto writer = make_writer(Format::json, out);
        writer->begin(Header{"stock", "2026-12-03T00:00:00Z", {{"sku", ColumnType::text}}, true});
        writer->end();
    }
    auto document = nlohmann::json::parse(sink);
    CHECK(document["rows"].empty());
    CHECK(document["totals"].empty());
}

namespace {

// A table of (name, n) rows.
std::string write_table(const std::vector<std::pair<std::string, int64_t>> &rows)
{
    std::string sink;
    Output out(sink);
    auto writer = make_writer(Format::table, out);
    writer->begin(Header{"t", "", {{"name", ColumnType::text}, {"n", ColumnType::integer}}, false});
    for (const auto &[name, n] : rows) {
        std::vector<Cell> cells = {Cell::text(name), Cell::integer(n)};
        writer->row(Section::rows, cells);
    }
    writer->end();
    return sink;
}

} // namespace

TEST_CASE("the table aligns columns and shows control characters as escapes")
{
    auto sink = write_table({{"é\nx", 5}, {"longer name", 12345}});
    CHECK(sink == "name             n\n"
                  "é\\nx             5\n"
                  "longer name  12345\n");
}

TEST_CASE("the table counts terminal columns: wide characters two, combining marks none")
{
    auto sink = write_table(
        {{"ab", 1}, {"倉庫", 1}, {"🎉x", 1}, {"e\u0301", 1}, {"A\xFF", 1}, {"C1\xC2\x9B", 1}});
    // Every "1" lands in the same terminal column; a byte that is not UTF-8
    // shows as U+FFFD and a C1 control (U+009B, CSI) as "?".
    CHECK(sink == "name  n\n"
                  "ab    1\n"
                  "倉庫  1\n"
                  "🎉x   1\n"
                  "e\u0301     1\n"
                  "A\uFFFD    1\n"
                  "C1?   1\n");
}

TEST_CASE("money prints with the currency's decimals outside JSON")
{
    CHECK(decimal_amount({1299, currency("EUR")}) == "12.99");
    CHECK(decimal_amount({1000, currency("JPY")}) == "1000");
    CHECK(decimal_amount({1234, currency("KWD")}) == "1.234");
    CHECK(decimal_amount({-5, currency("EUR")}) == "-0.05");
}
