#include "core/catalog/catalog.hpp"

#include "core/store/database.hpp"
#include "core/util/validation.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace rcommerce::catalog {
namespace {

constexpr const char *k_variant_columns =
    "id, product_id, sku, title, price_amount, unit_cost_amount, currency, allow_backorder, "
    "low_stock_threshold, created_at, updated_at";
constexpr int64_t k_max_threshold = 1'000'000'000;

Error not_found(std::string_view kind, int64_t id)
{
    return make_error(ErrorKind::not_found, std::string(kind) + "_not_found",
                      "looking up " + std::string(kind) + " " + std::to_string(id),
                      "no " + std::string(kind) + " has id " + std::to_string(id));
}

using util::check_text;

// SKUs and location codes appear in URLs and reports: letters, digits, . _ -
void check_code(util::FieldErrors &errors, const std::string &field, std::string_view text,
                size_t max)
{
    bool good =
        !text.empty() && text.size() <= max && std::all_of(text.begin(), text.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
        });
    if (!good) {
        errors.add(field,
                   "must be 1 to " + std::to_string(max) + " letters, digits, '.', '_' or '-'");
    }
}

void check_threshold(util::FieldErrors &errors, const std::string &field,
                     std::optional<int64_t> threshold)
{
    if (threshold && (*threshold < 0 || *threshold > k_max_threshold)) {
        errors.add(field, "must be between 0 and " + std::to_string(k_max_threshold));
    }
}

void check_amount(util::FieldErrors &errors, const std::string &field, int64_t amount)
{
    if (amount < 0 || amount > money::k_max_amount) {
        errors.add(field, "must be between 0 and " + std::to_string(money::k_max_amount));
    }
}

void check_status(util::FieldErrors &errors, std::string_view status)
{
    static constexpr std::array k_statuses{"draft", "active", "archived"};
    if (std::find(k_statuses.begin(), k_statuses.end(), status) == k_statuses.end()) {
        errors.add("status", "must be one of draft, active, archived");
    }
}

void check_variant(util::FieldErrors &errors, const std::string &prefix, const VariantInput &input)
{
    check_code(errors, prefix + "sku", input.sku, 100);
    check_text(errors, prefix + "title", input.title, 0, 500);
    check_amount(errors, prefix + "price.amount", input.price.amount);
    check_amount(errors, prefix + "unit_cost", input.unit_cost);
    check_threshold(errors, prefix + "low_stock_threshold", input.low_stock_threshold);
}

// Runs `work` in a write transaction, turning a UNIQUE violation into a
// conflict with `code` (the only constraint our validated input can break).
template <typename T, typename F>
Result<T> write_unique(store::Database &db, std::string_view code, std::string_view why, F work)
{
    try {
        return db.write(work);
    } catch (const store::DatabaseError &error) {
        if (error.failure() != store::Failure::constraint) {
            throw;
        }
        return make_error(ErrorKind::conflict, std::string(code), "saving", std::string(why));
    }
}

// write_unique for inserting variants: the conflict names the taken SKU and
// the variant and product that hold it, so the client knows what to change.
template <typename T, typename F>
Result<T> write_variants(store::Database &db, const std::vector<std::string> &skus, F work)
{
    auto written = write_unique<T>(db, "sku_taken", "a SKU in the request is already taken", work);
    if (written || written.error().code != "sku_taken") {
        return written;
    }
    auto lease = db.connection();
    for (const auto &sku : skus) {
        std::optional<std::pair<int64_t, int64_t>> holder;
        lease->query(
            "SELECT id, product_id FROM variants WHERE sku = ?",
            [&](const store::Row &row) {
                holder = {row.integer(0), row.integer(1)};
            },
            sku);
        if (holder) {
            return make_error(ErrorKind::conflict, "sku_taken", "saving SKU " + sku,
                              "variant " + std::to_string(holder->first) + " of product " +
                                  std::to_string(holder->second) + " already has this SKU",
                              "SKUs are unique across the catalogue: choose another, or "
                              "update that variant instead");
        }
    }
    return written;
}

Variant read_variant(const store::Row &row)
{
    Variant variant;
    variant.id = row.integer(0);
    variant.product_id = row.integer(1);
    variant.sku = row.text(2);
    variant.title = row.text(3);
    variant.price.amount = row.integer(4);
    variant.unit_cost = row.integer(5);
    // The store only holds codes that passed parse_currency.
    variant.price.currency = *money::find_currency(row.text_view(6));
    variant.allow_backorder = row.integer(7) != 0;
    variant.low_stock_threshold = row.optional_integer(8);
    variant.created_at = row.text(9);
    variant.updated_at = row.text(10);
    return variant;
}

int64_t insert_variant(store::Connection &connection, int64_t product_id, const VariantInput &input)
{
    connection.execute("INSERT INTO variants (product_id, sku, title, price_amount, "
                       "unit_cost_amount, currency, allow_backorder, low_stock_threshold) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       product_id, input.sku, input.title, input.price.amount, input.unit_cost,
                       input.price.currency.code(), input.allow_backorder,
                       input.low_stock_threshold);
    return connection.last_insert_id();
}

std::optional<Product> load_product(store::Connection &connection, int64_t id)
{
    std::optional<Product> product;
    connection.query(
        "SELECT id, title, description, status, created_at, updated_at FROM products "
        "WHERE id = ?",
        [&](const store::Row &row) {
            product = Product{row.integer(0), row.text(1), row.text(2), row.text(3), {},
                              row.text(4),    row.text(5)};
        },
        id);
    if (product) {
        connection.query(
            std::string("SELECT ") + k_variant_columns +
                " FROM variants WHERE product_id = ? ORDER BY id",
            [&](const store::Row &row) { product->variants.push_back(read_variant(row)); }, id);
    }
    return product;
}

std::optional<Variant> load_variant(store::Connection &connection, std::string_view where, auto key)
{
    std::optional<Variant> variant;
    connection.query(
        std::string("SELECT ") + k_variant_columns + " FROM variants WHERE " + std::string(where),
        [&](const store::Row &row) { variant = read_variant(row); }, key);
    return variant;
}

Customer read_customer(const store::Row &row)
{
    return Customer{row.integer(0), row.text(1), row.text(2), row.text(3), row.text(4)};
}

Location read_location(const store::Row &row)
{
    return Location{row.integer(0), row.text(1), row.text(2), row.optional_integer(3), row.text(4)};
}

constexpr const char *k_customer_columns = "id, email, name, created_at, updated_at";
constexpr const char *k_location_columns = "id, code, name, low_stock_threshold, created_at";

// The rows of `table` after the cursor, one more than the limit.
template <typename T, typename Read>
util::Page<T> list_rows(store::Database &db, std::string_view table, std::string_view columns,
                        const util::PageRequest &page, Read read)
{
    auto lease = db.connection();
    std::vector<T> rows;
    lease->query(
        "SELECT " + std::string(columns) + " FROM " + std::string(table) +
            " WHERE id > ? ORDER BY id LIMIT ?",
        [&](const store::Row &row) { rows.push_back(read(row)); }, page.starting_after.value_or(0),
        page.limit + 1);
    return util::make_page(std::move(rows), page.limit);
}

void check_email(util::FieldErrors &errors, std::string_view email)
{
    auto at = email.find('@');
    if (email.size() > 254) {
        errors.add("email", "must be at most 254 characters long (RFC 5321)");
    } else if (std::any_of(email.begin(), email.end(), [](char c) {
                   auto byte = static_cast<unsigned char>(c);
                   return byte <= 0x20 || byte == 0x7f;
               })) {
        errors.add("email", "must not contain spaces or control characters");
    } else if (at == std::string_view::npos || at == 0 || at + 1 >= email.size()) {
        errors.add("email", "must be an e-mail address like name@example.com");
    }
}

} // namespace

void check_product_input(const ProductInput &input, util::FieldErrors &errors)
{
    check_text(errors, "title", input.title, 1, 500);
    check_text(errors, "description", input.description, 0, 10000, util::TextLines::many);
    check_status(errors, input.status);
    std::set<std::string> skus;
    for (size_t i = 0; i < input.variants.size(); ++i) {
        std::string prefix = "variants[" + std::to_string(i) + "].";
        check_variant(errors, prefix, input.variants[i]);
        if (!input.variants[i].sku.empty() && !skus.insert(input.variants[i].sku).second) {
            errors.add(prefix + "sku", "repeats SKU \"" + input.variants[i].sku +
                                           "\" of an earlier variant in this request");
        }
    }
}

void check_variant_input(const VariantInput &input, util::FieldErrors &errors,
                         const std::string &prefix)
{
    check_variant(errors, prefix, input);
}

Result<Product> create_product(store::Database &db, const ProductInput &input)
{
    util::FieldErrors errors;
    check_product_input(input, errors);
    if (!errors.empty()) {
        return errors.error("creating a product");
    }
    std::vector<std::string> skus;
    for (const auto &variant : input.variants) {
        skus.push_back(variant.sku);
    }
    return write_variants<Product>(db, skus, [&](store::Connection &c) {
        c.execute("INSERT INTO products (title, description, status) VALUES (?, ?, ?)", input.title,
                  input.description, input.status);
        int64_t id = c.last_insert_id();
        for (const auto &variant : input.variants) {
            insert_variant(c, id, variant);
        }
        return *load_product(c, id);
    });
}

Result<Product> get_product(store::Database &db, int64_t id)
{
    auto lease = db.connection();
    // One snapshot for the product and its variants; it is also one read
    // transaction to open and close instead of two.
    store::Transaction snapshot(*lease, store::TransactionMode::deferred);
    auto product = load_product(*lease, id);
    if (!product) {
        return not_found("product", id);
    }
    return *product;
}

Result<Product> update_product(store::Database &db, int64_t id, const ProductChanges &changes)
{
    util::FieldErrors errors;
    if (changes.title) {
        check_text(errors, "title", *changes.title, 1, 500);
    }
    if (changes.description) {
        check_text(errors, "description", *changes.description, 0, 10000, util::TextLines::many);
    }
    if (changes.status) {
        check_status(errors, *changes.status);
    }
    if (!errors.empty()) {
        return errors.error("updating product " + std::to_string(id));
    }
    return db.write([&](store::Connection &c) -> Result<Product> {
        auto product = load_product(c, id);
        if (!product) {
            return not_found("product", id);
        }
        // A change that changes nothing leaves updated_at alone.
        c.execute("UPDATE products SET title = ?1, description = ?2, status = ?3, updated_at = "
                  "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?4 AND "
                  "(title, description, status) IS NOT (?1, ?2, ?3)",
                  changes.title.value_or(product->title),
                  changes.description.value_or(product->description),
                  changes.status.value_or(product->status), id);
        return *load_product(c, id);
    });
}

Result<Product> archive_product(store::Database &db, int64_t id)
{
    ProductChanges changes;
    changes.status = "archived";
    return update_product(db, id, changes);
}

Result<util::Page<Product>> list_products(store::Database &db, const util::PageRequest &page)
{
    auto ids = list_rows<int64_t>(db, "products", "id", page,
                                  [](const store::Row &row) { return row.integer(0); });
    util::Page<Product> result;
    result.has_more = ids.has_more;
    auto lease = db.connection();
    for (int64_t id : ids.items) {
        if (auto product = load_product(*lease, id)) {
            result.items.push_back(std::move(*product));
        }
    }
    return result;
}

Result<Variant> add_variant(store::Database &db, int64_t product_id, const VariantInput &input)
{
    util::FieldErrors errors;
    check_variant(errors, "", input);
    if (!errors.empty()) {
        return errors.error("adding a variant");
    }
    return write_variants<Variant>(db, {input.sku}, [&](store::Connection &c) -> Result<Variant> {
        if (!load_product(c, product_id)) {
            return not_found("product", product_id);
        }
        int64_t id = insert_variant(c, product_id, input);
        return *load_variant(c, "id = ?", id);
    });
}

Result<Variant> get_variant(store::Database &db, int64_t id)
{
    auto lease = db.connection();
    auto variant = load_variant(*lease, "id = ?", id);
    if (!variant) {
        return not_found("variant", id);
    }
    return *variant;
}

// The unit cost is stored as an amount in the price's currency, so a change
// of currency without a new cost would silently relabel the old one.
static std::optional<std::pair<std::string, std::string>>
currency_mismatch(const Variant &variant, const money::Money &price,
                  const std::optional<money::Money> &unit_cost)
{
    if (unit_cost && !(unit_cost->currency == price.currency)) {
        return std::pair<std::string, std::string>("unit_cost.currency",
                                                   "must be the price's currency (" +
                                                       std::string(price.currency.code()) + ")");
    }
    if (!unit_cost && !(price.currency == variant.price.currency)) {
        return std::pair<std::string, std::string>("unit_cost",
                                                   "the price's currency changes from " +
                                                       std::string(variant.price.currency.code()) +
                                                       " to " + std::string(price.currency.code()) +
                                                       "; send unit_cost in the new currency too");
    }
    return std::nullopt;
}

Result<Variant> update_variant(store::Database &db, int64_t id, const VariantChanges &changes)
{
    util::FieldErrors errors;
    if (changes.title) {
        check_text(errors, "title", *changes.title, 0, 500);
    }
    if (changes.price) {
        check_amount(errors, "price.amount", changes.price->amount);
    }
    if (changes.unit_cost) {
        check_amount(errors, "unit_cost", changes.unit_cost->amount);
    }
    if (changes.low_stock_threshold) {
        check_threshold(errors, "low_stock_threshold", *changes.low_stock_threshold);
    }
    if (!errors.empty()) {
        return errors.error("updating variant " + std::to_string(id));
    }
    return write_unique<Variant>(
        db, "backorders_outstanding",
        "more units are reserved than on hand; receive stock before turning backorders off",
        [&](store::Connection &c) -> Result<Variant> {
            auto variant = load_variant(c, "id = ?", id);
            if (!variant) {
                return not_found("variant", id);
            }
            auto price = changes.price.value_or(variant->price);
            if (auto mismatch = currency_mismatch(*variant, price, changes.unit_cost)) {
                util::FieldErrors currency_errors;
                currency_errors.add(mismatch->first, mismatch->second);
                return currency_errors.error("updating variant " + std::to_string(id));
            }
            c.execute("UPDATE variants SET title = ?1, price_amount = ?2, currency = ?3, "
                      "unit_cost_amount = ?4, allow_backorder = ?5, low_stock_threshold = ?6, "
                      "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?7 AND "
                      "(title, price_amount, currency, unit_cost_amount, allow_backorder, "
                      "low_stock_threshold) IS NOT (?1, ?2, ?3, ?4, ?5, ?6)",
                      changes.title.value_or(variant->title), price.amount, price.currency.code(),
                      changes.unit_cost ? changes.unit_cost->amount : variant->unit_cost,
                      changes.allow_backorder.value_or(variant->allow_backorder),
                      changes.low_stock_threshold.value_or(variant->low_stock_threshold), id);
            return *load_variant(c, "id = ?", id);
        });
}

Result<Variant> find_variant_by_sku(store::Connection &connection, std::string_view sku)
{
    auto variant = load_variant(connection, "sku = ?", sku);
    if (!variant) {
        return make_error(ErrorKind::not_found, "sku_not_found", "looking up SKU",
                          "no variant has SKU " + std::string(sku));
    }
    return *variant;
}

std::string product_status(store::Connection &connection, int64_t product_id)
{
    std::string status;
    connection.query(
        "SELECT status FROM products WHERE id = ?",
        [&](const store::Row &row) { status = row.text(0); }, product_id);
    return status;
}

Result<Customer> create_customer(store::Database &db, const CustomerInput &input)
{
    util::FieldErrors errors;
    if (!input.email) {
        errors.add("email", "is required");
    } else {
        check_email(errors, *input.email);
    }
    check_text(errors, "name", input.name.value_or(""), 0, 500);
    if (!errors.empty()) {
        return errors.error("creating a customer");
    }
    return write_unique<Customer>(
        db, "email_taken", "a customer with e-mail " + *input.email + " already exists",
        [&](store::Connection &c) {
            c.execute("INSERT INTO customers (email, name) VALUES (?, ?)", *input.email,
                      input.name.value_or(""));
            Customer customer;
            c.query(
                std::string("SELECT ") + k_customer_columns + " FROM customers WHERE id = ?",
                [&](const store::Row &row) { customer = read_customer(row); }, c.last_insert_id());
            return customer;
        });
}

Result<Customer> get_customer(store::Database &db, int64_t id)
{
    auto lease = db.connection();
    std::optional<Customer> customer;
    lease->query(
        std::string("SELECT ") + k_customer_columns + " FROM customers WHERE id = ?",
        [&](const store::Row &row) { customer = read_customer(row); }, id);
    if (!customer) {
        return not_found("customer", id);
    }
    return *customer;
}

Result<Customer> update_customer(store::Database &db, int64_t id, const CustomerInput &input)
{
    auto current = get_customer(db, id);
    if (!current) {
        return current;
    }
    util::FieldErrors errors;
    if (input.email) {
        check_email(errors, *input.email);
    }
    if (input.name) {
        check_text(errors, "name", *input.name, 0, 500);
    }
    if (!errors.empty()) {
        return errors.error("updating customer " + std::to_string(id));
    }
    auto updated = write_unique<Unit>(
        db, "email_taken", "another customer has that e-mail", [&](store::Connection &c) {
            c.execute("UPDATE customers SET email = ?1, name = ?2, updated_at = "
                      "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?3 AND "
                      "(email, name) IS NOT (?1, ?2)",
                      input.email.value_or(current->email), input.name.value_or(current->name), id);
            return Unit{};
        });
    if (!updated) {
        return updated.error();
    }
    return get_customer(db, id);
}

Result<util::Page<Customer>> list_customers(store::Database &db, const util::PageRequest &page)
{
    return list_rows<Customer>(db, "customers", k_customer_columns, page, read_customer);
}

Result<Location> create_location(store::Database &db, const LocationInput &input)
{
    util::FieldErrors errors;
    check_code(errors, "code", input.code.value_or(""), 64);
    check_text(errors, "name", input.name.value_or(""), 1, 500);
    if (input.low_stock_threshold) {
        check_threshold(errors, "low_stock_threshold", *input.low_stock_threshold);
    }
    if (!errors.empty()) {
        return errors.error("creating a location");
    }
    return write_unique<Location>(
        db, "location_code_taken", "a location with code " + *input.code + " already exists",
        [&](store::Connection &c) {
            c.execute("INSERT INTO locations (code, name, low_stock_threshold) VALUES (?, ?, ?)",
                      *input.code, *input.name, input.low_stock_threshold.value_or(std::nullopt));
            Location location;
            c.query(
                std::string("SELECT ") + k_location_columns + " FROM locations WHERE id = ?",
                [&](const store::Row &row) { location = read_location(row); }, c.last_insert_id());
            return location;
        });
}

Result<Location> get_location(store::Database &db, int64_t id)
{
    auto lease = db.connection();
    std::optional<Location> location;
    lease->query(
        std::string("SELECT ") + k_location_columns + " FROM locations WHERE id = ?",
        [&](const store::Row &row) { location = read_location(row); }, id);
    if (!location) {
        return not_found("location", id);
    }
    return *location;
}

Result<Location> update_location(store::Database &db, int64_t id, const LocationInput &input)
{
    auto current = get_location(db, id);
    if (!current) {
        return current;
    }
    util::FieldErrors errors;
    if (input.code) {
        check_code(errors, "code", *input.code, 64);
    }
    if (input.name) {
        check_text(errors, "name", *input.name, 1, 500);
    }
    if (input.low_stock_threshold) {
        check_threshold(errors, "low_stock_threshold", *input.low_stock_threshold);
    }
    if (!errors.empty()) {
        return errors.error("updating location " + std::to_string(id));
    }
    auto updated = write_unique<Unit>(
        db, "location_code_taken", "another location has that code", [&](store::Connection &c) {
            c.execute("UPDATE locations SET code = ?, name = ?, low_stock_threshold = ? "
                      "WHERE id = ?",
                      input.code.value_or(current->code), input.name.value_or(current->name),
                      input.low_stock_threshold.value_or(current->low_stock_threshold), id);
            return Unit{};
        });
    if (!updated) {
        return updated.error();
    }
    return get_location(db, id);
}

Result<util::Page<Location>> list_locations(store::Database &db, const util::PageRequest &page)
{
    return list_rows<Location>(db, "locations", k_location_columns, page, read_location);
}

Result<Location> find_location_by_code(store::Connection &connection, std::string_view code)
{
    std::optional<Location> location;
    connection.query(
        std::string("SELECT ") + k_location_columns + " FROM locations WHERE code = ?",
        [&](const store::Row &row) { location = read_location(row); }, code);
    if (!location) {
        return make_error(ErrorKind::not_found, "location_not_found", "looking up location",
                          "no location has code " + std::string(code));
    }
    return *location;
}

} // namespace rcommerce::catalog
