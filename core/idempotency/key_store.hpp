// Stored results of idempotent requests (the Idempotency-Key header).
//
// begin() claims (scope, key) by inserting a row whose response is still
// NULL; the UNIQUE (scope, key) constraint makes exactly one of many
// concurrent requests the owner. The owner runs the request and calls
// finish() with the response to keep, or abandon() when it failed in a way a
// retry may fix (a 5xx), which frees the key. Any other request with the same
// key gets:
// - the stored response, byte for byte, when its fingerprint matches and the
//   first one finished (Outcome::replay);
// - idempotency_key_in_use (409) while the first is still running;
// - idempotency_key_reused (422) when its fingerprint differs.
// Rows older than k_retention_seconds are ignored and purged.
#pragma once

#include "core/util/result.hpp"

#include <cstdint>
#include <string>

namespace rcommerce::store {
class Database;
} // namespace rcommerce::store

namespace rcommerce::idempotency {

inline constexpr int64_t k_retention_seconds = 24 * 60 * 60;

struct StoredResponse {
    int status = 0;
    std::string content_type;
    std::string body;
};

struct Claim {
    enum class Outcome { owner, replay } outcome = Outcome::owner;
    StoredResponse response; // for replay
};

[[nodiscard]] Result<Claim> begin(store::Database &db, std::string_view scope, std::string_view key,
                                  std::string_view fingerprint);
void finish(store::Database &db, std::string_view scope, std::string_view key,
            const StoredResponse &response);
void abandon(store::Database &db, std::string_view scope, std::string_view key);

// Deletes rows older than the retention; returns how many.
int64_t purge_expired(store::Database &db, int64_t now);

} // namespace rcommerce::idempotency
