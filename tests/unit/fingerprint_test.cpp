#include "core/idempotency/fingerprint.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace rcommerce::idempotency;

TEST_CASE("the same request has the same fingerprint, any difference changes it")
{
    std::string base = request_fingerprint("POST", "/api/v1/orders", R"({"a":1})");
    CHECK(base.size() == 64);
    CHECK(base == request_fingerprint("POST", "/api/v1/orders", R"({"a":1})"));
    CHECK(base != request_fingerprint("PUT", "/api/v1/orders", R"({"a":1})"));
    CHECK(base != request_fingerprint("POST", "/api/v1/orders/", R"({"a":1})"));
    CHECK(base != request_fingerprint("POST", "/api/v1/orders", R"({"a":2})"));
    // Field boundaries matter: no ambiguity from concatenation.
    CHECK(request_fingerprint("POST", "/a", "b") != request_fingerprint("POST", "/ab", ""));
}

TEST_CASE("canonical JSON ignores spacing and key order")
{
    auto a = nlohmann::json::parse(R"({"b": [1, 2], "a": {"y": 1, "x": "s"}})");
    auto b = nlohmann::json::parse(R"({"a":{"x":"s","y":1},"b":[1,2]})");
    CHECK(canonical_json(a) == canonical_json(b));
    CHECK(canonical_json(a) == R"({"a":{"x":"s","y":1},"b":[1,2]})");
}

TEST_CASE("idempotency keys are short printable tokens")
{
    CHECK(valid_idempotency_key("order-create-42"));
    CHECK(valid_idempotency_key(std::string(255, 'k')));
    CHECK_FALSE(valid_idempotency_key(""));
    CHECK_FALSE(valid_idempotency_key(std::string(256, 'k')));
    CHECK_FALSE(valid_idempotency_key("a b"));
    CHECK_FALSE(valid_idempotency_key("a\nb"));
    CHECK_FALSE(valid_idempotency_key("caf\xc3\xa9"));
}
