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
// - idempotency_key_interrupted (409) when the process running the first
//   is gone (killed, crashed) before it finished: whether that request took
//   effect is unknown, so it is neither run again nor reported as running;
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

// `owner` names who runs the request (see process_owner()); a test may
// pretend to be another process.
[[nodiscard]] Result<Claim> begin(store::Database &db, std::string_view scope, std::string_view key,
                                  std::string_view fingerprint, std::string_view owner = {});

// This process as the owner of the requests it runs: "<pid>:<random>", the
// random part telling it from an earlier process that had the same pid.
[[nodiscard]] const std::string &process_owner();
void finish(store::Database &db, std::string_view scope, std::string_view key,
            const StoredResponse &response);
void abandon(store::Database &db, std::string_view scope, std::string_view key);

// Deletes rows older than the retention; returns how many.
int64_t purge_expired(store::Database &db, int64_t now);

} // namespace rcommerce::idempotency
