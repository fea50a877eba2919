// Results for expected failures (validation, not found, conflict).
//
// Core code returns `Result<T>` where the caller is expected to handle the
// failure, and throws only for the unexpected (a broken invariant, an I/O
// error the caller cannot act on). Every Error carries what failed, why, and
// where useful a hint, so the one printer in cli/ can say all three.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace rcommerce {

// Stable machine-readable categories; the HTTP layer maps them to statuses and
// the CLI to exit codes, so a new code needs an entry in both mappings.
enum class ErrorKind {
    validation, // input is wrong: 400/422, exit 2
    not_found,  // 404, exit 1
    conflict,   // state forbids it: 409, exit 1
    unauthorized,
    forbidden,
    unavailable, // a peer or resource could not be reached: 503, exit 1 or 3
    internal,    // a bug or an I/O failure: 500, exit 1
};

struct FieldError {
    std::string field;
    std::string message;
    // The specific code of this field's problem ("invalid_amount"); empty
    // when it has none beyond the enclosing Error's code.
    std::string code = {};
    std::string hint = {};
};

struct Error {
    ErrorKind kind = ErrorKind::internal;
    std::string code; // stable identifier, e.g. "insufficient_stock"
    std::string what; // what failed, e.g. "reading config file /etc/x.toml"
    std::string why;  // why it failed, e.g. "line 3: expected a string"
    std::string hint; // what to do, may be empty
    std::vector<FieldError> fields;
};

[[nodiscard]] inline Error make_error(ErrorKind kind, std::string code, std::string what,
                                      std::string why, std::string hint = {})
{
    return Error{kind, std::move(code), std::move(what), std::move(why), std::move(hint), {}};
}

// Thrown where an Error escapes to a place that can only report it (main).
class ErrorException : public std::runtime_error {
public:
    explicit ErrorException(Error error)
        : std::runtime_error(error.what + ": " + error.why), m_error(std::move(error))
    {
    }
    [[nodiscard]] const Error &error() const noexcept { return m_error; }

private:
    Error m_error;
};

template <typename T> class [[nodiscard]] Result {
public:
    Result(T value) : m_value(std::move(value)) {}
    Result(Error error) : m_value(std::move(error)) {}

    [[nodiscard]] bool ok() const noexcept { return std::holds_alternative<T>(m_value); }
    explicit operator bool() const noexcept { return ok(); }

    [[nodiscard]] T &value() &
    {
        throw_if_error();
        return std::get<T>(m_value);
    }
    [[nodiscard]] const T &value() const &
    {
        throw_if_error();
        return std::get<T>(m_value);
    }
    [[nodiscard]] T &&value() &&
    {
        throw_if_error();
        return std::get<T>(std::move(m_value));
    }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }

    [[nodiscard]] const Error &error() const & { return std::get<Error>(m_value); }
    [[nodiscard]] Error &&error() && { return std::get<Error>(std::move(m_value)); }

private:
    void throw_if_error() const
    {
        if (!ok()) {
            throw ErrorException(std::get<Error>(m_value));
        }
    }
    std::variant<T, Error> m_value;
};

// Result of an operation that yields nothing but can fail.
struct Unit {};
using Status = Result<Unit>;
[[nodiscard]] inline Status ok_status()
{
    return Unit{};
}

} // namespace rcommerce
