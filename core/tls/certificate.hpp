// Certificates the HTTPS listener serves: loading and checking a PEM chain and
// its key, the self-signed development certificate, and the set of
// certificates chosen by SNI, reloaded from disk while the server runs.
#pragma once

#include "core/config/config.hpp"
#include "core/util/result.hpp"

#include <openssl/ssl.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rcommerce::tls {

// A file of trusted CA certificates an operator names (--ca-file, the
// ca_file keys): checked before it is used, so that a wrong file (a key, a
// DER file, /etc/passwd) is reported as such instead of surfacing later as
// an unverifiable peer. Fails with `ca_file_invalid`, naming `what` (e.g.
// "--ca-file /x"), when the file cannot be read or holds no PEM certificate.
[[nodiscard]] Status check_ca_file(const std::filesystem::path &file, const std::string &what);

// One leaf certificate with its chain and private key, checked: the key
// matches the leaf, and the leaf is valid now. Immutable once loaded, so a
// connection can keep using it after the store replaced it.
class Certificate {
public:
    Certificate(X509 *leaf, STACK_OF(X509) * chain, EVP_PKEY *key);
    ~Certificate();
    Certificate(const Certificate &) = delete;
    Certificate &operator=(const Certificate &) = delete;

    [[nodiscard]] X509 *leaf() const { return m_leaf; }
    [[nodiscard]] STACK_OF(X509) * chain() const { return m_chain; }
    [[nodiscard]] EVP_PKEY *key() const { return m_key; }
    // DNS names from the subjectAltName (or the CN when there is none),
    // lower case; IP addresses as text.
    [[nodiscard]] const std::vector<std::string> &names() const { return m_names; }
    [[nodiscard]] int64_t not_after() const { return m_not_after; }
    // True when `host` (lower case, no port) is one of names(), a single
    // label matched by a "*." name.
    [[nodiscard]] bool matches(std::string_view host) const;

private:
    X509 *m_leaf;
    STACK_OF(X509) * m_chain;
    EVP_PKEY *m_key;
    std::vector<std::string> m_names;
    int64_t m_not_after = 0;
};

using CertificatePtr = std::shared_ptr<const Certificate>;

// Reads a PEM chain (leaf first) and a PEM key and checks them: both
// readable, the key matches the leaf, the leaf is inside its validity period
// at `now` (Unix seconds). Errors name the file and the reason.
[[nodiscard]] Result<CertificatePtr> load_certificate(const std::filesystem::path &cert_file,
                                                      const std::filesystem::path &key_file,
                                                      int64_t now);

struct KeyPairPaths {
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
};

// The development certificate under `data_dir` (dev-cert.pem, dev-key.pem):
// reused while it is valid for more than a day, otherwise a new self-signed
// ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1, valid 90 days,
// key file 0600. `created` tells whether a new one was written.
[[nodiscard]] Result<KeyPairPaths>
ensure_development_certificate(const std::filesystem::path &data_dir, int64_t now, bool &created);

// Certificate folders of the ACME store (`cache_dir/<name>/fullchain.pem` and
// `privkey.pem`), sorted by name; missing cache_dir gives none.
[[nodiscard]] std::vector<KeyPairPaths>
acme_store_certificates(const std::filesystem::path &cache_dir);

// The certificates one listener serves. Each source is a cert/key pair on
// disk; reload() re-reads a source whose files changed and replaces it only
// when the new pair passes load_certificate(), so a broken renewal never
// takes the site down. Thread-safe: select() runs in handshakes while
// reload() runs on a timer.
class CertificateStore {
public:
    explicit CertificateStore(std::vector<KeyPairPaths> sources);

    // Loads every source; fails if any cannot be loaded (at start, a broken
    // certificate is a configuration error, not something to serve around).
    [[nodiscard]] Status load_all(int64_t now);

    // Re-reads sources whose files changed (mtime, size or inode). Returns
    // how many were replaced; a refused replacement is logged as an error
    // once per change and the old certificate stays.
    size_t reload(int64_t now);

    // The certificate for an SNI name (empty: none sent): the first whose
    // names match, else the first certificate.
    [[nodiscard]] CertificatePtr select(std::string_view server_name) const;

    [[nodiscard]] std::vector<CertificatePtr> all() const;

    // Makes `sources` the set served, keeping the loaded state of sources
    // already present and loading new ones. Done only when at least one of
    // them loads, so the store never ends up serving nothing; a new source
    // that fails to load is logged, left out, and tried again once its
    // files change. Returns true when the set changed. For the ACME store's
    // folders appearing while `serve` runs (its first certificate replaces
    // the development one).
    bool use_sources(const std::vector<KeyPairPaths> &sources, int64_t now);

private:
    struct Stamp {
        int64_t mtime_ns = 0;
        uintmax_t size = 0;
        uintmax_t inode = 0;
        bool operator==(const Stamp &) const = default;
    };
    struct Source {
        KeyPairPaths paths;
        CertificatePtr current;
        Stamp cert_stamp, key_stamp; // of the files last tried
    };
    static Stamp stamp(const std::filesystem::path &path);

    mutable std::mutex m_mutex;
    std::vector<Source> m_sources;
    // New sources use_sources() could not load, with the stamps then.
    std::map<std::string, std::pair<Stamp, Stamp>> m_refused;
};

// Which files the listener should serve, from the configuration: cert_file
// and key_file when set; else every ACME store folder; else, unless
// server.production, the development certificate (generated when needed,
// with an info log line saying so).
[[nodiscard]] Result<std::vector<KeyPairPaths>> configured_sources(const config::Config &config,
                                                                   int64_t now);

} // namespace rcommerce::tls
