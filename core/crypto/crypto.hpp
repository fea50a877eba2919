// Small cryptographic helpers over OpenSSL, shared by API keys, webhook
// signatures and request fingerprints. Nothing here logs its inputs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rcommerce::crypto {

// SHA-256 of `data`, 32 raw bytes.
[[nodiscard]] std::string sha256(std::string_view data);

// HMAC-SHA256 (RFC 2104) of `data` under `key`, 32 raw bytes.
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view data);

// Lower-case hex of raw bytes, and back (nullopt on odd length or a non-hex
// character; both cases of hex digits accepted).
[[nodiscard]] std::string to_hex(std::string_view bytes);
[[nodiscard]] std::optional<std::string> from_hex(std::string_view hex);

// The value of one hex digit (either case), or -1.
[[nodiscard]] int hex_value(char c);

// Equality that takes the same time wherever the first difference is
// (CRYPTO_memcmp). Different lengths compare unequal; the length itself is
// not secret in any of our uses.
[[nodiscard]] bool constant_time_equals(std::string_view a, std::string_view b) noexcept;

// `count` bytes from OpenSSL's CSPRNG; throws if the generator fails
// (a broken machine, not an expected failure).
[[nodiscard]] std::string random_bytes(size_t count);

} // namespace rcommerce::crypto
