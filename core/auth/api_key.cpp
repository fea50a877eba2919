#include "core/auth/api_key.hpp"

#include "core/crypto/crypto.hpp"
#include "core/util/strings.hpp"

namespace rcommerce::auth {

namespace {

constexpr size_t k_id_length = 12;
constexpr size_t k_secret_length = 32;
constexpr std::string_view k_alphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Uniform base62 by rejection: bytes >= 248 (62 * 4) are dropped so every
// character is equally likely.
std::string random_base62(size_t length)
{
    std::string out;
    out.reserve(length);
    while (out.size() < length) {
        for (unsigned char byte : crypto::random_bytes(length)) {
            if (byte < 248 && out.size() < length) {
                out.push_back(k_alphabet[byte % 62]);
            }
        }
    }
    return out;
}

bool is_base62(std::string_view text)
{
    return text.find_first_not_of(k_alphabet) == std::string_view::npos;
}

Error invalid_key()
{
    return make_error(ErrorKind::unauthorized, "invalid_api_key", "authenticating",
                      "the API key is not a valid rcommerce key",
                      "send Authorization: Bearer rk_live_... (or rk_test_...)");
}

} // namespace

GeneratedKey generate_api_key(KeyMode mode)
{
    std::string prefix =
        std::string(mode == KeyMode::live ? "rk_live_" : "rk_test_") + random_base62(k_id_length);
    std::string key = prefix + "_" + random_base62(k_secret_length);
    std::string hash = hash_api_key(key);
    return {std::move(key), std::move(prefix), std::move(hash)};
}

Result<std::string> api_key_prefix(std::string_view key)
{
    bool known_mode = key.starts_with("rk_live_") || key.starts_with("rk_test_");
    constexpr size_t mode_length = 8;
    if (!known_mode || key.size() != mode_length + k_id_length + 1 + k_secret_length) {
        return invalid_key();
    }
    std::string_view id = key.substr(mode_length, k_id_length);
    std::string_view secret = key.substr(mode_length + k_id_length + 1);
    if (key[mode_length + k_id_length] != '_' || !is_base62(id) || !is_base62(secret)) {
        return invalid_key();
    }
    return std::string(key.substr(0, mode_length + k_id_length));
}

std::string hash_api_key(std::string_view key)
{
    return crypto::to_hex(crypto::sha256(key));
}

bool verify_api_key(std::string_view presented, std::string_view stored_hash)
{
    return crypto::constant_time_equals(hash_api_key(presented), stored_hash);
}

std::string Scopes::to_string() const
{
    std::string out;
    for (auto [scope, name] : {std::pair{Scope::read, "read"}, std::pair{Scope::write, "write"},
                               std::pair{Scope::admin, "admin"}}) {
        if (has(scope)) {
            out += (out.empty() ? "" : ",") + std::string(name);
        }
    }
    return out;
}

Result<Scopes> parse_scopes(std::string_view text)
{
    Scopes scopes;
    // Split by hand: split_list drops empty items, and "read,,write" is
    // more likely a deleted scope than a style choice.
    std::string_view rest = text;
    bool more = !util::trim(text).empty();
    while (more) {
        auto comma = rest.find(',');
        std::string_view item = util::trim(rest.substr(0, comma));
        if (item.empty()) {
            Error error = make_error(ErrorKind::validation, "invalid_scope", "reading scopes",
                                     "an empty scope in \"" + std::string(text) + "\"",
                                     "separate scopes with single commas: read,write");
            return error;
        }
        if (item == "read") {
            scopes.add(Scope::read);
        } else if (item == "write") {
            scopes.add(Scope::write);
        } else if (item == "admin") {
            scopes.add(Scope::admin);
        } else {
            Error error = make_error(ErrorKind::validation, "invalid_scope", "reading scopes",
                                     "unknown scope \"" + std::string(item) + "\"",
                                     "scopes are read, write, admin");
            return error;
        }
        more = comma != std::string_view::npos;
        if (more) {
            rest.remove_prefix(comma + 1);
        }
    }
    if (scopes.empty()) {
        Error error = make_error(ErrorKind::validation, "invalid_scope", "reading scopes",
                                 "no scope given", "scopes are read, write, admin");
        return error;
    }
    return scopes;
}

} // namespace rcommerce::auth
