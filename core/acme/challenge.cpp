#include "core/acme/challenge.hpp"

#include "core/acme/crypto.hpp"
#include "core/acme/store.hpp"
#include "core/log/log.hpp"

#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <mutex>
#include <thread>

namespace rcommerce::acme {

namespace fs = std::filesystem;

std::string_view challenge_type_name(ChallengeType type)
{
    return type == ChallengeType::http_01 ? "http-01" : "dns-01";
}

std::string_view http_mode_name(HttpMode mode)
{
    switch (mode) {
    case HttpMode::standalone:
        return "standalone";
    case HttpMode::webroot:
        return "webroot";
    case HttpMode::serve:
        return "serve";
    }
    return "standalone";
}

bool valid_token(std::string_view token)
{
    if (token.empty() || token.size() > 256) {
        return false;
    }
    for (char c : token) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::string key_authorization(std::string_view token, std::string_view thumbprint)
{
    return std::string(token) + "." + std::string(thumbprint);
}

std::string dns_txt_value(std::string_view key_auth)
{
    return base64url_encode(sha256(key_auth));
}

std::string dns_record_name(std::string_view domain)
{
    if (domain.rfind("*.", 0) == 0) {
        domain.remove_prefix(2);
    }
    return "_acme-challenge." + std::string(domain);
}

namespace {

// Sends `signal` to the hook's process group, and waits up to `grace` for
// the hook itself to end. True when it ended (and was reaped).
bool stop_group(pid_t pid, int signal, std::chrono::milliseconds grace, int &status)
{
    ::kill(-pid, signal);
    auto until = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < until) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

} // namespace

Status run_hook(const std::string &command, const std::vector<std::string> &args,
                const std::vector<std::pair<std::string, std::string>> &env,
                std::chrono::seconds timeout, const util::Cancellation *cancel)
{
    std::string script = command + " \"$@\"";
    std::vector<const char *> argv = {"sh", "-c", script.c_str(), "sh"};
    for (const auto &arg : args) {
        argv.push_back(arg.c_str());
    }
    argv.push_back(nullptr);
    // The environment is built before fork: `serve` has other threads, and
    // only async-signal-safe calls are allowed between fork and exec.
    std::vector<std::string> environment;
    for (char **entry = environ; *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        bool replaced = std::any_of(env.begin(), env.end(), [&](const auto &pair) {
            return text.size() > pair.first.size() && text.rfind(pair.first, 0) == 0 &&
                   text[pair.first.size()] == '=';
        });
        if (!replaced) {
            environment.emplace_back(text);
        }
    }
    for (const auto &[name, value] : env) {
        environment.push_back(name + "=" + value);
    }
    std::vector<char *> envp;
    for (auto &entry : environment) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) {
        return make_error(ErrorKind::internal, "hook_failed", "running hook " + command,
                          std::strerror(errno));
    }
    if (pid == 0) {
        // Its own process group, so a timeout stops whatever it started too.
        ::setpgid(0, 0);
        // stdout carries the command's results; a hook's chatter goes to stderr.
        ::dup2(2, 1);
        ::execve("/bin/sh", const_cast<char *const *>(argv.data()), envp.data());
        ::_exit(127);
    }
    ::setpgid(pid, pid); // also here: no race with the kill below
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string stopped;
    for (;;) {
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR)) {
            break;
        }
        bool cancelled = cancel != nullptr && cancel->cancelled();
        if (cancelled || std::chrono::steady_clock::now() >= deadline) {
            stopped = cancelled ? "was stopped: the process is shutting down"
                                : "did not finish within " + std::to_string(timeout.count()) +
                                      " s and was stopped";
            if (!stop_group(pid, SIGTERM, std::chrono::seconds(2), status)) {
                stop_group(pid, SIGKILL, std::chrono::seconds(5), status);
            }
            ::kill(-pid, SIGKILL); // anything of its group still left
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (stopped.empty() && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return ok_status();
    }
    std::string why = !stopped.empty()    ? stopped
                      : WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                          : "was killed by a signal";
    // The arguments say which call failed (`add _acme-challenge.x ...`);
    // they are a record name and a public TXT value, never a secret.
    std::string called = "hook \"" + command + "\"";
    if (!args.empty()) {
        called += " called as `" + command;
        for (const auto &arg : args) {
            called += " " + arg;
        }
        called += "`";
    }
    return make_error(ErrorKind::unavailable, "hook_failed", called, why,
                      !stopped.empty() && cancel != nullptr && cancel->cancelled() ? std::string()
                      : !stopped.empty()
                          ? "make the hook finish sooner, or raise "
                            "tls.lets_encrypt.hook_timeout_seconds"
                          : "run the hook by hand with the same arguments to see its output");
}

struct ChallengeResponder::Listener {
    httplib::Server server;
    std::thread thread;
    std::mutex mutex;
    std::map<std::string, std::string> answers;
};

ChallengeResponder::ChallengeResponder(ChallengeSettings settings) : m_settings(std::move(settings))
{
}

ChallengeResponder::~ChallengeResponder()
{
    cleanup();
}

Status ChallengeResponder::start_listener()
{
    auto listener = std::make_unique<Listener>();
    Listener *raw = listener.get();
    raw->server.Get(R"(/\.well-known/acme-challenge/([A-Za-z0-9_-]+))",
                    [raw](const httplib::Request &req, httplib::Response &res) {
                        std::lock_guard lock(raw->mutex);
                        auto it = raw->answers.find(req.matches[1]);
                        if (it == raw->answers.end()) {
                            res.status = 404;
                            return;
                        }
                        res.set_content(it->second, "text/plain");
                    });
    // SO_REUSEADDR only: httplib's default SO_REUSEPORT would let this
    // listener share port 80 with a running server and lose half the
    // validation requests to it, instead of failing clearly.
    raw->server.set_socket_options([](int sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    // "::" is dual-stack on Linux, so validation over IPv6 (which Let's
    // Encrypt prefers when a name has an AAAA record) and IPv4 both arrive;
    // IPv4 alone where the host has IPv6 disabled.
    bool bound = !m_settings.http_bind.empty()
                     ? raw->server.bind_to_port(m_settings.http_bind, m_settings.http_port)
                     : raw->server.bind_to_port("::", m_settings.http_port) ||
                           raw->server.bind_to_port("0.0.0.0", m_settings.http_port);
    if (!bound) {
        return make_error(ErrorKind::unavailable, "http_port_busy",
                          "listening for http-01 on port " + std::to_string(m_settings.http_port),
                          "the port is in use or needs privileges",
                          "stop what listens there, or use --webroot, or let a running "
                          "`rcommerce serve` answer (--http-via-serve)");
    }
    raw->thread = std::thread([raw] { raw->server.listen_after_bind(); });
    // A stop() that comes before the accept loop runs is lost, and cleanup's
    // join() would then wait forever (an order the CA refuses at once).
    for (int i = 0; i < 5000 && !raw->server.is_running(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    m_listener = std::move(listener);
    return ok_status();
}

Status ChallengeResponder::add_http(const std::string &token, const std::string &key_auth)
{
    if (!valid_token(token)) {
        return make_error(ErrorKind::unavailable, "acme_bad_token", "http-01 challenge",
                          "the CA sent a token that is not base64url");
    }
    if (m_settings.http_mode == HttpMode::standalone) {
        if (!m_listener) {
            if (auto started = start_listener(); !started) {
                return started;
            }
        }
        std::lock_guard lock(m_listener->mutex);
        m_listener->answers[token] = key_auth;
        return ok_status();
    }
    fs::path dir = m_settings.http_mode == HttpMode::webroot
                       ? m_settings.webroot / ".well-known" / "acme-challenge"
                       : m_settings.shared_dir;
    if (m_settings.http_mode == HttpMode::webroot) {
        // The web server may run as another user: folders made here are
        // 0755 whatever the umask (under 077 they were 0700 and validation
        // failed with a 403). Folders the operator made are left alone.
        for (const auto &folder : {m_settings.webroot / ".well-known", dir}) {
            if (::mkdir(folder.c_str(), 0755) == 0) {
                ::chmod(folder.c_str(), 0755);
            } else if (errno != EEXIST) {
                return make_error(ErrorKind::unavailable, "webroot_unusable",
                                  "creating " + folder.string(), std::strerror(errno),
                                  "check the permissions of the webroot");
            }
        }
    }
    // World-readable on purpose: the web server answering may run as
    // another user, and a key authorization is public by design.
    if (auto written = write_file_atomic(dir / token, key_auth, 0644); !written) {
        return written;
    }
    m_files.push_back(dir / token);
    return ok_status();
}

Status ChallengeResponder::add_dns(const std::string &domain, const std::string &txt_value)
{
    std::string name = dns_record_name(domain);
    if (m_settings.dns_hook.empty()) {
        return make_error(ErrorKind::validation, "dns_hook_missing",
                          "dns-01 challenge for " + domain, "no DNS hook is configured",
                          "pass --dns-hook CMD (called as CMD add|remove NAME VALUE)");
    }
    auto added =
        run_hook(m_settings.dns_hook, {"add", name, txt_value}, {{"RCOMMERCE_ACME_DOMAIN", domain}},
                 m_settings.hook_timeout, m_settings.cancel);
    if (!added) {
        return added;
    }
    m_dns.emplace_back(name, txt_value);
    return ok_status();
}

void ChallengeResponder::cleanup()
{
    for (const auto &file : m_files) {
        std::error_code ec;
        fs::remove(file, ec);
    }
    m_files.clear();
    for (const auto &[name, value] : m_dns) {
        // Not cancelled: a record left behind would outlive the shutdown.
        auto removed =
            run_hook(m_settings.dns_hook, {"remove", name, value}, {}, m_settings.hook_timeout);
        if (!removed) {
            log::warn("DNS hook could not remove a challenge record",
                      {{"name", name}, {"why", removed.error().why}});
        }
    }
    m_dns.clear();
    if (m_listener) {
        m_listener->server.stop();
        if (m_listener->thread.joinable()) {
            m_listener->thread.join();
        }
        m_listener.reset();
    }
}

} // namespace rcommerce::acme
