// Message digests used across core (migration checksums, API key hashes).
#pragma once

#include <string>
#include <string_view>

namespace rcommerce::util {

// SHA-256 of `data` as 64 lowercase hex digits.
[[nodiscard]] std::string sha256_hex(std::string_view data);

} // namespace rcommerce::util
