// API keys: generation, lookup prefix, hashing, verification and scopes.
//
// A key looks like `rk_live_<id>_<secret>` or `rk_test_<id>_<secret>`:
// <id> is 12 base62 characters (71 bits) that the store indexes to find the
// key's row, <secret> is 32 base62 characters (190 bits) from OpenSSL's
// CSPRNG. The store keeps the prefix `rk_<mode>_<id>` and the SHA-256 of the
// whole key, never the key itself; it is shown once at creation. A fast hash
// is enough here because the secret part has 190 bits of entropy: nothing
// to brute-force, unlike a password.
#pragma once

#include "core/util/result.hpp"

#include <string>
#include <string_view>

namespace rcommerce::auth {

enum class KeyMode { live, test };

struct GeneratedKey {
    std::string key;    // shown to the user once, never stored or logged
    std::string prefix; // "rk_live_<id>": stored, shown in `apikey list`
    std::string hash;   // lower-case hex SHA-256 of `key`: stored
};

[[nodiscard]] GeneratedKey generate_api_key(KeyMode mode);

// The lookup prefix of a presented key ("rk_test_<id>"), or nullopt-like
// error when the key does not have our shape. ErrorKind::unauthorized, code
// "invalid_api_key"; the message never echoes the key.
[[nodiscard]] Result<std::string> api_key_prefix(std::string_view key);

// Lower-case hex SHA-256 of a key, as stored.
[[nodiscard]] std::string hash_api_key(std::string_view key);

// True when SHA-256(presented) equals `stored_hash` (hex), compared in
// constant time.
[[nodiscard]] bool verify_api_key(std::string_view presented, std::string_view stored_hash);

// Scopes as a bit set. `admin` does not imply the others; a key gets what it
// lists (the CLI may choose to grant all three).
enum class Scope : unsigned { read = 1, write = 2, admin = 4 };

class Scopes {
public:
    Scopes() = default;
    [[nodiscard]] bool has(Scope scope) const noexcept
    {
        return (m_bits & static_cast<unsigned>(scope)) != 0;
    }
    void add(Scope scope) noexcept { m_bits |= static_cast<unsigned>(scope); }
    [[nodiscard]] bool empty() const noexcept { return m_bits == 0; }
    // "read,write,admin" order, comma-separated: the stored form.
    [[nodiscard]] std::string to_string() const;

    friend bool operator==(const Scopes &, const Scopes &) = default;

private:
    unsigned m_bits = 0;
};

// "read,write" (spaces around items allowed, duplicates harmless). An empty
// list or an unknown scope is ErrorKind::validation, code "invalid_scope",
// naming the scope and listing the valid ones.
[[nodiscard]] Result<Scopes> parse_scopes(std::string_view text);

} // namespace rcommerce::auth
