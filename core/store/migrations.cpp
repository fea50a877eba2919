#include "core/store/migrations.hpp"

#include "core/crypto/crypto.hpp"
#include "core/util/strings.hpp"
#include "core/util/time.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace rcommerce::store {
namespace {

std::string checksum_of(std::string_view up_sql, std::string_view down_sql)
{
    std::string text(up_sql);
    text += '\0';
    text += down_sql;
    return crypto::to_hex(crypto::sha256(text));
}

std::string label(int64_t version, std::string_view name)
{
    std::string number = std::to_string(version);
    if (number.size() < 4) {
        number.insert(0, 4 - number.size(), '0');
    }
    return number + "_" + std::string(name);
}

Error extra_error(const std::filesystem::path &where, std::string why)
{
    return make_error(ErrorKind::validation, "invalid_migrations",
                      "reading migrations " + where.string(), std::move(why));
}

std::optional<std::string> read_file(const std::filesystem::path &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// NNNN_name.up.sql -> (NNNN, name); anything else -> none.
std::optional<std::pair<int64_t, std::string>> parse_up_name(const std::string &file)
{
    constexpr std::string_view suffix = ".up.sql";
    if (file.size() <= 5 + suffix.size() || !file.ends_with(suffix) || file[4] != '_') {
        return std::nullopt;
    }
    auto version = util::parse_int64(std::string_view(file).substr(0, 4));
    if (!version || *version <= 0 || !std::isdigit(static_cast<unsigned char>(file[0]))) {
        return std::nullopt;
    }
    return std::pair{*version, file.substr(5, file.size() - 5 - suffix.size())};
}

Result<std::vector<Migration>> read_extra(const std::filesystem::path &folder)
{
    std::vector<Migration> out;
    std::error_code ec;
    std::filesystem::directory_iterator it(folder, ec);
    if (ec) {
        return extra_error(folder, ec.message());
    }
    for (const auto &entry : it) {
        auto file = entry.path().filename().string();
        if (!file.ends_with(".sql") || file.ends_with(".down.sql")) {
            continue;
        }
        auto parsed = parse_up_name(file);
        if (!parsed) {
            return extra_error(entry.path(), "expected NNNN_name.up.sql");
        }
        auto down_path = folder / (label(parsed->first, parsed->second) + ".down.sql");
        auto up = read_file(entry.path());
        auto down = read_file(down_path);
        if (!up || !down) {
            return extra_error(!up ? entry.path() : down_path, "cannot read the file");
        }
        out.push_back({parsed->first, parsed->second, *up, *down, checksum_of(*up, *down)});
    }
    return out;
}

} // namespace

std::string_view to_string(MigrationState state)
{
    switch (state) {
    case MigrationState::applied:
        return "applied";
    case MigrationState::pending:
        return "pending";
    case MigrationState::modified:
        return "modified";
    case MigrationState::unknown:
        return "unknown";
    }
    return "unknown";
}

Result<std::vector<Migration>> known_migrations()
{
    std::vector<Migration> out;
    for (const auto &embedded : detail::embedded_migrations()) {
        out.push_back({embedded.version, embedded.name, embedded.up_sql, embedded.down_sql,
                       checksum_of(embedded.up_sql, embedded.down_sql)});
    }
    if (const char *extra = std::getenv(k_extra_migrations_env); extra && *extra) {
        auto more = read_extra(extra);
        if (!more) {
            return more.error();
        }
        out.insert(out.end(), more->begin(), more->end());
    }
    std::sort(out.begin(), out.end(),
              [](const auto &a, const auto &b) { return a.version < b.version; });
    for (size_t i = 1; i < out.size(); ++i) {
        if (out[i].version == out[i - 1].version) {
            return extra_error(std::getenv(k_extra_migrations_env),
                               "migration version " + std::to_string(out[i].version) +
                                   " appears twice");
        }
    }
    return out;
}

bool SchemaReport::any(MigrationState state) const
{
    return std::any_of(migrations.begin(), migrations.end(),
                       [state](const auto &m) { return m.state == state; });
}

namespace {

struct AppliedRow {
    std::string name;
    std::string checksum;
    std::string applied_at;
};

constexpr const char *k_create_table = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
))sql";

std::map<int64_t, AppliedRow> read_applied(Connection &connection)
{
    std::map<int64_t, AppliedRow> applied;
    auto exists = connection.query_integer(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
    if (exists.value_or(0) == 0) {
        return applied;
    }
    // Rails, golang-migrate, dbmate and others keep a table of this name too;
    // theirs lacks our columns, and SQLite's "no such column: name" would not
    // tell the operator that database.url names another program's file.
    auto ours =
        connection.query_integer("SELECT count(*) FROM pragma_table_info('schema_migrations') "
                                 "WHERE name IN ('version', 'name', 'checksum', 'applied_at')");
    if (ours.value_or(0) != 4) {
        throw ErrorException(make_error(
            ErrorKind::validation, "foreign_database", "checking the database schema",
            "its schema_migrations table is not rcommerce's (it lacks the name, checksum or "
            "applied_at column): the file belongs to another program",
            "point database.url at rcommerce's own database, or at a new file"));
    }
    connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations",
                     [&](const Row &row) {
                         applied[row.integer(0)] = {row.text(1), row.text(2), row.text(3)};
                     });
    return applied;
}

// Tables in a database that has never been migrated: another program's
// data, which the first migration must not be mixed into (the operator most
// likely pointed database.url at the wrong file).
std::vector<std::string> foreign_tables(Connection &connection)
{
    std::vector<std::string> names;
    connection.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                     "'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_migrations' ORDER BY name",
                     [&](const Row &row) { names.push_back(row.text(0)); });
    return names;
}

SchemaReport build_report(const std::vector<Migration> &known,
                          const std::map<int64_t, AppliedRow> &applied)
{
    SchemaReport report;
    report.binary_version = known.empty() ? 0 : known.back().version;
    report.database_version = applied.empty() ? 0 : applied.rbegin()->first;
    std::map<int64_t, MigrationStatus> rows;
    for (const auto &m : known) {
        rows[m.version] = {m.version, m.name, MigrationState::pending, "", m.checksum, ""};
    }
    for (const auto &[version, row] : applied) {
        auto &status = rows[version];
        if (status.checksum.empty()) {
            status = {version, row.name, MigrationState::unknown, row.applied_at, "", row.checksum};
            continue;
        }
        status.applied_at = row.applied_at;
        status.applied_checksum = row.checksum;
        status.state =
            status.checksum == row.checksum ? MigrationState::applied : MigrationState::modified;
    }
    for (auto &[version, status] : rows) {
        report.migrations.push_back(std::move(status));
    }
    return report;
}

Status newer_check(const SchemaReport &report)
{
    if (report.database_version <= report.binary_version) {
        return ok_status();
    }
    return make_error(
        ErrorKind::validation, "database_too_new", "checking the database schema",
        "the database is at schema version " + std::to_string(report.database_version) +
            " but this rcommerce knows versions up to " + std::to_string(report.binary_version),
        "run a newer rcommerce, or restore a backup made for this version");
}

Status modified_check(const SchemaReport &report)
{
    std::string names;
    for (const auto &m : report.migrations) {
        if (m.state == MigrationState::modified) {
            names += (names.empty() ? "" : ", ") + label(m.version, m.name);
        }
    }
    if (names.empty()) {
        return ok_status();
    }
    return make_error(ErrorKind::conflict, "migrations_modified", "checking the database schema",
                      "applied migrations differ from this binary's: " + names,
                      "`rcommerce db status` lists them; a migration must not change once "
                      "applied, add a new one instead");
}

Error lock_error(const DatabaseError &e)
{
    auto error = e.error();
    error.what = "taking the database write lock for migrations";
    error.hint = "another process (a second `rcommerce db migrate`, or `serve` writing) held it "
                 "for " +
                 std::to_string(k_migration_lock_wait_ms / 1000) + " s; retry when it is done";
    return error;
}

// Raises the busy timeout for the duration of a migration run, so that a
// second migrator waits for the first instead of failing at once.
class PatientConnection {
public:
    explicit PatientConnection(Connection &connection)
        : m_connection(connection), m_saved(connection.busy_timeout())
    {
        m_connection.set_busy_timeout(std::max(m_saved, k_migration_lock_wait_ms));
    }
    ~PatientConnection() { m_connection.set_busy_timeout(m_saved); }
    PatientConnection(const PatientConnection &) = delete;
    PatientConnection &operator=(const PatientConnection &) = delete;

private:
    Connection &m_connection;
    int64_t m_saved;
};

// Begins the write transaction of one migration step, or explains the lock.
Result<std::unique_ptr<Transaction>> begin_step(Connection &connection)
{
    try {
        return std::make_unique<Transaction>(connection);
    } catch (const DatabaseError &e) {
        if (e.failure() == Failure::busy) {
            return lock_error(e);
        }
        throw;
    }
}

Error step_error(const DatabaseError &e, std::string_view doing, const Migration &m)
{
    auto error = e.error();
    error.what = std::string(doing) + " migration " + label(m.version, m.name);
    if (error.hint.empty()) {
        error.hint = "the database is left at the previous version; fix the migration and retry";
    }
    return error;
}

} // namespace

Result<SchemaReport> schema_report(Database &database)
{
    auto known = known_migrations();
    if (!known) {
        return known.error();
    }
    auto lease = database.connection();
    return build_report(*known, read_applied(*lease));
}

Status check_not_newer(Database &database)
{
    auto report = schema_report(database);
    if (!report) {
        return report.error();
    }
    return newer_check(*report);
}

Status check_current(Database &database)
{
    auto report = schema_report(database);
    if (!report) {
        return report.error();
    }
    if (auto newer = newer_check(*report); !newer) {
        return newer;
    }
    if (auto modified = modified_check(*report); !modified) {
        return modified;
    }
    std::string pending;
    for (const auto &m : report->migrations) {
        if (m.state == MigrationState::pending) {
            pending += (pending.empty() ? "" : ", ") + label(m.version, m.name);
        }
    }
    if (pending.empty()) {
        return ok_status();
    }
    return make_error(ErrorKind::validation, "migrations_pending", "checking the database schema",
                      "migrations not yet applied: " + pending,
                      "run `rcommerce db migrate`, or start with `rcommerce serve --migrate`");
}

Result<std::vector<Migration>> migrate(Database &database, std::optional<int64_t> to,
                                       const MigrationProgress &on_applied)
{
    auto known = known_migrations();
    if (!known) {
        return known.error();
    }
    int64_t target = to.value_or(known->empty() ? 0 : known->back().version);
    if (to && *to != 0 && std::none_of(known->begin(), known->end(), [&](const auto &m) {
            return m.version == *to;
        })) {
        return make_error(ErrorKind::validation, "unknown_migration", "db migrate --to",
                          "this rcommerce has no migration " + std::to_string(*to),
                          "`rcommerce db status` lists the known versions");
    }

    auto lease = database.connection();
    PatientConnection patient(*lease);
    if (to && *to == 0 && !read_applied(*lease).empty()) {
        return make_error(ErrorKind::validation, "migrate_backwards", "db migrate --to 0",
                          "migrate only applies migrations",
                          "use `rcommerce db rollback --steps N` to go back");
    }
    if (read_applied(*lease).empty()) {
        if (auto foreign = foreign_tables(*lease); !foreign.empty()) {
            std::string listed;
            for (size_t i = 0; i < foreign.size() && i < 5; ++i) {
                listed += (i == 0 ? "" : ", ") + foreign[i];
            }
            return make_error(ErrorKind::validation, "foreign_database",
                              "migrating " + database.path().string(),
                              "the file holds tables rcommerce did not create (" + listed +
                                  (foreign.size() > 5 ? ", ..." : "") +
                                  ") and no migration was ever applied to it",
                              "point database.url at a new file or at rcommerce's own database");
        }
    }
    std::vector<Migration> done;
    for (const auto &m : *known) {
        if (m.version > target) {
            break;
        }
        auto transaction = begin_step(*lease);
        if (!transaction) {
            return transaction.error();
        }
        lease->execute_script(k_create_table);
        // Re-read under the lock: another migrator may have applied it meanwhile.
        auto report = build_report(*known, read_applied(*lease));
        if (auto newer = newer_check(report); !newer) {
            return newer.error();
        }
        if (auto modified = modified_check(report); !modified) {
            return modified.error();
        }
        if (to && report.database_version > *to) {
            return make_error(ErrorKind::validation, "migrate_backwards", "db migrate --to",
                              "the database is already at version " +
                                  std::to_string(report.database_version),
                              "use `rcommerce db rollback --steps N` to go back");
        }
        auto it = std::find_if(report.migrations.begin(), report.migrations.end(),
                               [&](const auto &s) { return s.version == m.version; });
        if (it != report.migrations.end() && it->state != MigrationState::pending) {
            continue;
        }
        try {
            lease->execute_script(m.up_sql);
            lease->execute("INSERT INTO schema_migrations (version, name, checksum, applied_at) "
                           "VALUES (?, ?, ?, ?)",
                           m.version, m.name, m.checksum, util::now_rfc3339_millis());
            (*transaction)->commit();
        } catch (const DatabaseError &e) {
            return step_error(e, "applying", m);
        }
        done.push_back(m);
        if (on_applied) {
            on_applied(m);
        }
    }
    return done;
}

Result<std::vector<Migration>> rollback(Database &database, int64_t steps,
                                        const MigrationProgress &on_rolled_back)
{
    auto known = known_migrations();
    if (!known) {
        return known.error();
    }
    auto lease = database.connection();
    PatientConnection patient(*lease);
    std::vector<Migration> done;
    for (int64_t step = 0; step < steps; ++step) {
        auto transaction = begin_step(*lease);
        if (!transaction) {
            return transaction.error();
        }
        auto applied = read_applied(*lease);
        auto report = build_report(*known, applied);
        if (auto newer = newer_check(report); !newer) {
            return newer.error();
        }
        if (applied.empty()) {
            break;
        }
        int64_t version = applied.rbegin()->first;
        auto it = std::find_if(known->begin(), known->end(),
                               [&](const auto &m) { return m.version == version; });
        if (it == known->end() || it->checksum != applied.rbegin()->second.checksum) {
            return make_error(ErrorKind::conflict, "migrations_modified",
                              "rolling back migration " +
                                  label(version, applied.rbegin()->second.name),
                              "its recorded checksum differs from this binary's, so its down "
                              "script may not undo what was applied",
                              "restore a backup, or roll back with the binary that applied it");
        }
        try {
            lease->execute_script(it->down_sql);
            lease->execute("DELETE FROM schema_migrations WHERE version = ?", version);
            (*transaction)->commit();
        } catch (const DatabaseError &e) {
            return step_error(e, "rolling back", *it);
        }
        done.push_back(*it);
        if (on_rolled_back) {
            on_rolled_back(*it);
        }
    }
    return done;
}

Result<std::vector<Migration>> prepare_schema(Database &database, PendingMigrations pending)
{
    if (pending == PendingMigrations::apply) {
        return migrate(database);
    }
    if (auto current = check_current(database); !current) {
        return current.error();
    }
    return std::vector<Migration>{};
}

} // namespace rcommerce::store
