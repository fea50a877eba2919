// `rcommerce serve` from start to exit: open the store, bring its schema to
// the binary's (or refuse, naming the pending migrations), wire readiness and
// the API, then run the listeners until SIGTERM/SIGINT and close the store.
#pragma once

#include "core/config/config.hpp"
#include "core/util/result.hpp"

namespace rcommerce::server {

enum class Migrations {
    refuse_pending, // default: pending migrations stop the start, named
    apply_pending,  // --migrate
};

[[nodiscard]] Status run_serve(const config::Config &config, Migrations migrations);

} // namespace rcommerce::server
