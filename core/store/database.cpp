#include "core/store/database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <system_error>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace rcommerce::store {

Failure failure_for_code(int sqlite_extended_code)
{
    switch (sqlite_extended_code & 0xff) {
    case SQLITE_CONSTRAINT:
        return Failure::constraint;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return Failure::busy;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return Failure::read_only;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return Failure::corrupt;
    case SQLITE_FULL:
        return Failure::full;
    default:
        return Failure::other;
    }
}

namespace {

struct FailureInfo {
    ErrorKind kind;
    const char *code;
    const char *hint;
};

FailureInfo info_for(Failure failure)
{
    switch (failure) {
    case Failure::constraint:
        return {ErrorKind::conflict, "constraint_violation", ""};
    case Failure::busy:
        return {ErrorKind::unavailable, "database_busy",
                "another process holds the write lock; retry, or raise database.busy_timeout_ms"};
    case Failure::read_only:
        return {ErrorKind::unavailable, "database_read_only",
                "check the permissions of the database file and its folder"};
    case Failure::corrupt:
        return {ErrorKind::internal, "database_corrupt",
                "the file is damaged or not an rcommerce SQLite database; restore a backup"};
    case Failure::full:
        return {ErrorKind::unavailable, "disk_full", "free space on the database's disk"};
    case Failure::other:
        break;
    }
    return {ErrorKind::internal, "database_error", ""};
}

std::string shorten(std::string_view sql)
{
    std::string out;
    for (char ch : sql) {
        if (ch == '\n' || ch == '\t' || ch == '\r') {
            ch = ' ';
        }
        if (ch == ' ' && (out.empty() || out.back() == ' ')) {
            continue;
        }
        out += ch;
        if (out.size() >= 80) {
            out += "...";
            break;
        }
    }
    return out;
}

[[noreturn]] void raise(int extended_code, std::string_view message, std::string_view sql)
{
    auto failure = failure_for_code(extended_code);
    auto info = info_for(failure);
    std::string what = sql.empty() ? "database" : "running SQL \"" + shorten(sql) + "\"";
    throw DatabaseError(failure,
                        make_error(info.kind, info.code, what, std::string(message), info.hint),
                        extended_code);
}

[[noreturn]] void raise(const SQLite::Exception &e, std::string_view sql)
{
    int code = e.getExtendedErrorCode();
    if (code <= 0) {
        code = e.getErrorCode();
    }
    raise(code, e.what(), sql);
}

} // namespace

// ---------------------------------------------------------------- Connection

// Compiled statements kept per connection, keyed by their SQL text. Parsing
// and planning a statement costs more than running a point query on it
// (measured: sqlite3_prepare_v2 was a third of the CPU of
// GET /api/v1/products/{id}), so prepare() hands out an idle compiled copy
// when there is one and a Statement gives its handle back, reset, when it
// is destroyed. A multimap, so a statement nested inside a loop over the
// same SQL gets its own handle. Statements compiled with sqlite3_prepare_v2
// re-compile themselves after a schema change, so a cached one never runs a
// stale plan.
constexpr size_t k_max_cached_statements = 128;

struct Connection::Impl {
    SQLite::Database database;
    int64_t busy_timeout_ms = 0;
    std::unordered_multimap<std::string, sqlite3_stmt *> idle_statements;

    Impl(SQLite::Database db, int64_t busy_timeout)
        : database(std::move(db)), busy_timeout_ms(busy_timeout)
    {
    }
    Impl(const Impl &) = delete;
    Impl &operator=(const Impl &) = delete;
    // Before `database` closes: SQLite refuses to close with live statements.
    ~Impl()
    {
        for (auto &[sql, statement] : idle_statements) {
            sqlite3_finalize(statement);
        }
    }

    void give_back(std::string sql, sqlite3_stmt *statement)
    {
        // reset() ends the statement's read transaction; the bindings go too,
        // so no bound text outlives its request.
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
        if (idle_statements.size() >= k_max_cached_statements) {
            // Full: drop whichever comes first in hash order, so a changing
            // mix of SQL still gets cached instead of the first 128 forever.
            auto victim = idle_statements.begin();
            sqlite3_finalize(victim->second);
            idle_statements.erase(victim);
        }
        idle_statements.emplace(std::move(sql), statement);
    }
};

Connection::Connection(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Connection::~Connection() = default;

// Statements use the C API directly: SQLiteCpp 3.2 does not expose the
// statement handle, and its Column objects copy a shared_ptr per access, which
// shows in a million-row report.
struct Statement::Impl {
    sqlite3 *db = nullptr;
    sqlite3_stmt *statement = nullptr;
    std::string sql;
    Connection::Impl *connection = nullptr; // where the handle goes back

    ~Impl()
    {
        if (statement != nullptr && connection != nullptr) {
            connection->give_back(std::move(sql), statement);
        } else {
            sqlite3_finalize(statement);
        }
    }

    [[noreturn]] void fail() const { raise(sqlite3_extended_errcode(db), sqlite3_errmsg(db), sql); }
    void check(int rc) const
    {
        if (rc != SQLITE_OK) {
            fail();
        }
    }
    sqlite3_stmt *column_handle(int column) const
    {
        if (column < 0 || column >= sqlite3_column_count(statement)) {
            raise(SQLITE_RANGE, "column " + std::to_string(column) + " out of range", sql);
        }
        return statement;
    }
    int index_of(std::string_view name) const
    {
        int index = sqlite3_bind_parameter_index(statement, std::string(name).c_str());
        if (index == 0) {
            raise(SQLITE_RANGE, "no parameter named " + std::string(name), sql);
        }
        return index;
    }
};

Statement::Statement(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Statement::Statement(Statement &&) noexcept = default;
Statement &Statement::operator=(Statement &&) noexcept = default;
Statement::~Statement() = default;

Statement Connection::prepare(std::string_view sql)
{
    auto impl = std::make_unique<Statement::Impl>();
    impl->db = m_impl->database.getHandle();
    impl->sql = std::string(sql);
    if (auto cached = m_impl->idle_statements.find(impl->sql);
        cached != m_impl->idle_statements.end()) {
        impl->statement = cached->second;
        impl->connection = m_impl.get();
        m_impl->idle_statements.erase(cached);
        return Statement(std::move(impl));
    }
    const char *tail = nullptr;
    // PERSISTENT: tells SQLite the statement is kept and reused, so it does
    // not take its memory from the small lookaside pool.
    int rc = sqlite3_prepare_v3(impl->db, impl->sql.c_str(), static_cast<int>(impl->sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &impl->statement, &tail);
    impl->check(rc);
    if (impl->statement == nullptr) {
        raise(SQLITE_MISUSE, "no SQL statement in the text", sql);
    }
    impl->connection = m_impl.get();
    return Statement(std::move(impl));
}

void Connection::execute_script(std::string_view sql)
{
    try {
        m_impl->database.exec(std::string(sql));
    } catch (const SQLite::Exception &e) {
        raise(e, sql);
    }
}

int64_t Connection::last_insert_id() const
{
    return m_impl->database.getLastInsertRowid();
}

int64_t Connection::changes() const
{
    return sqlite3_changes(m_impl->database.getHandle());
}

bool Connection::in_transaction() const
{
    return sqlite3_get_autocommit(m_impl->database.getHandle()) == 0;
}

void Connection::set_busy_timeout(int64_t milliseconds)
{
    m_impl->database.setBusyTimeout(static_cast<int>(milliseconds));
    m_impl->busy_timeout_ms = milliseconds;
}

int64_t Connection::busy_timeout() const
{
    return m_impl->busy_timeout_ms;
}

// ----------------------------------------------------------------- Statement

Statement &Statement::bind(int index, int64_t value)
{
    m_impl->check(sqlite3_bind_int64(m_impl->statement, index, value));
    return *this;
}

Statement &Statement::bind(int index, double value)
{
    m_impl->check(sqlite3_bind_double(m_impl->statement, index, value));
    return *this;
}

Statement &Statement::bind(int index, std::string_view value)
{
    // SQLITE_TRANSIENT: SQLite copies, so the caller's buffer may go away.
    m_impl->check(sqlite3_bind_text(m_impl->statement, index, value.data(),
                                    static_cast<int>(value.size()), SQLITE_TRANSIENT));
    return *this;
}

Statement &Statement::bind(int index, Null)
{
    m_impl->check(sqlite3_bind_null(m_impl->statement, index));
    return *this;
}

Statement &Statement::bind(std::string_view name, int64_t value)
{
    return bind(m_impl->index_of(name), value);
}

Statement &Statement::bind(std::string_view name, std::string_view value)
{
    return bind(m_impl->index_of(name), value);
}

Statement &Statement::bind(std::string_view name, Null)
{
    return bind(m_impl->index_of(name), null);
}

bool Statement::step()
{
    int rc = sqlite3_step(m_impl->statement);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    // The statement must be reset before it can run again; keep the error.
    int code = sqlite3_extended_errcode(m_impl->db);
    std::string message = sqlite3_errmsg(m_impl->db);
    sqlite3_reset(m_impl->statement);
    raise(code, message, m_impl->sql);
}

Row Statement::row() const
{
    return Row(this);
}

int64_t Statement::execute()
{
    while (step()) {
    }
    return sqlite3_changes(m_impl->db);
}

void Statement::for_each(const std::function<void(const Row &)> &on_row)
{
    Row current(this);
    while (step()) {
        on_row(current);
    }
}

void Statement::reset()
{
    sqlite3_reset(m_impl->statement);
    sqlite3_clear_bindings(m_impl->statement);
}

std::string Statement::sql() const
{
    return m_impl->sql;
}

// ----------------------------------------------------------------------- Row

int64_t Row::integer(int column) const
{
    return sqlite3_column_int64(m_statement->m_impl->column_handle(column), column);
}

double Row::real(int column) const
{
    return sqlite3_column_double(m_statement->m_impl->column_handle(column), column);
}

std::string_view Row::text_view(int column) const
{
    auto *handle = m_statement->m_impl->column_handle(column);
    const auto *text = sqlite3_column_text(handle, column);
    if (text == nullptr) {
        return {};
    }
    return {reinterpret_cast<const char *>(text),
            static_cast<size_t>(sqlite3_column_bytes(handle, column))};
}

std::string Row::text(int column) const
{
    return std::string(text_view(column));
}

bool Row::is_null(int column) const
{
    return sqlite3_column_type(m_statement->m_impl->column_handle(column), column) == SQLITE_NULL;
}

std::optional<int64_t> Row::optional_integer(int column) const
{
    if (is_null(column)) {
        return std::nullopt;
    }
    return integer(column);
}

std::optional<std::string> Row::optional_text(int column) const
{
    if (is_null(column)) {
        return std::nullopt;
    }
    return text(column);
}

int Row::column_count() const
{
    return sqlite3_column_count(m_statement->m_impl->statement);
}

std::string Row::column_name(int column) const
{
    return sqlite3_column_name(m_statement->m_impl->column_handle(column), column);
}

// --------------------------------------------------------------- Transaction

// BEGIN, COMMIT and ROLLBACK go through prepare() like any statement, so
// they come from the connection's cache instead of being parsed each time.
Transaction::Transaction(Connection &connection, TransactionMode mode) : m_connection(connection)
{
    m_connection.prepare(mode == TransactionMode::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        .execute();
}

Transaction::~Transaction()
{
    if (m_open) {
        try {
            rollback();
        } catch (...) {
            // A destructor cannot report; the connection is left as SQLite left it.
        }
    }
}

void Transaction::commit()
{
    m_connection.prepare("COMMIT").execute();
    m_open = false;
}

void Transaction::rollback()
{
    m_open = false;
    // SQLite may already have rolled back on its own (disk full, I/O error).
    if (m_connection.in_transaction()) {
        m_connection.prepare("ROLLBACK").execute();
    }
}

// ------------------------------------------------------------------ Database

struct Database::Impl {
    OpenOptions options;
    std::mutex mutex;
    std::condition_variable returned;
    std::vector<std::unique_ptr<Connection>> all;
    std::vector<Connection *> idle;
};

namespace {

Error open_error(const std::filesystem::path &path, std::string why, std::string hint)
{
    return make_error(ErrorKind::validation, "database_open_failed",
                      "opening database " + path.string(), std::move(why), std::move(hint));
}

} // namespace

Result<std::unique_ptr<Database>> Database::open(const config::DatabaseConfig &config,
                                                 OpenMode mode)
{
    auto path = config::sqlite_path(config.url);
    if (!path) {
        return path.error();
    }
    OpenOptions options;
    options.path = *path;
    options.synchronous_full = config.synchronous == "full";
    options.busy_timeout_ms = config.busy_timeout_ms;
    options.pool_size = config.pool_size;
    options.mode = mode;
    return open(options);
}

namespace {

// Checks the operator can act on before SQLite's terse "unable to open".
std::optional<Error> check_path(const OpenOptions &options)
{
    const auto &path = options.path;
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    bool exists = std::filesystem::exists(status);
    if (exists && std::filesystem::is_directory(status)) {
        return open_error(path, "it is a directory", "database.url must name a file");
    }
    auto folder = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    if (!exists && options.mode != OpenMode::create) {
        // `db migrate` creates the file but never its folder, so say so first.
        return open_error(path, "the file does not exist",
                          std::filesystem::is_directory(folder, ec)
                              ? "run `rcommerce db migrate` (or `rcommerce serve --migrate`) to "
                                "create it, or check database.url"
                              : "its folder " + folder.string() +
                                    " does not exist either: create it (mkdir -p), then run "
                                    "`rcommerce db migrate`, or check database.url");
    }
    if (!exists && !std::filesystem::is_directory(folder, ec)) {
        return open_error(path, "the folder " + folder.string() + " does not exist",
                          "create it, or change database.url");
    }
    if (options.mode != OpenMode::read_only) {
        if (!exists && ::access(folder.c_str(), W_OK) != 0) {
            return open_error(path, "the folder " + folder.string() + " is not writable",
                              "fix its permissions, or change database.url");
        }
        if (exists && ::access(path.c_str(), W_OK) != 0) {
            return open_error(path, "the file is not writable",
                              "fix its permissions, or change database.url");
        }
    }
    return std::nullopt;
}

} // namespace

Result<std::unique_ptr<Database>> Database::open(const OpenOptions &options)
{
    if (auto problem = check_path(options)) {
        return *problem;
    }
    std::unique_ptr<Connection> first;
    try {
        first = connect(options, true);
    } catch (const DatabaseError &e) {
        auto error = e.error();
        if (e.failure() == Failure::corrupt || e.failure() == Failure::read_only) {
            error.kind = ErrorKind::validation;
            error.code = "database_open_failed";
        }
        error.what = "opening database " + options.path.string();
        int code = e.sqlite_code();
        if (code == SQLITE_NOTADB) {
            error.why = "not a SQLite database (" + error.why + ")";
            error.hint = "database.url must name an rcommerce SQLite file";
        } else if (e.failure() == Failure::corrupt) {
            // An SQLite file that is damaged (truncated by a full disk, a
            // copy taken mid-write): pointing at another file would not help.
            error.why = "the SQLite file is damaged (" + error.why + ")";
            error.hint = "restore it from a backup; `sqlite3 FILE .recover` salvages what is "
                         "still readable into a new file";
        } else if (options.mode == OpenMode::read_only &&
                   (code == SQLITE_READONLY_DIRECTORY || code == SQLITE_READONLY_CANTINIT)) {
            // SQLite's own message ("attempt to write a readonly database")
            // puzzles an operator who only asked to read.
            auto folder = options.path.parent_path().empty() ? std::filesystem::path(".")
                                                             : options.path.parent_path();
            error.why = "reading a WAL-mode database needs its -shm file, which this user "
                        "cannot create because the folder " +
                        folder.string() + " is not writable for it (" + error.why + ")";
            error.hint = "give this user write access to the folder (nothing is written to the "
                         "database), or run as the user that owns the database";
        }
        return error;
    }
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->idle.push_back(first.get());
    impl->all.push_back(std::move(first));
    return std::unique_ptr<Database>(new Database(std::move(impl)));
}

std::unique_ptr<Connection> Database::connect(const OpenOptions &options, bool first)
{
    int flags = options.mode == OpenMode::read_only
                    ? SQLite::OPEN_READONLY
                    : (SQLite::OPEN_READWRITE |
                       (options.mode == OpenMode::create ? SQLite::OPEN_CREATE : 0));
    flags |= SQLITE_OPEN_NOMUTEX; // one thread at a time per connection, by the lease
    try {
        auto impl = std::unique_ptr<Connection::Impl>(
            new Connection::Impl(SQLite::Database(options.path.string(), flags,
                                                  static_cast<int>(options.busy_timeout_ms)),
                                 options.busy_timeout_ms));
        auto &db = impl->database;
        // Touch the file: SQLite reads the header lazily, and a non-database
        // must be reported now, not at the first query.
        db.exec("SELECT count(*) FROM sqlite_master");
        if (first && options.mode != OpenMode::read_only) {
            db.exec("PRAGMA journal_mode = WAL");
        }
        db.exec("PRAGMA foreign_keys = ON");
        db.exec(options.synchronous_full ? "PRAGMA synchronous = FULL"
                                         : "PRAGMA synchronous = NORMAL");
        return std::unique_ptr<Connection>(new Connection(std::move(impl)));
    } catch (const SQLite::Exception &e) {
        raise(e, "");
    }
}

Database::Database(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Database::~Database() = default;

ConnectionLease Database::connection()
{
    std::unique_lock lock(m_impl->mutex);
    if (m_impl->idle.empty() &&
        static_cast<int64_t>(m_impl->all.size()) < m_impl->options.pool_size) {
        m_impl->all.push_back(connect(m_impl->options, false));
        return ConnectionLease(this, m_impl->all.back().get());
    }
    m_impl->returned.wait(lock, [this] { return !m_impl->idle.empty(); });
    auto *connection = m_impl->idle.back();
    m_impl->idle.pop_back();
    return ConnectionLease(this, connection);
}

void Database::give_back(Connection *connection)
{
    // A transaction left open by an exception path must not leak to the next user.
    if (connection->in_transaction()) {
        try {
            connection->execute_script("ROLLBACK");
        } catch (...) {
        }
    }
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->idle.push_back(connection);
    }
    m_impl->returned.notify_one();
}

const std::filesystem::path &Database::path() const
{
    return m_impl->options.path;
}

bool Database::read_only() const
{
    return m_impl->options.mode == OpenMode::read_only;
}

ConnectionLease::ConnectionLease(ConnectionLease &&other) noexcept
    : m_database(other.m_database), m_connection(other.m_connection)
{
    other.m_database = nullptr;
    other.m_connection = nullptr;
}

ConnectionLease::~ConnectionLease()
{
    if (m_database != nullptr && m_connection != nullptr) {
        m_database->give_back(m_connection);
    }
}

} // namespace rcommerce::store
