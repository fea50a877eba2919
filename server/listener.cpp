#include "server/listener.hpp"

#include "core/http/security_headers.hpp"
#include "core/log/log.hpp"
#include "core/tls/certificate.hpp"
#include "core/tls/ocsp.hpp"
#include "core/tls/policy.hpp"
#include "core/util/strings.hpp"
#include "core/util/time.hpp"
#include "server/client_limit.hpp"
#include "server/event_server.hpp"
#include "server/metrics.hpp"
#include "server/middleware.hpp"
#include "server/redirect.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

namespace rcommerce::server {
namespace {

constexpr int k_reload_interval_seconds = 2;

EngineLimits engine_limits(const config::ServerConfig &cfg)
{
    EngineLimits limits;
    // Two per core: fewer leave the cores idle while a thread waits in a
    // system call; more only add switching between them (the benchmark).
    limits.threads = cfg.worker_threads > 0
                         ? static_cast<size_t>(cfg.worker_threads)
                         : 2 * std::max<size_t>(1, std::thread::hardware_concurrency());
    limits.max_threads = static_cast<size_t>(cfg.max_connections);
    limits.max_connections = static_cast<size_t>(cfg.max_connections);
    limits.keep_alive_max_count = static_cast<size_t>(cfg.keep_alive_max_count);
    limits.keep_alive_timeout_ms = cfg.keep_alive_timeout_seconds * 1000;
    limits.read_timeout_ms = cfg.read_timeout_seconds * 1000;
    limits.write_timeout_ms = cfg.write_timeout_seconds * 1000;
    limits.max_header_bytes = static_cast<size_t>(cfg.max_header_bytes);
    limits.max_body_bytes = static_cast<size_t>(cfg.max_body_bytes);
    return limits;
}

// The engine reads connections; cpp-httplib still writes the Keep-Alive
// header from its own settings and applies the body limit while reading.
std::unique_ptr<EventServer> make_server(SSL_CTX *tls, const config::ServerConfig &cfg)
{
    auto server = std::make_unique<EventServer>(tls, engine_limits(cfg));
    server->set_keep_alive_max_count(static_cast<size_t>(cfg.keep_alive_max_count));
    server->set_keep_alive_timeout(cfg.keep_alive_timeout_seconds);
    server->set_payload_max_length(static_cast<size_t>(cfg.max_body_bytes));
    return server;
}

Status bind_listener(EventServer &server, const std::string &host, int64_t port,
                     const std::string &name)
{
    if (!server.bind(host, static_cast<int>(port))) {
        return make_error(ErrorKind::unavailable, "listen_failed",
                          "starting the " + name + " listener on " + host + ":" +
                              std::to_string(port),
                          "the address is in use or not available",
                          "stop the other process or change server.port / server.http_port");
    }
    return ok_status();
}

void expose_certificates(Metrics &metrics, const tls::CertificateStore &store)
{
    std::map<std::string, int64_t> expiry;
    for (const auto &cert : store.all()) {
        expiry[cert->names().empty() ? "unnamed" : cert->names().front()] = cert->not_after();
    }
    metrics.set_certificate_expiry(std::move(expiry));
}

// /healthz, /readyz and the metrics path, on the HTTPS or the admin listener.
void add_operations_routes(httplib::Server &server, const config::Config &config, Metrics &metrics,
                           const tls::CertificateStore &store, const ServeHooks &hooks)
{
    server.Get("/healthz", [](const httplib::Request &, httplib::Response &res) {
        res.set_content(R"({"status":"ok"})", "application/json");
    });
    server.Get("/readyz", [&store, &hooks](const httplib::Request &, httplib::Response &res) {
        std::vector<ServeHooks::Check> checks;
        if (hooks.readiness) {
            checks = hooks.readiness();
        }
        std::string cert_problem;
        auto now = util::unix_now();
        auto certs = store.all();
        if (certs.empty()) {
            cert_problem = "no certificate loaded";
        }
        for (const auto &cert : certs) {
            if (cert->not_after() <= now) {
                cert_problem = "certificate for " + cert->names().front() + " has expired";
            }
        }
        checks.push_back({"certificates", cert_problem});
        nlohmann::json body = {{"checks", nlohmann::json::object()}};
        bool ready = true;
        for (const auto &check : checks) {
            body["checks"][check.name] = check.problem.empty() ? "ok" : check.problem;
            ready = ready && check.problem.empty();
        }
        body["status"] = ready ? "ready" : "not ready";
        res.status = ready ? 200 : 503;
        res.set_content(body.dump(), ready ? "application/json" : "application/problem+json");
    });
    if (config.metrics.enabled) {
        server.Get(
            config.metrics.path, [&metrics](const httplib::Request &, httplib::Response &res) {
                res.set_content(metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
            });
    }
}

// Routes that exist only so the integration tests can reach code paths no
// real route should: a handler that throws (500) and one that is slow
// (graceful shutdown). Enabled only by RCOMMERCE_TEST_ROUTES=1 and never when
// server.production is true; docs/security.md says so.
void add_test_routes(httplib::Server &server, const config::Config &config)
{
    const char *flag = std::getenv("RCOMMERCE_TEST_ROUTES");
    if (flag == nullptr || std::string_view(flag) != "1" || config.server.production) {
        return;
    }
    log::warn("test routes enabled (RCOMMERCE_TEST_ROUTES=1); never do this in production");
    server.Get("/__test/throw", [](const httplib::Request &, httplib::Response &) {
        throw std::runtime_error("deliberate failure for tests");
    });
    server.Get("/__test/slow", [](const httplib::Request &req, httplib::Response &res) {
        auto ms = util::parse_int64(req.get_param_value("ms")).value_or(1000);
        std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<int64_t>(ms, 0, 60000)));
        res.set_content(R"({"slept_ms":)" + std::to_string(ms) + "}", "application/json");
    });
}

// Every connection is a file descriptor; a soft limit of 1024 (a common
// default) would make accept() fail long before max_connections. Raise the
// soft limit towards the hard one, as far as the configured connections on
// every listener need, and say so when the hard limit is too low.
void raise_file_limit(const config::ServerConfig &cfg)
{
    constexpr rlim_t k_spare = 256; // database, certificates, logs, clients of OCSP/ACME
    rlim_t wanted = static_cast<rlim_t>(cfg.max_connections) * 3 + k_spare;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) {
        return;
    }
    rlim_t target = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    if (target > limit.rlim_cur) {
        limit.rlim_cur = target;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    if (target < wanted) {
        log::warn(
            "the open-file limit is below what server.max_connections needs; raise it "
            "(ulimit -n, or LimitNOFILE= in a systemd unit)",
            {{"limit", static_cast<int64_t>(target)}, {"needed", static_cast<int64_t>(wanted)}});
    }
}

sigset_t stop_signals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

} // namespace

Status serve(const config::Config &config, const ServeHooks &hooks)
{
    // Block the stop signals before any thread exists, so every thread
    // inherits the mask and only the sigwait() below receives them.
    sigset_t signals = stop_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    raise_file_limit(config.server);

    for (const auto &warning : http::policy_warnings(config)) {
        log::warn(warning);
    }

    // Certificates and the TLS policy.
    auto sources = tls::configured_sources(config, util::unix_now());
    if (!sources) {
        return sources.error();
    }
    auto store = std::make_shared<tls::CertificateStore>(*sources);
    if (auto loaded = store->load_all(util::unix_now()); !loaded) {
        return loaded.error();
    }
    auto stapler = config.tls.ocsp_stapling ? std::make_shared<tls::OcspStapler>() : nullptr;
    tls::ServerPolicy policy(config.tls, store, stapler);
    // Declared before the server: it must outlive every connection's SSL.
    ClientLimit client_limit(static_cast<size_t>(config.server.max_connections_per_ip));
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> tls(SSL_CTX_new(TLS_server_method()),
                                                          &SSL_CTX_free);
    if (!tls) {
        return make_error(ErrorKind::internal, "tls_context", "creating the TLS context",
                          "OpenSSL could not create it");
    }
    if (auto applied = policy.apply(tls.get()); !applied) {
        return applied.error();
    }
    client_limit.install(tls.get());

    Metrics metrics;
    expose_certificates(metrics, *store);
    auto https = make_server(tls.get(), config.server);
    install_middleware(*https, config, metrics, {http::Scheme::https, "https", true, {}});

    std::unique_ptr<EventServer> admin;
    if (config.server.admin_port != 0) {
        admin = make_server(nullptr, config.server);
        install_middleware(*admin, config, metrics, {http::Scheme::http, "admin", false, {}});
        add_operations_routes(*admin, config, metrics, *store, hooks);
    } else {
        add_operations_routes(*https, config, metrics, *store, hooks);
    }
    // The root names the service, so `curl -k -I https://localhost:8443`
    // (the README's first check) sees a 200 with every header.
    https->Get("/", [](const httplib::Request &, httplib::Response &res) {
        res.set_content(R"({"service":"rcommerce","api":"/api/v1"})", "application/json");
    });
    add_test_routes(*https, config);
    if (hooks.mount) {
        hooks.mount(*https);
    }

    std::unique_ptr<EventServer> plain_http;
    if (config.server.http_port != 0) {
        plain_http = make_server(nullptr, config.server);
        install_middleware(*plain_http, config, metrics,
                           {http::Scheme::http, "http", false, redirect_handler(config)});
    }

    // Bind everything before serving anything, so a port conflict is an
    // error at start rather than a half-running server.
    if (auto bound = bind_listener(*https, config.server.host, config.server.port, "HTTPS");
        !bound) {
        return bound;
    }
    if (plain_http) {
        if (auto bound =
                bind_listener(*plain_http, config.server.host, config.server.http_port, "HTTP");
            !bound) {
            return bound;
        }
    }
    if (admin) {
        if (auto bound =
                bind_listener(*admin, config.server.admin_host, config.server.admin_port, "admin");
            !bound) {
            return bound;
        }
    }

    std::vector<std::thread> listeners;
    listeners.emplace_back([&] { https->run(); });
    if (plain_http) {
        listeners.emplace_back([&] { plain_http->run(); });
    }
    if (admin) {
        listeners.emplace_back([&] { admin->run(); });
    }
    log::info("serving", {{"https", config.server.host + ":" + std::to_string(config.server.port)},
                          {"http_port", config.server.http_port},
                          {"admin_port", config.server.admin_port},
                          {"tls", config.tls.min_tls_version + ".." + config.tls.max_tls_version}});

    // Certificate reload and OCSP refresh run on one background thread,
    // every few seconds or at once when asked (a renewal just finished).
    std::mutex background_mutex;
    std::condition_variable background_wake;
    bool stopping = false;
    bool reload_requested = false;
    std::thread background([&] {
        int64_t next_ocsp = 0;
        std::unique_lock lock(background_mutex);
        while (!stopping) {
            reload_requested = false;
            lock.unlock();
            auto now = util::unix_now();
            bool changed = false;
            if (config.tls.cert_file.empty()) {
                auto acme = tls::acme_store_certificates(config.tls.lets_encrypt.cache_dir);
                changed = !acme.empty() && store->use_sources(acme, now);
            }
            if (store->reload(now) > 0 || changed) {
                expose_certificates(metrics, *store);
                next_ocsp = 0;
            }
            if (stapler && now >= next_ocsp) {
                next_ocsp = now + stapler->refresh(store->all(), now);
            }
            lock.lock();
            background_wake.wait_for(lock, std::chrono::seconds(k_reload_interval_seconds),
                                     [&] { return stopping || reload_requested; });
        }
    });
    if (hooks.on_listening) {
        hooks.on_listening([&] {
            {
                std::lock_guard lock(background_mutex);
                reload_requested = true;
            }
            background_wake.notify_all();
        });
    }

    int received = 0;
    sigwait(&signals, &received);
    log::info("stopping: no new connections; waiting for requests in flight",
              {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"},
               {"timeout_seconds", config.server.shutdown_timeout_seconds}});
    {
        std::lock_guard lock(background_mutex);
        stopping = true;
    }
    background_wake.notify_all();

    // run() returns once every connection has closed, idle ones at once and
    // busy ones after their response; bound that by the shutdown timeout.
    auto done = std::async(std::launch::async, [&] {
        if (hooks.on_stopping) {
            hooks.on_stopping();
        }
        https->stop();
        if (plain_http) {
            plain_http->stop();
        }
        if (admin) {
            admin->stop();
        }
        for (auto &thread : listeners) {
            thread.join();
        }
        background.join();
    });
    if (done.wait_for(std::chrono::seconds(config.server.shutdown_timeout_seconds)) !=
        std::future_status::ready) {
        log::error("requests still running after the shutdown timeout; exiting without them",
                   {{"timeout_seconds", config.server.shutdown_timeout_seconds}});
        std::_Exit(1);
    }
    if (hooks.on_stopped) {
        hooks.on_stopped();
    }
    log::info("stopped");
    return ok_status();
}

} // namespace rcommerce::server
