// Request fingerprints for Idempotency-Key handling.
//
// A stored idempotent response may be replayed only for the same request.
// "Same" means same method, same path and same body bytes; the fingerprint
// is SHA-256 over the three, each length-prefixed so that no two different
// requests can produce the same input ("POST" + "/a" + "b" vs "POST" + "/ab").
// The body is hashed as the canonical bytes the caller passes: the API layer
// decides whether that is the raw body or a re-serialised canonical JSON
// (canonical_json below), and must use the same choice for both requests.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace rcommerce::idempotency {

// Lower-case hex SHA-256 fingerprint of a request.
[[nodiscard]] std::string request_fingerprint(std::string_view method, std::string_view path,
                                              std::string_view body);

// A JSON document in one canonical form: object keys sorted, no whitespace,
// numbers and strings as nlohmann serialises them. Two bodies that differ
// only in spacing or key order give the same bytes.
[[nodiscard]] std::string canonical_json(const nlohmann::json &document);

// Whether an Idempotency-Key header value is acceptable: 1 to 255 printable
// ASCII characters (no spaces or controls).
[[nodiscard]] bool valid_idempotency_key(std::string_view key) noexcept;

} // namespace rcommerce::idempotency
