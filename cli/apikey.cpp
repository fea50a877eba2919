#include "cli/app.hpp"
#include "cli/exit_codes.hpp"
#include "core/auth/key_store.hpp"
#include "core/store/database.hpp"
#include "core/store/migrations.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace rcommerce::cli {
namespace {

std::unique_ptr<store::Database> open_current(Context &context)
{
    auto database = store::Database::open(context.config().database, store::OpenMode::create);
    if (!database) {
        throw ErrorException(database.error());
    }
    if (auto current = store::check_current(**database); !current) {
        throw ErrorException(current.error());
    }
    return std::move(database).value();
}

struct CreateOptions {
    std::string name;
    std::string scopes = "read";
    bool test = false;
};

int run_create(Context &context, const CreateOptions &options)
{
    auto scopes = auth::parse_scopes(options.scopes);
    if (!scopes) {
        print_error(scopes.error());
        return k_exit_usage;
    }
    auto database = open_current(context);
    auto created = auth::create_key(*database, options.name, *scopes,
                                    options.test ? auth::KeyMode::test : auth::KeyMode::live);
    if (!created) {
        print_error(created.error());
        return exit_code_for(created.error());
    }
    // The key alone on stdout, so `KEY=$(rcommerce apikey create ...)` works.
    std::cout << created->key << "\n";
    std::cerr << "created API key " << created->stored.id << " (" << created->stored.prefix
              << ", scopes " << created->stored.scopes.to_string()
              << "); store it now: it is not shown again\n";
    return k_exit_ok;
}

// Never the key itself (the store does not have it): its prefix identifies it.
int run_list_json(const std::vector<auth::StoredKey> &keys)
{
    nlohmann::json rows = nlohmann::json::array();
    for (const auto &key : keys) {
        nlohmann::json scopes = nlohmann::json::array();
        std::string listed = key.scopes.to_string();
        for (size_t start = 0; start < listed.size();) {
            auto comma = std::min(listed.find(',', start), listed.size());
            scopes.push_back(listed.substr(start, comma - start));
            start = comma + 1;
        }
        auto optional = [](const std::optional<std::string> &text) {
            return text ? nlohmann::json(*text) : nlohmann::json(nullptr);
        };
        rows.push_back({{"id", key.id},
                        {"prefix", key.prefix},
                        {"name", key.name},
                        {"scopes", scopes},
                        {"created_at", key.created_at},
                        {"last_used_at", optional(key.last_used_at)},
                        {"revoked_at", optional(key.revoked_at)}});
    }
    std::cout << rows.dump(2) << "\n";
    return k_exit_ok;
}

int run_list(Context &context, const std::string &format)
{
    auto database = open_current(context);
    if (format == "json") {
        return run_list_json(auth::list_keys(*database));
    }
    std::printf("%-4s %-22s %-20s %-17s %-21s %-21s %s\n", "ID", "PREFIX", "NAME", "SCOPES",
                "CREATED", "LAST USED", "REVOKED");
    for (const auto &key : auth::list_keys(*database)) {
        std::printf("%-4lld %-22s %-20s %-17s %-21s %-21s %s\n", static_cast<long long>(key.id),
                    key.prefix.c_str(), key.name.c_str(), key.scopes.to_string().c_str(),
                    key.created_at.c_str(), key.last_used_at.value_or("-").c_str(),
                    key.revoked_at.value_or("-").c_str());
    }
    return k_exit_ok;
}

int run_revoke(Context &context, const std::string &which)
{
    auto database = open_current(context);
    auto revoked = auth::revoke_key(*database, which);
    if (!revoked) {
        print_error(revoked.error());
        return exit_code_for(revoked.error());
    }
    const auto &key = revoked->stored;
    if (revoked->was_already_revoked) {
        std::cout << "API key " << key.id << " (" << key.prefix << ") was already revoked at "
                  << key.revoked_at.value_or("") << "; nothing changed\n";
    } else {
        std::cout << "revoked API key " << key.id << " (" << key.prefix << ") at "
                  << key.revoked_at.value_or("") << "\n";
    }
    // A running serve trusts a key it verified for this long (key_cache.hpp).
    if (auto seconds = context.config().server.api_key_cache_seconds;
        seconds > 0 && !revoked->was_already_revoked) {
        std::cout << "a running serve refuses it within " << seconds
                  << " s (server.api_key_cache_seconds)\n";
    }
    return k_exit_ok;
}

} // namespace

void add_apikey(CLI::App &app, Context &context)
{
    auto *apikey = app.add_subcommand("apikey", "Create, list and revoke API keys");
    apikey->require_subcommand(1);

    auto create_options = std::make_shared<CreateOptions>();
    auto *create = apikey->add_subcommand("create", "Create a key and print it once");
    create->add_option("--name", create_options->name, "What the key is for")->required();
    create->add_option("--scopes", create_options->scopes,
                       "Comma-separated: read, write, admin (default read)");
    create->add_flag("--test", create_options->test, "Make an rk_test_ key instead of rk_live_");
    create->callback([&context, create_options] {
        context.action = [&context, create_options] {
            return run_create(context, *create_options);
        };
    });

    auto *list = apikey->add_subcommand("list", "List keys (never the secret part)");
    auto format = std::make_shared<std::string>("table");
    list->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
    list->callback([&context, format] {
        context.action = [&context, format] { return run_list(context, *format); };
    });

    auto which = std::make_shared<std::string>();
    auto *revoke = apikey->add_subcommand("revoke", "Revoke a key");
    revoke->add_option("key", *which, "The key's id or prefix (see `apikey list`)")->required();
    revoke->callback([&context, which] {
        context.action = [&context, which] { return run_revoke(context, *which); };
    });
}

} // namespace rcommerce::cli
