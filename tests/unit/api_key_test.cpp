#include "core/auth/api_key.hpp"

#include <doctest/doctest.h>
#include <set>

using namespace rcommerce;
using namespace rcommerce::auth;

TEST_CASE("generated keys have the documented shape and differ every time")
{
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) {
        GeneratedKey key = generate_api_key(i % 2 == 0 ? KeyMode::live : KeyMode::test);
        CHECK(key.key.size() == 8 + 12 + 1 + 32);
        CHECK(key.key.starts_with(i % 2 == 0 ? "rk_live_" : "rk_test_"));
        CHECK(key.key.starts_with(key.prefix));
        CHECK(api_key_prefix(key.key).value() == key.prefix);
        CHECK(key.hash.size() == 64);
        CHECK(key.hash == hash_api_key(key.key));
        CHECK(key.hash.find(key.key) == std::string::npos);
        seen.insert(key.key);
    }
    CHECK(seen.size() == 50);
}

TEST_CASE("a key verifies against its hash and nothing else does")
{
    GeneratedKey key = generate_api_key(KeyMode::test);
    CHECK(verify_api_key(key.key, key.hash));
    std::string altered = key.key;
    altered.back() = altered.back() == 'a' ? 'b' : 'a';
    CHECK_FALSE(verify_api_key(altered, key.hash));
    CHECK_FALSE(verify_api_key("", key.hash));
    CHECK_FALSE(verify_api_key(key.key, ""));
    // SHA-256("abc"), a published test vector.
    CHECK(hash_api_key("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("malformed keys have no prefix and the error never echoes them")
{
    for (const char *bad : {"", "rk_live_", "sk_live_ABCDEFGHIJKL_abcdefghijklmnopqrstuvwxyz012345",
                            "rk_prod_ABCDEFGHIJKL_abcdefghijklmnopqrstuvwxyz012345",
                            "rk_live_ABCDEFGHIJK!_abcdefghijklmnopqrstuvwxyz012345",
                            "rk_live_ABCDEFGHIJKLxabcdefghijklmnopqrstuvwxyz012345",
                            "rk_live_ABCDEFGHIJKL_abcdefghijklmnopqrstuvwxyz01234",
                            "rk_live_ABCDEFGHIJKL_abcdefghijklmnopqrstuvwxyz0123456"}) {
        auto prefix = api_key_prefix(bad);
        REQUIRE_FALSE(prefix);
        CHECK(prefix.error().kind == ErrorKind::unauthorized);
        if (*bad != '\0') {
            CHECK(prefix.error().why.find(bad) == std::string::npos);
        }
    }
}

TEST_CASE("scopes parse from a list and name an unknown one")
{
    auto all = parse_scopes("read,write,admin");
    REQUIRE(all);
    CHECK(all->has(Scope::read));
    CHECK(all->has(Scope::write));
    CHECK(all->has(Scope::admin));
    CHECK(all->to_string() == "read,write,admin");

    auto some = parse_scopes(" admin , read,read");
    REQUIRE(some);
    CHECK_FALSE(some->has(Scope::write));
    CHECK(some->to_string() == "read,admin");

    auto unknown = parse_scopes("read,delete");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == "invalid_scope");
    CHECK(unknown.error().why.find("\"delete\"") != std::string::npos);
    CHECK(parse_scopes("").error().code == "invalid_scope");
    CHECK_FALSE(parse_scopes(",,"));
    CHECK_FALSE(parse_scopes("READ"));
    // An empty item is a mistake, not a separator style.
    CHECK(parse_scopes("read,,write").error().why.find("empty scope") != std::string::npos);
    CHECK_FALSE(parse_scopes("read,"));
    CHECK_FALSE(parse_scopes(",read"));
}
