// Versioned schema migrations, compiled into the binary.
//
// Each migration is a pair of SQL scripts in core/store/migrations/,
// NNNN_name.up.sql and NNNN_name.down.sql, embedded at build time. Applying
// one records (version, name, checksum, applied_at) in `schema_migrations`;
// the checksum is the SHA-256 of the up script, a NUL byte, and the down
// script, so an edited migration shows as `modified` in `db status`.
//
// Atomicity: each migration runs in its own BEGIN IMMEDIATE transaction
// together with its schema_migrations row, so a failure or a kill -9 halfway
// leaves the database at the last fully applied version. Two migrators at once
// serialise on SQLite's write lock: the second waits (up to
// k_migration_lock_wait_ms), then re-reads what is applied inside its own
// transaction and skips what the first already did, so each migration runs
// exactly once. If it cannot get the lock in time it fails with a message
// saying another process holds it.
//
// Known limit: a migration cannot switch foreign_keys off (SQLite ignores that
// PRAGMA inside a transaction), so table rebuilds must keep keys valid.
//
// Testing hook: when RCOMMERCE_TEST_EXTRA_MIGRATIONS names a folder, its
// NNNN_name.up.sql/.down.sql files are added after the embedded ones. Only the
// test suite sets it (to inject a failing or extra migration); production
// never does.
#pragma once

#include "core/store/database.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rcommerce::store {

inline constexpr int64_t k_migration_lock_wait_ms = 60000;
inline constexpr const char *k_extra_migrations_env = "RCOMMERCE_TEST_EXTRA_MIGRATIONS";

struct Migration {
    int64_t version = 0;
    std::string name;
    std::string up_sql;
    std::string down_sql;
    std::string checksum; // SHA-256 hex of up_sql + '\0' + down_sql
};

// Every migration this binary knows, in version order: the embedded ones,
// then those of RCOMMERCE_TEST_EXTRA_MIGRATIONS. Errors on a malformed extra
// folder (bad names, a missing down script, a repeated version).
[[nodiscard]] Result<std::vector<Migration>> known_migrations();

enum class MigrationState {
    applied,  // recorded, checksum matches
    pending,  // known, not applied
    modified, // recorded with a checksum that differs from the binary's
    unknown,  // recorded but not known to this binary
};

[[nodiscard]] std::string_view to_string(MigrationState state);

struct MigrationStatus {
    int64_t version = 0;
    std::string name;
    MigrationState state = MigrationState::pending;
    std::string applied_at;       // empty unless recorded
    std::string checksum;         // the binary's, empty for unknown
    std::string applied_checksum; // the recorded one, empty for pending
};

struct SchemaReport {
    int64_t database_version = 0; // highest applied version, 0 for an empty database
    int64_t binary_version = 0;   // highest version this binary knows
    std::vector<MigrationStatus> migrations;
    [[nodiscard]] bool any(MigrationState state) const;
};

// Every known and recorded migration with its state. Does not refuse a newer
// database (status is how an operator sees that); `database_version` says it.
[[nodiscard]] Result<SchemaReport> schema_report(Database &database);

// Fails (code "database_too_new") when the database has a version newer than
// this binary knows, naming both versions. Every command that uses the
// database calls this (or check_current) first.
[[nodiscard]] Status check_not_newer(Database &database);

// For `serve` and the readers: fails with "database_too_new" as above, or
// "migrations_pending" naming each pending migration (hint: run
// `rcommerce db migrate` or `serve --migrate`).
[[nodiscard]] Status check_current(Database &database);

using MigrationProgress = std::function<void(const Migration &)>;

// Applies pending migrations up to `to` (all when none), each in its own
// transaction, calling `on_applied` after each commit. Refuses a newer
// database, a modified applied migration, and a `to` the binary does not
// know. Returns what it applied (empty: nothing pending). A failing migration
// stops the run and is reported with its version and name; the ones before it
// stay applied. `serve --migrate` calls this with no target.
[[nodiscard]] Result<std::vector<Migration>> migrate(Database &database,
                                                     std::optional<int64_t> to = std::nullopt,
                                                     const MigrationProgress &on_applied = {});

// Runs the down scripts of the last `steps` applied migrations, newest first,
// each in its own transaction. Refuses a newer database and a modified
// migration (its down script may not match what was applied).
[[nodiscard]] Result<std::vector<Migration>> rollback(Database &database, int64_t steps,
                                                      const MigrationProgress &on_rolled_back = {});

enum class PendingMigrations {
    refuse, // `serve`: fail naming them
    apply,  // `serve --migrate`: apply them first
};

// What `serve` calls before listening: refuses a database newer than the
// binary or with modified migrations; with pending migrations either refuses
// naming them (check_current's error) or applies them (migrate()'s result).
// Returns the migrations it applied.
[[nodiscard]] Result<std::vector<Migration>> prepare_schema(Database &database,
                                                            PendingMigrations pending);

namespace detail {
struct EmbeddedMigration {
    int64_t version;
    const char *name;
    const char *up_sql;
    const char *down_sql;
};
// Generated at build time from core/store/migrations/.
std::span<const EmbeddedMigration> embedded_migrations();
} // namespace detail

} // namespace rcommerce::store
