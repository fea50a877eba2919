// Exit codes shared by every subcommand; the README's table mirrors this file.
#pragma once

namespace rcommerce::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;       // the operation failed
inline constexpr int k_exit_usage = 2;         // usage or configuration error
inline constexpr int k_exit_unreachable = 3;   // check-headers: a URL could not be fetched
inline constexpr int k_exit_low_stock = 4;     // inventory report --fail-if-low: something is low
inline constexpr int k_exit_interrupted = 130; // SIGINT

} // namespace rcommerce::cli
