#include "core/inventory/report.hpp"

#include "core/inventory/level_sql.hpp"
#include "core/log/log.hpp"
#include "core/money/currency.hpp"
#include "core/store/database.hpp"
#include "core/util/time.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <variant>

namespace rcommerce::inventory {

namespace {

constexpr int64_t k_seconds_per_day = 86400;

struct KindName {
    ReportKind kind;
    std::string_view name;
};

constexpr KindName k_kind_names[] = {
    {ReportKind::stock, "stock"},
    {ReportKind::low_stock, "low-stock"},
    {ReportKind::out_of_stock, "out-of-stock"},
    {ReportKind::valuation, "valuation"},
    {ReportKind::movements, "movements"},
    {ReportKind::reservations, "reservations"},
    {ReportKind::dead_stock, "dead-stock"},
};

struct SortName {
    ReportSort sort;
    std::string_view name;
};

constexpr SortName k_sort_names[] = {
    {ReportSort::sku, "sku"},         {ReportSort::location, "location"},
    {ReportSort::product, "product"}, {ReportSort::available, "available"},
    {ReportSort::level, "level"},     {ReportSort::time, "time"},
};

std::string_view sort_name(ReportSort sort)
{
    for (const auto &entry : k_sort_names) {
        if (entry.sort == sort) {
            return entry.name;
        }
    }
    return "sku";
}

Error option_error(std::string_view option, std::string why, std::string hint = {})
{
    return make_error(ErrorKind::validation, "invalid_report_option",
                      "inventory report " + std::string(option), std::move(why), std::move(hint));
}

} // namespace

std::string_view to_string(ReportKind kind)
{
    for (const auto &entry : k_kind_names) {
        if (entry.kind == kind) {
            return entry.name;
        }
    }
    return "stock";
}

std::optional<ReportKind> parse_report_kind(std::string_view text)
{
    for (const auto &entry : k_kind_names) {
        if (entry.name == text) {
            return entry.kind;
        }
    }
    return std::nullopt;
}

std::optional<ReportSort> parse_report_sort(std::string_view text)
{
    for (const auto &entry : k_sort_names) {
        if (entry.name == text) {
            return entry.sort;
        }
    }
    return std::nullopt;
}

bool has_levels(ReportKind kind)
{
    return kind == ReportKind::stock || kind == ReportKind::low_stock ||
           kind == ReportKind::out_of_stock;
}

namespace {

bool sort_allowed(ReportKind kind, ReportSort sort)
{
    switch (sort) {
    case ReportSort::sku:
    case ReportSort::location:
    case ReportSort::product:
        return true;
    case ReportSort::available:
    case ReportSort::level:
        return has_levels(kind);
    case ReportSort::time:
        return kind == ReportKind::movements || kind == ReportKind::reservations;
    }
    return false;
}

// A stored timestamp bound for `column >= bound` / `column < bound`: RFC 3339
// in UTC without the final "Z". Stored values may or may not carry fractional
// seconds ("…:16Z", "…:16.250Z"); both sort after "…:16" and before "…:17",
// so the comparison is right for either.
Result<std::string> time_bound(std::string_view option, std::string_view text)
{
    auto seconds = util::parse_rfc3339(text);
    if (!seconds) {
        return option_error(option, "\"" + std::string(text) + "\" is not a time",
                            "use RFC 3339 (2026-12-01T08:00:00Z) or a date (2026-12-01)");
    }
    auto bound = util::format_rfc3339(*seconds);
    bound.pop_back();
    return bound;
}

std::string day_bound(int64_t unix_seconds)
{
    auto bound = util::format_rfc3339(unix_seconds);
    bound.pop_back();
    return bound;
}

} // namespace

Status check_filters(store::Database &database, const ReportOptions &options)
{
    auto lease = database.connection();
    for (const auto &code : options.locations) {
        if (!lease->query_integer("SELECT id FROM locations WHERE code = ?", code)) {
            return make_error(ErrorKind::validation, "unknown_location",
                              "inventory report --location " + code, "no location has this code",
                              "list the codes with `rcommerce inventory report --kind stock`");
        }
    }
    if (options.product_id &&
        !lease->query_integer("SELECT id FROM products WHERE id = ?", *options.product_id)) {
        return make_error(ErrorKind::validation, "unknown_product",
                          "inventory report --product " + std::to_string(*options.product_id),
                          "no product has this id",
                          "product ids are in the `product_id` column of `--kind stock`");
    }
    return ok_status();
}

Status validate(const ReportOptions &options)
{
    auto kind = options.kind;
    if (!options.levels.empty() && !has_levels(kind)) {
        return option_error("--level", "applies to stock, low-stock and out-of-stock only");
    }
    if ((options.since || options.until) && kind != ReportKind::movements) {
        return option_error("--since/--until", "apply to --kind movements only");
    }
    if (kind == ReportKind::movements && !options.since) {
        return option_error("--kind movements", "needs --since",
                            "e.g. --since 2026-12-01 (RFC 3339 or a date, UTC)");
    }
    std::string bounds[2];
    for (const auto *text : {&options.since, &options.until}) {
        if (*text) {
            bool since = text == &options.since;
            auto bound = time_bound(since ? "--since" : "--until", **text);
            if (!bound) {
                return bound.error();
            }
            bounds[since ? 0 : 1] = *bound;
        }
    }
    // Both bounds have one format, so text order is time order.
    if (options.since && options.until && bounds[0] >= bounds[1]) {
        return option_error("--since/--until",
                            "--since " + *options.since + " is not before --until " +
                                *options.until + ", so no movement could match",
                            "give the earlier time to --since");
    }
    if (!options.statuses.empty() && kind != ReportKind::reservations) {
        return option_error("--status", "applies to --kind reservations only");
    }
    for (const auto &status : options.statuses) {
        if (std::find(std::begin(k_reservation_statuses), std::end(k_reservation_statuses),
                      status) == std::end(k_reservation_statuses)) {
            return option_error("--status", "unknown status \"" + status + "\"",
                                "one of active, converted, released, expired");
        }
    }
    if (options.days < 0 || options.days > 36500) {
        return option_error("--days",
                            "must be between 0 and 36500, got " + std::to_string(options.days));
    }
    if (options.sort && !sort_allowed(kind, *options.sort)) {
        return option_error("--sort", "\"" + std::string(sort_name(*options.sort)) +
                                          "\" does not apply to --kind " +
                                          std::string(to_string(kind)));
    }
    return ok_status();
}

namespace {

// ------------------------------------------------------------ building SQL

using Param = std::variant<int64_t, std::string>;

struct Query {
    std::string sql;
    std::vector<Param> params; // ?1, ?2, … in order
};

// Collects parameters as ?N placeholders, or writes them in as SQL literals
// (for report_sql), so both forms come from the same code.
class QueryBuilder {
public:
    explicit QueryBuilder(bool literals) : m_literals(literals) {}

    std::string param(int64_t value)
    {
        if (m_literals) {
            return std::to_string(value);
        }
        m_params.emplace_back(value);
        return "?" + std::to_string(m_params.size());
    }

    std::string param(std::string_view value)
    {
        if (m_literals) {
            std::string literal = "'";
            for (char ch : value) {
                literal += ch;
                if (ch == '\'') {
                    literal += '\'';
                }
            }
            return literal + "'";
        }
        m_params.emplace_back(std::string(value));
        return "?" + std::to_string(m_params.size());
    }

    Query finish(std::string sql) { return Query{std::move(sql), std::move(m_params)}; }

private:
    bool m_literals;
    std::vector<Param> m_params;
};

// CROSS JOIN makes SQLite walk variants in SKU order (their unique index)
// and each SKU's levels by primary key, so the default order needs only a
// small sort of one SKU's locations instead of a sort of every row; the join
// condition is in levels_where(). Without statistics the planner would scan
// inventory_levels and sort millions of rows.
constexpr const char *k_levels_from = "\nFROM variants v"
                                      "\nCROSS JOIN inventory_levels il"
                                      "\nJOIN products p ON p.id = v.product_id"
                                      "\nJOIN locations l ON l.id = il.location_id";

std::vector<std::string> levels_where()
{
    return {"il.variant_id = v.id"};
}

constexpr const char *k_available_sql = "(il.on_hand - il.reserved)";

// The SKU prefix as a range on the (unique, indexed) SKU: sku >= P and
// sku < P with its last byte raised, which SQLite answers from the index
// where LIKE or substr would scan. Bytes compare as in SQLite's BINARY
// collation.
std::optional<std::string> prefix_upper_bound(std::string prefix)
{
    while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) {
        prefix.pop_back();
    }
    if (prefix.empty()) {
        return std::nullopt;
    }
    prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
    return prefix;
}

std::string threshold_expression(QueryBuilder &q, const ReportOptions &options)
{
    return threshold_sql("il.low_stock_threshold", "l.low_stock_threshold", "v.low_stock_threshold",
                         q.param(options.configured_threshold));
}

std::string rank_expression(QueryBuilder &q, const ReportOptions &options)
{
    return level_rank_sql(k_available_sql, threshold_expression(q, options));
}

// --location, --sku-prefix, --product: the same for every report.
void add_filters(QueryBuilder &q, const ReportOptions &options, std::vector<std::string> &where)
{
    if (!options.locations.empty()) {
        std::string list;
        for (const auto &code : options.locations) {
            list += (list.empty() ? "" : ", ") + q.param(code);
        }
        where.push_back("l.code IN (" + list + ")");
    }
    if (!options.sku_prefix.empty()) {
        where.push_back("v.sku >= " + q.param(options.sku_prefix));
        if (auto upper = prefix_upper_bound(options.sku_prefix)) {
            where.push_back("v.sku < " + q.param(*upper));
        }
    }
    if (options.product_id) {
        where.push_back("p.id = " + q.param(*options.product_id));
    }
}

// Conditions on the level for the level reports: the kind's own and --level.
void add_level_filters(QueryBuilder &q, const ReportOptions &options,
                       std::vector<std::string> &where)
{
    if (options.kind == ReportKind::low_stock) {
        where.push_back(rank_expression(q, options) +
                        " <= " + std::to_string(static_cast<int>(StockLevel::low)));
    } else if (options.kind == ReportKind::out_of_stock) {
        where.push_back(std::string(k_available_sql) + " <= 0");
    }
    if (!options.levels.empty()) {
        std::string list;
        for (auto level : options.levels) {
            list += (list.empty() ? "" : ", ") + std::to_string(static_cast<int>(level));
        }
        where.push_back(rank_expression(q, options) + " IN (" + list + ")");
    }
}

std::string where_clause(const std::vector<std::string> &where)
{
    std::string sql;
    for (size_t i = 0; i < where.size(); ++i) {
        sql += (i == 0 ? "\nWHERE " : "\n  AND ") + where[i];
    }
    return sql;
}

ReportSort effective_sort(const ReportOptions &options)
{
    if (options.sort) {
        return *options.sort;
    }
    return options.kind == ReportKind::low_stock ? ReportSort::level : ReportSort::sku;
}

// ORDER BY for a report over v (variants), l (locations) and p (products).
// `time_keys` are the report's own columns for --sort time and the final
// tie-breakers of reports with several rows per SKU and location.
std::string order_by(QueryBuilder &q, const ReportOptions &options, std::string_view time_keys)
{
    std::string tail = "v.sku, l.code";
    if (!time_keys.empty()) {
        tail += ", " + std::string(time_keys);
    }
    switch (effective_sort(options)) {
    case ReportSort::sku:
        return "\nORDER BY " + tail;
    case ReportSort::location:
        return "\nORDER BY l.code, " + tail;
    case ReportSort::product:
        return "\nORDER BY p.title, p.id, " + tail;
    case ReportSort::available:
        return "\nORDER BY " + std::string(k_available_sql) + ", " + tail;
    case ReportSort::level:
        return "\nORDER BY " + rank_expression(q, options) + ", " + k_available_sql + " - " +
               threshold_expression(q, options) + ", " + tail;
    case ReportSort::time:
        return "\nORDER BY " + std::string(time_keys) + ", v.sku, l.code";
    }
    return "\nORDER BY " + tail;
}

// ------------------------------------------------------------ report plans

struct Plan {
    format::Header header;
    Query rows;
    std::optional<Query> totals;
};

std::vector<format::Column>
columns(std::initializer_list<std::pair<const char *, format::ColumnType>> list)
{
    std::vector<format::Column> out;
    for (const auto &[name, type] : list) {
        out.push_back({name, type});
    }
    return out;
}

using T = format::ColumnType;

// The columns naming one stock item (product, variant, SKU, location) that
// every per-location report starts with, then `rest`.
std::vector<format::Column>
item_columns(std::initializer_list<std::pair<const char *, format::ColumnType>> rest)
{
    auto out = columns({{"product_id", T::integer},
                        {"product", T::text},
                        {"variant", T::text},
                        {"sku", T::text},
                        {"location", T::text}});
    auto more = columns(rest);
    out.insert(out.end(), more.begin(), more.end());
    return out;
}

Plan level_plan(const ReportOptions &options, bool literals)
{
    Plan plan;
    plan.header.columns = item_columns({{"on_hand", T::integer},
                                        {"reserved", T::integer},
                                        {"available", T::integer},
                                        {"reorder_point", T::integer},
                                        {"threshold", T::integer},
                                        {"level", T::text}});
    if (options.kind != ReportKind::stock) {
        plan.header.columns.push_back({"suggested_reorder", T::integer});
    }
    plan.header.has_totals = options.kind == ReportKind::stock;

    QueryBuilder q(literals);
    auto where = levels_where();
    add_filters(q, options, where);
    add_level_filters(q, options, where);
    std::string sql = "SELECT p.id, p.title, v.title, v.sku, l.code, il.on_hand, il.reserved,"
                      " il.reorder_point,\n       coalesce(il.low_stock_threshold, "
                      "l.low_stock_threshold), v.low_stock_threshold,\n       " +
                      rank_expression(q, options) + k_levels_from + where_clause(where) +
                      order_by(q, options, "");
    plan.rows = q.finish(std::move(sql));

    if (plan.header.has_totals) {
        QueryBuilder t(literals);
        auto total_where = levels_where();
        add_filters(t, options, total_where);
        add_level_filters(t, options, total_where);
        std::string totals_sql = "SELECT p.id, p.title, v.title, v.sku, sum(il.on_hand), "
                                 "sum(il.reserved), sum(il.reorder_point)" +
                                 std::string(k_levels_from) + where_clause(total_where) +
                                 "\nGROUP BY v.sku\nORDER BY v.sku";
        plan.totals = t.finish(std::move(totals_sql));
    }
    return plan;
}

Plan valuation_plan(const ReportOptions &options, bool literals)
{
    Plan plan;
    plan.header.columns = item_columns({{"on_hand", T::integer},
                                        {"currency", T::text},
                                        {"unit_cost", T::money},
                                        {"value", T::money}});
    plan.header.has_totals = true;
    QueryBuilder q(literals);
    auto where = levels_where();
    add_filters(q, options, where);
    plan.rows =
        q.finish("SELECT p.id, p.title, v.title, v.sku, l.code, il.on_hand, v.currency,"
                 " v.unit_cost_amount" +
                 std::string(k_levels_from) + where_clause(where) + order_by(q, options, ""));
    // Totals per currency are summed in C++ with overflow checks (at most one
    // entry per currency), not by SQL, whose integer product turns into a
    // float on overflow.
    return plan;
}

constexpr const char *k_movements_from = "\nFROM stock_movements m"
                                         "\nJOIN variants v ON v.id = m.variant_id"
                                         "\nJOIN products p ON p.id = v.product_id"
                                         "\nJOIN locations l ON l.id = m.location_id";

std::vector<std::string> movement_where(QueryBuilder &q, const ReportOptions &options)
{
    std::vector<std::string> where;
    where.push_back("m.created_at >= " + q.param(*time_bound("--since", *options.since)));
    auto until = options.until ? *time_bound("--until", *options.until) : day_bound(options.now);
    where.push_back("m.created_at < " + q.param(until));
    add_filters(q, options, where);
    return where;
}

Plan movements_plan(const ReportOptions &options, bool literals)
{
    Plan plan;
    plan.header.columns = columns({{"movement_id", T::integer},
                                   {"created_at", T::text},
                                   {"product_id", T::integer},
                                   {"product", T::text},
                                   {"variant", T::text},
                                   {"sku", T::text},
                                   {"location", T::text},
                                   {"quantity", T::integer},
                                   {"reason", T::text},
                                   {"reference", T::text}});
    plan.header.has_totals = true;
    QueryBuilder q(literals);
    auto where = movement_where(q, options);
    plan.rows = q.finish("SELECT m.id, m.created_at, p.id, p.title, v.title, v.sku, l.code,"
                         " m.quantity, m.reason, m.reference" +
                         std::string(k_movements_from) + where_clause(where) +
                         order_by(q, options, "m.created_at, m.id"));
    QueryBuilder t(literals);
    auto total_where = movement_where(t, options);
    plan.totals = t.finish("SELECT p.id, p.title, v.title, v.sku, sum(m.quantity)" +
                           std::string(k_movements_from) + where_clause(total_where) +
                           "\nGROUP BY v.sku\nORDER BY v.sku");
    return plan;
}

Plan reservations_plan(const ReportOptions &options, bool literals)
{
    Plan plan;
    plan.header.columns = columns({{"reservation_id", T::integer},
                                   {"order", T::text},
                                   {"order_state", T::text},
                                   {"product_id", T::integer},
                                   {"product", T::text},
                                   {"variant", T::text},
                                   {"sku", T::text},
                                   {"location", T::text},
                                   {"quantity", T::integer},
                                   {"status", T::text},
                                   {"expires_at", T::text},
                                   {"created_at", T::text},
                                   {"overdue", T::boolean}});
    QueryBuilder q(literals);
    std::vector<std::string> where;
    if (options.statuses.empty()) {
        auto recent = day_bound(options.now - k_recent_reservation_days * k_seconds_per_day);
        where.push_back("(r.status = 'active' OR r.updated_at >= " + q.param(recent) + ")");
    } else {
        std::string list;
        for (const auto &status : options.statuses) {
            list += (list.empty() ? "" : ", ") + q.param(status);
        }
        where.push_back("r.status IN (" + list + ")");
    }
    add_filters(q, options, where);
    auto now = day_bound(options.now);
    plan.rows = q.finish(
        "SELECT r.id, o.number, o.state, p.id, p.title, v.title, v.sku, l.code, r.quantity,"
        " r.status, r.expires_at, r.created_at,\n       r.status = 'active' AND r.expires_at < " +
        q.param(now) +
        "\nFROM reservations r"
        "\nJOIN variants v ON v.id = r.variant_id"
        "\nJOIN products p ON p.id = v.product_id"
        "\nJOIN locations l ON l.id = r.location_id"
        "\nLEFT JOIN order_lines ol ON ol.id = r.order_line_id"
        "\nLEFT JOIN orders o ON o.id = ol.order_id" +
        where_clause(where) + order_by(q, options, "r.expires_at, r.id"));
    return plan;
}

Plan dead_stock_plan(const ReportOptions &options, bool literals)
{
    Plan plan;
    plan.header.columns = item_columns(
        {{"on_hand", T::integer}, {"last_sale_at", T::text}, {"days_since_sale", T::integer}});
    QueryBuilder q(literals);
    auto where = levels_where();
    where.push_back("il.on_hand > 0");
    auto cutoff = day_bound(options.now - options.days * k_seconds_per_day);
    where.push_back("NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.variant_id = "
                    "il.variant_id AND m.location_id = il.location_id AND m.reason = 'sale' "
                    "AND m.created_at >= " +
                    q.param(cutoff) + ")");
    add_filters(q, options, where);
    plan.rows =
        q.finish("SELECT p.id, p.title, v.title, v.sku, l.code, il.on_hand,\n"
                 "       (SELECT max(m.created_at) FROM stock_movements m WHERE m.variant_id = "
                 "il.variant_id AND m.location_id = il.location_id AND m.reason = 'sale')" +
                 std::string(k_levels_from) + where_clause(where) + order_by(q, options, ""));
    return plan;
}

Plan make_plan(const ReportOptions &options, bool literals)
{
    Plan plan;
    switch (options.kind) {
    case ReportKind::stock:
    case ReportKind::low_stock:
    case ReportKind::out_of_stock:
        plan = level_plan(options, literals);
        break;
    case ReportKind::valuation:
        plan = valuation_plan(options, literals);
        break;
    case ReportKind::movements:
        plan = movements_plan(options, literals);
        break;
    case ReportKind::reservations:
        plan = reservations_plan(options, literals);
        break;
    case ReportKind::dead_stock:
        plan = dead_stock_plan(options, literals);
        break;
    }
    plan.header.report = std::string(to_string(options.kind));
    plan.header.generated_at = util::format_rfc3339(options.now);
    return plan;
}

// ------------------------------------------------------------ running

void bind_params(store::Statement &statement, const std::vector<Param> &params)
{
    for (size_t i = 0; i < params.size(); ++i) {
        int index = static_cast<int>(i + 1);
        if (const auto *number = std::get_if<int64_t>(&params[i])) {
            statement.bind(index, *number);
        } else {
            statement.bind(index, std::string_view(std::get<std::string>(params[i])));
        }
    }
}

// The writer's cells for one result row, and what the report learns from it.
class RowMapper {
public:
    RowMapper(const ReportOptions &options, size_t column_count)
        : m_options(options), m_cells(column_count)
    {
    }

    std::span<const format::Cell> map(const store::Row &row)
    {
        switch (m_options.kind) {
        case ReportKind::stock:
        case ReportKind::low_stock:
        case ReportKind::out_of_stock:
            map_level(row);
            break;
        case ReportKind::valuation:
            map_valuation(row);
            break;
        case ReportKind::movements:
            map_movement(row);
            break;
        case ReportKind::reservations:
            map_reservation(row);
            break;
        case ReportKind::dead_stock:
            map_dead_stock(row);
            break;
        }
        return m_cells;
    }

    // Totals rows of stock (per SKU) and movements (net per SKU).
    std::span<const format::Cell> map_total(const store::Row &row)
    {
        std::fill(m_cells.begin(), m_cells.end(), format::Cell());
        if (m_options.kind == ReportKind::movements) {
            product_cells(row, 0, 2);
            m_cells[7] = format::Cell::integer(row.integer(4));
            return m_cells;
        }
        product_cells(row, 0, 0);
        auto on_hand = row.integer(4);
        auto reserved = row.integer(5);
        m_cells[5] = format::Cell::integer(on_hand);
        m_cells[6] = format::Cell::integer(reserved);
        m_cells[7] = format::Cell::integer(available(on_hand, reserved));
        m_cells[8] = format::Cell::integer(row.integer(6));
        return m_cells;
    }

    [[nodiscard]] bool any_low() const { return m_any_low; }

    struct CurrencyTotal {
        money::Currency currency;
        int64_t on_hand = 0;
        int64_t value = 0;
    };
    [[nodiscard]] const std::map<std::string, CurrencyTotal, std::less<>> &currency_totals() const
    {
        return m_currency_totals;
    }

private:
    // product_id, product, variant, sku from result columns `from`… into
    // cells `to`….
    // Numbers in the store too large to report: the report stops (exit 1,
    // as documented), naming the row, since no option of the report is wrong.
    static Error stored_data_error(std::string what, std::string why)
    {
        return make_error(ErrorKind::conflict, "valuation_overflow", std::move(what),
                          std::move(why),
                          "check that row's on_hand and unit cost in the store; the other "
                          "reports still work");
    }

    void product_cells(const store::Row &row, int from, size_t to)
    {
        m_cells[to] = format::Cell::integer(row.integer(from));
        m_cells[to + 1] = format::Cell::text(row.text_view(from + 1));
        m_cells[to + 2] = format::Cell::text(row.text_view(from + 2));
        m_cells[to + 3] = format::Cell::text(row.text_view(from + 3));
    }

    void map_level(const store::Row &row)
    {
        product_cells(row, 0, 0);
        m_cells[4] = format::Cell::text(row.text_view(4));
        auto on_hand = row.integer(5);
        auto reserved = row.integer(6);
        auto reorder_point = row.integer(7);
        auto threshold = resolve_threshold(row.optional_integer(8), row.optional_integer(9),
                                           m_options.configured_threshold);
        auto avail = available(on_hand, reserved);
        auto level = stock_level(avail, threshold);
        if (row.integer(10) != static_cast<int64_t>(level)) {
            throw ErrorException(
                make_error(ErrorKind::internal, "level_mismatch", "computing the stock level",
                           "the SQL level of " + std::string(row.text_view(3)) +
                               " disagrees with inventory::stock_level()",
                           "this is a bug in core/inventory/level_sql.cpp; please report it"));
        }
        m_any_low = m_any_low || level != StockLevel::ok;
        m_cells[5] = format::Cell::integer(on_hand);
        m_cells[6] = format::Cell::integer(reserved);
        m_cells[7] = format::Cell::integer(avail);
        m_cells[8] = format::Cell::integer(reorder_point);
        m_cells[9] = format::Cell::integer(threshold);
        m_cells[10] = format::Cell::text(to_string(level));
        if (m_cells.size() > 11) {
            m_cells[11] = format::Cell::integer(
                std::max<int64_t>(0, suggested_reorder(reorder_point, threshold, avail, level)));
        }
    }

    // Enough to bring available up to the reorder point plus the threshold.
    static int64_t suggested_reorder(int64_t reorder_point, int64_t threshold, int64_t avail,
                                     StockLevel level)
    {
        if (level == StockLevel::ok) {
            return 0;
        }
        return reorder_point + threshold - avail;
    }

    const money::Currency &currency_of(std::string_view code)
    {
        if (const auto *known = money::find_currency(code)) {
            return *known;
        }
        auto it = m_unknown_currencies.find(code);
        if (it == m_unknown_currencies.end()) {
            // Known shortcoming: a code outside ISO 4217 has no known exponent;
            // its amounts print as whole minor units, with a warning.
            log::warn("unknown currency in the catalogue; amounts print in minor units",
                      {{"currency", std::string(code)}});
            const char raw[4] = {code.size() > 0 ? code[0] : '?', code.size() > 1 ? code[1] : '?',
                                 code.size() > 2 ? code[2] : '?', '\0'};
            it = m_unknown_currencies.emplace(std::string(code), money::Currency(raw, 0)).first;
        }
        return it->second;
    }

    void map_valuation(const store::Row &row)
    {
        product_cells(row, 0, 0);
        m_cells[4] = format::Cell::text(row.text_view(4));
        auto on_hand = row.integer(5);
        auto code = row.text_view(6);
        const auto &currency = currency_of(code);
        auto unit_cost = row.integer(7);
        auto value = money::checked_mul(unit_cost, on_hand);
        if (!value) {
            throw ErrorException(stored_data_error("valuing SKU " + std::string(row.text_view(3)) +
                                                       " at " + std::string(row.text_view(4)),
                                                   "on_hand " + std::to_string(on_hand) +
                                                       " x unit cost " + std::to_string(unit_cost) +
                                                       ": " + value.error().why));
        }
        m_cells[5] = format::Cell::integer(on_hand);
        m_cells[6] = format::Cell::text(code);
        m_cells[7] = format::Cell::money({unit_cost, currency});
        m_cells[8] = format::Cell::money({*value, currency});
        add_to_total(code, currency, on_hand, *value);
    }

    void add_to_total(std::string_view code, const money::Currency &currency, int64_t on_hand,
                      int64_t value)
    {
        auto it = m_currency_totals.find(code);
        if (it == m_currency_totals.end()) {
            it = m_currency_totals.emplace(std::string(code), CurrencyTotal{currency, 0, 0}).first;
        }
        auto sum = money::checked_add(it->second.value, value);
        if (!sum) {
            throw ErrorException(stored_data_error(
                "totalling the valuation in " + std::string(code), sum.error().why));
        }
        it->second.value = *sum;
        it->second.on_hand += on_hand;
    }

    void map_movement(const store::Row &row)
    {
        m_cells[0] = format::Cell::integer(row.integer(0));
        m_cells[1] = format::Cell::text(row.text_view(1));
        product_cells(row, 2, 2);
        m_cells[6] = format::Cell::text(row.text_view(6));
        m_cells[7] = format::Cell::integer(row.integer(7));
        m_cells[8] = format::Cell::text(row.text_view(8));
        m_cells[9] = format::Cell::text(row.text_view(9));
    }

    void map_reservation(const store::Row &row)
    {
        m_cells[0] = format::Cell::integer(row.integer(0));
        m_cells[1] = row.is_null(1) ? format::Cell() : format::Cell::text(row.text_view(1));
        m_cells[2] = row.is_null(2) ? format::Cell() : format::Cell::text(row.text_view(2));
        product_cells(row, 3, 3);
        m_cells[7] = format::Cell::text(row.text_view(7));
        m_cells[8] = format::Cell::integer(row.integer(8));
        m_cells[9] = format::Cell::text(row.text_view(9));
        m_cells[10] = format::Cell::text(row.text_view(10));
        m_cells[11] = format::Cell::text(row.text_view(11));
        m_cells[12] = format::Cell::boolean(row.integer(12) != 0);
    }

    void map_dead_stock(const store::Row &row)
    {
        product_cells(row, 0, 0);
        m_cells[4] = format::Cell::text(row.text_view(4));
        m_cells[5] = format::Cell::integer(row.integer(5));
        m_cells[6] = format::Cell();
        m_cells[7] = format::Cell();
        if (!row.is_null(6)) {
            auto last_sale = row.text_view(6);
            m_cells[6] = format::Cell::text(last_sale);
            if (auto when = util::parse_rfc3339(last_sale)) {
                m_cells[7] = format::Cell::integer((m_options.now - *when) / k_seconds_per_day);
            }
        }
    }

    const ReportOptions &m_options;
    std::vector<format::Cell> m_cells;
    bool m_any_low = false;
    std::map<std::string, money::Currency, std::less<>> m_unknown_currencies;
    std::map<std::string, CurrencyTotal, std::less<>> m_currency_totals;
};

void write_currency_totals(const RowMapper &mapper, size_t column_count, format::Writer &writer,
                           ReportSummary &summary)
{
    std::vector<format::Cell> cells(column_count);
    for (const auto &[code, total] : mapper.currency_totals()) {
        cells[5] = format::Cell::integer(total.on_hand);
        cells[6] = format::Cell::text(code);
        cells[8] = format::Cell::money({total.value, total.currency});
        writer.row(format::Section::totals, cells);
        ++summary.totals;
    }
}

} // namespace

Result<ReportSummary> run_report(store::Database &database, const ReportOptions &options,
                                 format::Writer &writer)
{
    if (auto status = validate(options); !status) {
        return status.error();
    }
    auto plan = make_plan(options, false);
    auto lease = database.connection();
    // One read snapshot for rows and totals; never a write.
    lease->execute_script("PRAGMA query_only = ON");
    store::Transaction snapshot(*lease, store::TransactionMode::deferred);

    RowMapper mapper(options, plan.header.columns.size());
    ReportSummary summary;
    try {
        writer.begin(plan.header);
        auto rows = lease->prepare(plan.rows.sql);
        bind_params(rows, plan.rows.params);
        rows.for_each([&](const store::Row &row) {
            writer.row(format::Section::rows, mapper.map(row));
            ++summary.rows;
        });
        if (plan.totals) {
            auto totals = lease->prepare(plan.totals->sql);
            bind_params(totals, plan.totals->params);
            totals.for_each([&](const store::Row &row) {
                writer.row(format::Section::totals, mapper.map_total(row));
                ++summary.totals;
            });
        }
        if (options.kind == ReportKind::valuation) {
            write_currency_totals(mapper, plan.header.columns.size(), writer, summary);
        }
        snapshot.rollback();
        writer.end();
    } catch (const ErrorException &e) {
        if (e.error().code != "output_closed") {
            throw;
        }
        // The reader stopped reading (`| head`): not a failure, and what it
        // got still counts for --fail-if-low, or `set -o pipefail` would hide
        // a low row.
    }
    summary.any_low = mapper.any_low();
    return summary;
}

Result<std::vector<std::string>> report_sql(const ReportOptions &options)
{
    if (auto status = validate(options); !status) {
        return status.error();
    }
    auto plan = make_plan(options, true);
    std::vector<std::string> out = {plan.rows.sql};
    if (plan.totals) {
        out.push_back(plan.totals->sql);
    }
    return out;
}

} // namespace rcommerce::inventory
