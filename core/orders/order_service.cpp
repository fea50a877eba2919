#include "core/orders/order_service.hpp"

#include "core/catalog/catalog.hpp"
#include "core/inventory/stock.hpp"
#include "core/store/database.hpp"
#include "core/util/time.hpp"
#include "core/util/validation.hpp"

namespace rcommerce::orders {
namespace {

constexpr const char *k_order_columns =
    "id, number, customer_id, state, currency, subtotal_amount, total_amount, "
    "refunded_amount, created_at, updated_at";

Order read_order(const store::Row &row)
{
    Order order;
    order.id = row.integer(0);
    order.number = row.text(1);
    order.customer_id = row.optional_integer(2);
    order.state = order_state_from_string(row.text_view(3)).value_or(OrderState::pending);
    order.currency = *money::find_currency(row.text_view(4));
    order.subtotal = row.integer(5);
    order.total = row.integer(6);
    order.refunded = row.integer(7);
    order.created_at = row.text(8);
    order.updated_at = row.text(9);
    return order;
}

void load_details(store::Connection &c, Order &order)
{
    c.query(
        "SELECT id, variant_id, sku, title, quantity, unit_price_amount, line_total_amount "
        "FROM order_lines WHERE order_id = ? ORDER BY id",
        [&](const store::Row &row) {
            order.lines.push_back({row.integer(0), row.integer(1), row.text(2), row.text(3),
                                   row.integer(4), row.integer(5), row.integer(6)});
        },
        order.id);
    // Only an order awaiting payment can lose its reservations; a paid one
    // may still hold backordered units, which never expire.
    if (order.state != OrderState::awaiting_payment) {
        return;
    }
    c.query(
        "SELECT min(r.expires_at) FROM reservations r JOIN order_lines ol "
        "ON ol.id = r.order_line_id WHERE ol.order_id = ? AND r.status = 'active'",
        [&](const store::Row &row) { order.reservations_expire_at = row.optional_text(0); },
        order.id);
}

Status check_input(const OrderInput &input)
{
    util::FieldErrors errors;
    check_lines(input.lines, errors);
    if (!errors.empty()) {
        return errors.error("creating an order");
    }
    return ok_status();
}

Error line_error(ErrorKind kind, std::string code, size_t index, std::string message)
{
    Error error = util::field_error("lines[" + std::to_string(index) + "].sku", message);
    error.kind = kind;
    error.code = std::move(code);
    error.what = "creating an order";
    return error;
}

// The variant behind each line, every line checked (all problems reported
// together, as field errors): the SKU exists, its product is active, its
// price is in the order's currency.
Result<std::vector<catalog::Variant>> resolve_lines(store::Connection &c, const OrderInput &input)
{
    util::FieldErrors errors;
    if (input.customer_id &&
        !c.query_integer("SELECT id FROM customers WHERE id = ?", *input.customer_id)) {
        Error error = util::field_error("customer_id",
                                        "no customer has id " + std::to_string(*input.customer_id));
        error.code = "customer_not_found";
        errors.add(error);
    }
    std::vector<catalog::Variant> variants;
    for (size_t i = 0; i < input.lines.size(); ++i) {
        const auto &line = input.lines[i];
        auto variant = catalog::find_variant_by_sku(c, line.sku);
        if (!variant) {
            errors.add(line_error(ErrorKind::validation, "sku_not_found", i,
                                  "no variant has SKU " + line.sku));
            continue;
        }
        if (catalog::product_status(c, variant->product_id) != "active") {
            errors.add(line_error(ErrorKind::validation, "product_not_available", i,
                                  "SKU " + line.sku + " belongs to a product that is not active"));
        } else if (!(variant->price.currency == input.currency)) {
            errors.add(line_error(ErrorKind::validation, "currency_mismatch", i,
                                  "SKU " + line.sku + " is priced in " +
                                      std::string(variant->price.currency.code()) +
                                      ", the order is in " + std::string(input.currency.code())));
        }
        variants.push_back(std::move(*variant));
    }
    if (!errors.empty()) {
        return errors.error("creating an order");
    }
    return variants;
}

// Prices and inserts the lines of `input` (resolved by resolve_lines); fills
// order.lines and the totals.
Status insert_lines(store::Connection &c, const OrderInput &input,
                    const std::vector<catalog::Variant> &variants, Order &order)
{
    int64_t subtotal = 0;
    for (size_t i = 0; i < input.lines.size(); ++i) {
        const auto &line = input.lines[i];
        const auto *variant = &variants[i];
        auto line_total = money::checked_mul(variant->price.amount, line.quantity);
        auto sum = line_total ? money::checked_add(subtotal, *line_total) : line_total;
        if (!sum) {
            // Name the line that tipped it over, with the amounts, so the
            // client knows which quantity to lower.
            Error error = util::field_error(
                "lines[" + std::to_string(i) + "].quantity",
                std::string(line_total ? "brings the order's total" : "brings the line's total") +
                    " above the largest amount, " +
                    money::format_money({money::k_max_amount, input.currency}) + " (" +
                    std::to_string(line.quantity) + " x " + money::format_money(variant->price) +
                    ")");
            error.code = "amount_overflow";
            error.what = "creating an order";
            error.hint = "lower the quantity or split the order";
            return error;
        }
        subtotal = *sum;
        c.execute("INSERT INTO order_lines (order_id, variant_id, sku, title, quantity, "
                  "unit_price_amount, line_total_amount, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  order.id, variant->id, variant->sku, variant->title, line.quantity,
                  variant->price.amount, *line_total, input.currency.code());
        order.lines.push_back({c.last_insert_id(), variant->id, variant->sku, variant->title,
                               line.quantity, variant->price.amount, *line_total});
    }
    // No taxes, shipping or discounts yet: the total is the subtotal.
    c.execute("UPDATE orders SET subtotal_amount = ?, total_amount = ? WHERE id = ?", subtotal,
              subtotal, order.id);
    return ok_status();
}

// Reserves every line of an order read with its lines; all or none is up to
// the caller's transaction.
Status reserve_all(store::Connection &c, const config::InventoryConfig &config, const Order &order)
{
    // Checked before any stock moves: placing an order that already holds
    // its reservations must not reserve them a second time.
    if (auto allowed = check_transition(order.state, OrderState::awaiting_payment); !allowed) {
        return allowed;
    }
    std::string expires_at =
        util::format_rfc3339(util::unix_now() + config.reservation_ttl_minutes * 60);
    std::vector<inventory::LineToReserve> lines;
    for (const auto &line : order.lines) {
        lines.push_back({line.variant_id, line.sku, line.quantity, line.id});
    }
    if (auto reserved = inventory::reserve_lines(c, config, lines, expires_at); !reserved) {
        return reserved;
    }
    return move_order(c, order.id, order.state, OrderState::awaiting_payment);
}

// A state change in one write transaction; the order as it is afterwards.
Result<Order> change(store::Database &db, int64_t id, const OrderWork &work)
{
    std::optional<Order> updated;
    Status done = in_order_transaction(db, id, [&](store::Connection &c, const Order &order) {
        Status status = work(c, order);
        if (status) {
            updated = load_order(c, id).value();
        }
        return status;
    });
    if (!done) {
        return done.error();
    }
    return *updated;
}

} // namespace

Result<Order> load_order(store::Connection &c, int64_t id)
{
    std::optional<Order> order;
    c.query(
        std::string("SELECT ") + k_order_columns + " FROM orders WHERE id = ?",
        [&](const store::Row &row) { order = read_order(row); }, id);
    if (!order) {
        return make_error(ErrorKind::not_found, "order_not_found",
                          "looking up order " + std::to_string(id),
                          "no order has id " + std::to_string(id));
    }
    load_details(c, *order);
    return *order;
}

Status in_order_transaction(store::Database &db, int64_t id, const OrderWork &work)
{
    auto lease = db.connection();
    store::Transaction transaction(*lease);
    auto order = load_order(*lease, id);
    if (!order) {
        return order.error();
    }
    Status done = work(*lease, *order);
    if (done) {
        transaction.commit();
    }
    return done;
}

Status move_order(store::Connection &c, int64_t id, OrderState from, OrderState to)
{
    auto allowed = check_transition(from, to);
    if (!allowed) {
        return allowed;
    }
    // Compare-and-set on the state the caller read: a caller passing a stale
    // `from` gets a conflict instead of silently skipping the table's check.
    auto changed =
        c.execute("UPDATE orders SET state = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
                  "WHERE id = ? AND state = ?",
                  to_string(to), id, to_string(from));
    if (changed == 0) {
        return make_error(ErrorKind::conflict, "invalid_transition",
                          "changing order " + std::to_string(id) + " to " +
                              std::string(to_string(to)),
                          "the order is no longer " + std::string(to_string(from)),
                          "read the order again and retry");
    }
    return ok_status();
}

Result<Order> create_order(store::Database &db, const config::InventoryConfig &config,
                           const OrderInput &input)
{
    if (auto checked = check_input(input); !checked) {
        return checked.error();
    }

    auto lease = db.connection();
    auto &c = *lease;
    store::Transaction transaction(c);
    auto variants = resolve_lines(c, input);
    if (!variants) {
        return variants.error();
    }
    c.execute("INSERT INTO orders (number, customer_id, currency) VALUES ('R' || printf('%06d', "
              "(SELECT COALESCE(MAX(id), 0) + 1 FROM orders)), ?, ?)",
              input.customer_id, input.currency.code());
    Order order;
    order.id = c.last_insert_id();
    if (auto lines = insert_lines(c, input, *variants, order); !lines) {
        return lines.error();
    }
    if (input.reserve) {
        if (auto reserved = reserve_all(c, config, order); !reserved) {
            return reserved.error();
        }
    }
    auto created = load_order(c, order.id);
    transaction.commit();
    return created;
}

Result<Order> place_order(store::Database &db, const config::InventoryConfig &config, int64_t id)
{
    return change(db, id, [&](store::Connection &c, const Order &order) {
        return reserve_all(c, config, order);
    });
}

Result<Order> get_order(store::Database &db, int64_t id)
{
    auto lease = db.connection();
    return load_order(*lease, id);
}

Result<util::Page<Order>> list_orders(store::Database &db, const util::PageRequest &page,
                                      std::optional<OrderState> state)
{
    auto lease = db.connection();
    std::vector<Order> rows;
    std::optional<std::string> state_text;
    if (state) {
        state_text = std::string(to_string(*state));
    }
    lease->query(
        std::string("SELECT ") + k_order_columns +
            " FROM orders WHERE id > ? AND (? IS NULL OR state = ?) ORDER BY id LIMIT ?",
        [&](const store::Row &row) { rows.push_back(read_order(row)); },
        page.starting_after.value_or(0), state_text, state_text, page.limit + 1);
    auto result = util::make_page(std::move(rows), page.limit);
    for (auto &order : result.items) {
        load_details(*lease, order);
    }
    return result;
}

Result<Order> cancel_order(store::Database &db, const config::InventoryConfig &config, int64_t id)
{
    return change(db, id, [&](store::Connection &c, const Order &order) -> Status {
        auto moved = move_order(c, id, order.state, OrderState::cancelled);
        if (moved) {
            inventory::release_order_reservations(c, config, id);
        }
        return moved;
    });
}

Result<Order> fulfil_order(store::Database &db, const config::InventoryConfig &config, int64_t id)
{
    return change(db, id, [&](store::Connection &c, const Order &order) -> Status {
        auto moved = move_order(c, id, order.state, OrderState::fulfilled);
        if (!moved) {
            return moved;
        }
        return inventory::sell_backordered(c, config, id, "order " + order.number);
    });
}

Result<Order> complete_order(store::Database &db, int64_t id)
{
    return change(db, id, [&](store::Connection &c, const Order &order) {
        return move_order(c, id, order.state, OrderState::completed);
    });
}

void check_lines(const std::vector<LineInput> &lines, util::FieldErrors &errors)
{
    if (lines.empty()) {
        errors.add("lines", "must contain at least one line");
    }
    if (lines.size() > k_max_lines) {
        errors.add("lines", "must contain at most " + std::to_string(k_max_lines) + " lines");
    }
    for (size_t i = 0; i < lines.size() && i < k_max_lines; ++i) {
        const auto &line = lines[i];
        std::string prefix = "lines[" + std::to_string(i) + "].";
        if (line.sku.empty() || line.sku.size() > 100) {
            errors.add(prefix + "sku", "must be 1 to 100 characters long");
        }
        if (line.quantity < 1 || line.quantity > k_max_line_quantity) {
            errors.add(prefix + "quantity",
                       "must be between 1 and " + std::to_string(k_max_line_quantity));
        }
    }
}

} // namespace rcommerce::orders
