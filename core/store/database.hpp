// The store: one SQLite file reached through types that do not expose SQLite.
//
// A Database owns a small pool of connections to the file named by
// `[database] url`. Each connection is set up the same way: WAL journal,
// foreign_keys=ON, the configured busy timeout, and synchronous=NORMAL or FULL.
// Code borrows a connection with `Database::connection()` (a lease returned to
// the pool when it goes out of scope), prepares statements on it, and wraps
// writes that must be atomic in a `Transaction` (BEGIN IMMEDIATE, rolled back
// unless committed).
//
// Durability: in WAL mode synchronous=NORMAL fsyncs only at checkpoints, so a
// power loss or OS crash may lose the last few committed transactions but never
// corrupts the file or leaves half a transaction; a crash of rcommerce alone
// (kill -9) loses nothing committed. synchronous=FULL fsyncs the WAL on every
// commit: a commit acknowledged is on disk, at the cost of one fsync per write.
//
// Failures: every SQLite error surfaces as a `DatabaseError` (an
// ErrorException, so the CLI prints it and the HTTP layer can map its
// ErrorKind) whose `failure()` tells a constraint violation (ErrorKind
// conflict, answer 409) from a busy/locked database (ErrorKind unavailable,
// answer 503 or retry) from anything else (ErrorKind internal). Opening
// problems (bad URL, unwritable folder, not a database) are returned as
// `Result` errors instead, since they are expected operator mistakes.
//
// Threads: a Database is shared by all threads; a Connection and its
// Statements belong to one thread at a time (the one holding the lease). Do not
// borrow a second connection while holding one on the same thread: with every
// connection leased this would wait forever.
#pragma once

#include "core/config/config.hpp"
#include "core/util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace rcommerce::store {

// What went wrong in a statement, coarse enough for callers to act on.
enum class Failure {
    constraint, // UNIQUE, CHECK, FOREIGN KEY, NOT NULL or a trigger's RAISE(ABORT)
    busy,       // the busy timeout expired waiting for another writer (BUSY/LOCKED)
    read_only,  // the file or its folder is not writable
    corrupt,    // the file is damaged or not a database
    full,       // disk full
    other,      // anything else: SQL error, misuse, I/O
};

class DatabaseError : public ErrorException {
public:
    DatabaseError(Failure failure, Error error, int sqlite_code)
        : ErrorException(std::move(error)), m_failure(failure), m_sqlite_code(sqlite_code)
    {
    }
    [[nodiscard]] Failure failure() const noexcept { return m_failure; }
    // The extended SQLite result code. Outside core/store/ it is for logs
    // only: branch on failure(); Database::open uses it to word its errors.
    [[nodiscard]] int sqlite_code() const noexcept { return m_sqlite_code; }

private:
    Failure m_failure;
    int m_sqlite_code;
};

class Statement;

// One result row during a step or a for_each callback. Columns are 0-based.
// Text is copied out; a Row is only valid until the statement steps again.
class Row {
public:
    [[nodiscard]] int64_t integer(int column) const;
    [[nodiscard]] double real(int column) const;
    [[nodiscard]] std::string text(int column) const;
    // No copy: valid until the statement steps again.
    [[nodiscard]] std::string_view text_view(int column) const;
    [[nodiscard]] bool is_null(int column) const;
    [[nodiscard]] std::optional<int64_t> optional_integer(int column) const;
    [[nodiscard]] std::optional<std::string> optional_text(int column) const;
    [[nodiscard]] int column_count() const;
    [[nodiscard]] std::string column_name(int column) const;

private:
    friend class Statement;
    explicit Row(const Statement *statement) : m_statement(statement) {}
    const Statement *m_statement;
};

// A NULL to bind: `statement.bind(3, store::null)`.
struct Null {};
inline constexpr Null null{};

// A prepared statement. Parameters are 1-based (`?` or `?NNN`) or named
// (`:name`). Prepare once and reuse with reset() in loops; that is what makes
// bulk inserts fast. A Statement must be destroyed before the lease of the
// connection that prepared it ends.
class Statement {
public:
    Statement(Statement &&) noexcept;
    Statement &operator=(Statement &&) noexcept;
    ~Statement();

    Statement &bind(int index, int64_t value);
    Statement &bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
    Statement &bind(int index, double value);
    Statement &bind(int index, std::string_view value); // copied
    Statement &bind(int index, const char *value) { return bind(index, std::string_view(value)); }
    Statement &bind(int index, const std::string &value)
    {
        return bind(index, std::string_view(value));
    }
    Statement &bind(int index, bool value) { return bind(index, static_cast<int64_t>(value)); }
    Statement &bind(int index, Null);
    template <typename T> Statement &bind(int index, const std::optional<T> &value)
    {
        return value ? bind(index, *value) : bind(index, null);
    }
    Statement &bind(std::string_view name, int64_t value);
    Statement &bind(std::string_view name, std::string_view value);
    Statement &bind(std::string_view name, Null);

    // Binds each argument in order to parameters 1, 2, ...
    template <typename... Args> Statement &bind_all(const Args &...args)
    {
        int index = 0;
        (bind(++index, args), ...);
        return *this;
    }

    // Runs one step. True when a row is available through row().
    [[nodiscard]] bool step();
    [[nodiscard]] Row row() const;

    // Runs a statement that returns no rows; returns the rows it changed.
    int64_t execute();

    // Streams every row to `on_row`, one at a time, in bounded memory: the
    // way to read a million rows. Exceptions from `on_row` propagate.
    void for_each(const std::function<void(const Row &)> &on_row);

    // Ready to run again; bindings are cleared too.
    void reset();

    [[nodiscard]] std::string sql() const;

private:
    friend class Connection;
    friend class Row;
    struct Impl;
    explicit Statement(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// One open connection. Borrowed from a Database (see ConnectionLease) or
// opened alone with Database-less helpers in tests.
class Connection {
public:
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;
    ~Connection();

    // Compiles one SQL statement. Throws DatabaseError on a syntax error.
    // Compiled statements are kept per connection (up to 128): preparing the
    // same text again reuses an idle one, reset and unbound, and a Statement
    // hands its handle back when destroyed. So preparing per call is cheap;
    // build SQL with `?` parameters, not with values pasted into the text.
    [[nodiscard]] Statement prepare(std::string_view sql);

    // Prepares, binds `args` in order and runs; returns the rows changed.
    template <typename... Args> int64_t execute(std::string_view sql, const Args &...args)
    {
        auto statement = prepare(sql);
        statement.bind_all(args...);
        return statement.execute();
    }

    // Prepares, binds and streams every row to `on_row`.
    template <typename... Args>
    void query(std::string_view sql, const std::function<void(const Row &)> &on_row,
               const Args &...args)
    {
        auto statement = prepare(sql);
        statement.bind_all(args...);
        statement.for_each(on_row);
    }

    // The first column of the first row as an integer, or none if no row or
    // NULL: `count(*)`, `max(version)`, an id lookup.
    template <typename... Args>
    [[nodiscard]] std::optional<int64_t> query_integer(std::string_view sql, const Args &...args)
    {
        auto statement = prepare(sql);
        statement.bind_all(args...);
        if (!statement.step()) {
            return std::nullopt;
        }
        return statement.row().optional_integer(0);
    }

    // Runs several ';'-separated statements with no parameters (DDL scripts).
    void execute_script(std::string_view sql);

    // The rowid of the last successful INSERT on this connection.
    [[nodiscard]] int64_t last_insert_id() const;
    // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    [[nodiscard]] int64_t changes() const;
    // True while a transaction is open on this connection.
    [[nodiscard]] bool in_transaction() const;

    // How long this connection waits for another writer's lock.
    void set_busy_timeout(int64_t milliseconds);
    [[nodiscard]] int64_t busy_timeout() const;

private:
    friend class Database;
    friend class Statement;
    struct Impl;
    explicit Connection(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

enum class TransactionMode {
    immediate, // takes the write lock now: use for every read-modify-write
    deferred,  // a consistent read snapshot; upgrades to write on first write
};

// RAII transaction: begins in the constructor, rolls back in the destructor
// unless commit() ran. BEGIN IMMEDIATE waits up to the busy timeout for the
// write lock and throws DatabaseError{Failure::busy} when it cannot get it.
class Transaction {
public:
    explicit Transaction(Connection &connection, TransactionMode mode = TransactionMode::immediate);
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;
    ~Transaction();

    void commit();
    // Explicit rollback (the destructor does it anyway).
    void rollback();

private:
    Connection &m_connection;
    bool m_open = true;
};

class Database;

// A connection borrowed from a Database; returned to the pool on destruction.
class ConnectionLease {
public:
    ConnectionLease(ConnectionLease &&other) noexcept;
    ConnectionLease &operator=(ConnectionLease &&) = delete;
    ~ConnectionLease();
    Connection &operator*() const { return *m_connection; }
    Connection *operator->() const { return m_connection; }

private:
    friend class Database;
    ConnectionLease(Database *database, Connection *connection)
        : m_database(database), m_connection(connection)
    {
    }
    Database *m_database;
    Connection *m_connection;
};

enum class OpenMode {
    create,    // create the file if missing (db migrate, serve)
    existing,  // the file must exist (reports, status)
    read_only, // must exist; no writes possible (inventory report while serving)
};

struct OpenOptions {
    std::filesystem::path path;
    bool synchronous_full = false;
    int64_t busy_timeout_ms = 5000;
    int64_t pool_size = 4;
    OpenMode mode = OpenMode::create;
};

class Database {
public:
    // Opens `[database] url`. Errors have kind validation (the CLI's exit 2:
    // the configuration points at something unusable), name the path and say
    // what to do: a bad URL, a missing file or folder, a folder or file that is
    // not writable, a file that is not SQLite.
    [[nodiscard]] static Result<std::unique_ptr<Database>>
    open(const config::DatabaseConfig &config, OpenMode mode = OpenMode::create);
    [[nodiscard]] static Result<std::unique_ptr<Database>> open(const OpenOptions &options);

    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;
    ~Database();

    // Borrows a connection, waiting while all pool_size are in use.
    [[nodiscard]] ConnectionLease connection();

    // Runs `work` on a borrowed connection inside a BEGIN IMMEDIATE
    // transaction, committing when it returns normally; an exception rolls
    // back and propagates.
    template <typename F> auto write(F &&work)
    {
        auto lease = connection();
        Transaction transaction(*lease);
        if constexpr (std::is_void_v<decltype(work(*lease))>) {
            work(*lease);
            transaction.commit();
        } else {
            auto result = work(*lease);
            transaction.commit();
            return result;
        }
    }

    [[nodiscard]] const std::filesystem::path &path() const;
    [[nodiscard]] bool read_only() const;

private:
    friend class ConnectionLease;
    struct Impl;
    explicit Database(std::unique_ptr<Impl> impl);
    static std::unique_ptr<Connection> connect(const OpenOptions &options, bool first);
    void give_back(Connection *connection);
    std::unique_ptr<Impl> m_impl;
};

// Maps a SQLite result code to a Failure (exposed for tests).
[[nodiscard]] Failure failure_for_code(int sqlite_extended_code);

} // namespace rcommerce::store
