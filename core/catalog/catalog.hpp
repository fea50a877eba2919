// The catalogue: products with their variants (SKUs), customers and stock
// locations, kept in the store.
//
// Every function validates its input before writing, names each wrong field
// (ErrorKind::validation, code "validation_failed"), and writes all or
// nothing. A missing row is ErrorKind::not_found with a code naming the kind
// ("product_not_found"); a duplicate SKU, e-mail or location code is
// ErrorKind::conflict ("sku_taken", "email_taken", "location_code_taken").
#pragma once

#include "core/money/money.hpp"
#include "core/util/page.hpp"
#include "core/util/result.hpp"
#include "core/util/validation.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rcommerce::store {
class Database;
class Connection;
} // namespace rcommerce::store

namespace rcommerce::catalog {

struct Variant {
    int64_t id = 0;
    int64_t product_id = 0;
    std::string sku;
    std::string title;
    money::Money price;
    int64_t unit_cost = 0; // minor units of price.currency
    bool allow_backorder = false;
    std::optional<int64_t> low_stock_threshold;
    std::string created_at;
    std::string updated_at;
};

// Product status: "draft", "active" or "archived".
struct Product {
    int64_t id = 0;
    std::string title;
    std::string description;
    std::string status = "active";
    std::vector<Variant> variants;
    std::string created_at;
    std::string updated_at;
};

struct VariantInput {
    std::string sku;
    std::string title;
    money::Money price;
    int64_t unit_cost = 0;
    bool allow_backorder = false;
    std::optional<int64_t> low_stock_threshold;
};

struct ProductInput {
    std::string title;
    std::string description;
    std::string status = "active";
    std::vector<VariantInput> variants;
};

// A partial update: only the members that are set change.
struct ProductChanges {
    std::optional<std::string> title;
    std::optional<std::string> description;
    std::optional<std::string> status;
};

struct VariantChanges {
    std::optional<std::string> title;
    std::optional<money::Money> price;
    // Must be in the variant's (new) price currency; a price in another
    // currency needs a unit_cost in that currency in the same change.
    std::optional<money::Money> unit_cost;
    std::optional<bool> allow_backorder;
    std::optional<std::optional<int64_t>> low_stock_threshold; // set to a value or to none
};

struct Customer {
    int64_t id = 0;
    std::string email;
    std::string name;
    std::string created_at;
    std::string updated_at;
};

struct CustomerInput {
    std::optional<std::string> email;
    std::optional<std::string> name;
};

struct Location {
    int64_t id = 0;
    std::string code;
    std::string name;
    std::optional<int64_t> low_stock_threshold;
    std::string created_at;
};

struct LocationInput {
    std::optional<std::string> code;
    std::optional<std::string> name;
    std::optional<std::optional<int64_t>> low_stock_threshold;
};

// Products (with variants). The variants of a new product are created in
// the same transaction; a product may have none yet.
[[nodiscard]] Result<Product> create_product(store::Database &db, const ProductInput &input);
// The checks create_product runs, for a caller that has its own shape
// errors and wants every problem reported in one answer. A field that
// already has an error in `errors` keeps its first message.
void check_product_input(const ProductInput &input, util::FieldErrors &errors);
void check_variant_input(const VariantInput &input, util::FieldErrors &errors,
                         const std::string &prefix = "");
[[nodiscard]] Result<Product> get_product(store::Database &db, int64_t id);
[[nodiscard]] Result<Product> update_product(store::Database &db, int64_t id,
                                             const ProductChanges &changes);
// Sets status "archived"; archived products keep their variants and orders
// but their SKUs can no longer be ordered. Archiving twice is harmless.
[[nodiscard]] Result<Product> archive_product(store::Database &db, int64_t id);
[[nodiscard]] Result<util::Page<Product>> list_products(store::Database &db,
                                                        const util::PageRequest &page);

[[nodiscard]] Result<Variant> add_variant(store::Database &db, int64_t product_id,
                                          const VariantInput &input);
[[nodiscard]] Result<Variant> get_variant(store::Database &db, int64_t id);
[[nodiscard]] Result<Variant> update_variant(store::Database &db, int64_t id,
                                             const VariantChanges &changes);

// Looks a SKU up on a connection the caller holds (inside its transaction).
[[nodiscard]] Result<Variant> find_variant_by_sku(store::Connection &connection,
                                                  std::string_view sku);
// The product status of a variant ("archived" ones cannot be ordered).
[[nodiscard]] std::string product_status(store::Connection &connection, int64_t product_id);

// Customers: create needs email; update changes what is set.
[[nodiscard]] Result<Customer> create_customer(store::Database &db, const CustomerInput &input);
[[nodiscard]] Result<Customer> get_customer(store::Database &db, int64_t id);
[[nodiscard]] Result<Customer> update_customer(store::Database &db, int64_t id,
                                               const CustomerInput &input);
[[nodiscard]] Result<util::Page<Customer>> list_customers(store::Database &db,
                                                          const util::PageRequest &page);

// Locations: create needs code and name.
[[nodiscard]] Result<Location> create_location(store::Database &db, const LocationInput &input);
[[nodiscard]] Result<Location> get_location(store::Database &db, int64_t id);
[[nodiscard]] Result<Location> update_location(store::Database &db, int64_t id,
                                               const LocationInput &input);
[[nodiscard]] Result<util::Page<Location>> list_locations(store::Database &db,
                                                          const util::PageRequest &page);
[[nodiscard]] Result<Location> find_location_by_code(store::Connection &connection,
                                                     std::string_view code);

} // namespace rcommerce::catalog
