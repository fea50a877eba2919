// The certificate store under `[tls.lets_encrypt] cache_dir`.
//
// Layout (shared with `serve`, which loads every folder holding cert.pem):
//   <root>/<first name, "*" as "_wildcard_">/{cert,chain,fullchain,privkey}.pem,
//                                           meta.json
//   <root>/accounts/<hash of directory URL and e-mail>/{account.json,key.pem}
//   <root>/http-01/<token>       key authorizations a running `serve` answers
//   <root>/locks/<folder>.lock   one per certificate, see CertLock
//
// Every file is written atomically (temporary file, fsync, rename, fsync of
// the folder), and keys are 0600 whatever the umask. A certificate's files
// are renamed into place one after another after all are on disk; a crash
// between two of those renames (microseconds) can pair a new key with the
// old certificate, which `load` detects (key_matches) rather than hides.
#pragma once

#include "core/acme/x509.hpp"
#include "core/util/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rcommerce::acme {

// Writes `content` to `path` atomically with the given mode.
[[nodiscard]] Status write_file_atomic(const std::filesystem::path &path, std::string_view content,
                                       unsigned mode);
[[nodiscard]] Result<std::string> read_file(const std::filesystem::path &path);

// How a certificate was obtained, so that `cert renew` can do it again.
struct CertMeta {
    std::vector<std::string> names; // A-labels, as on the order
    std::string issuer;
    std::string serial_hex;
    int64_t not_before = 0;
    int64_t not_after = 0;
    std::string directory_url;
    std::string ca_file;
    std::string email;
    std::string key_type;
    std::string challenge; // "http-01" | "dns-01"
    std::string http_mode; // "standalone" | "webroot" | "serve"
    int64_t http_port = 80;
    std::string webroot;
    std::string dns_hook;
    std::string preferred_chain;
    bool revoked = false;
};

[[nodiscard]] nlohmann::json meta_to_json(const CertMeta &meta);
[[nodiscard]] std::optional<CertMeta> meta_from_json(std::string_view text);

struct StoredCertificate {
    std::filesystem::path folder;
    CertMeta meta;
    bool key_matches = false;
};

// Holds `<root>/locks/<name>.lock` with flock(2) for its lifetime. A lock
// left by a dead process is free by construction (the kernel drops flock
// locks with their holder), whatever the file holds: a PID, nothing,
// garbage or NUL bytes. The holder's PID is written in for diagnostics.
class CertLock {
public:
    CertLock(CertLock &&other) noexcept;
    CertLock &operator=(CertLock &&) = delete;
    ~CertLock();

    // Fails with `certificate_locked` naming the holder when it is taken.
    [[nodiscard]] static Result<CertLock> acquire(const std::filesystem::path &file);

private:
    explicit CertLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

struct StoredAccount {
    std::string url; // the kid
    std::string key_pem;
};

class CertStore {
public:
    explicit CertStore(std::filesystem::path root) : m_root(std::move(root)) {}

    [[nodiscard]] const std::filesystem::path &root() const { return m_root; }
    [[nodiscard]] std::filesystem::path folder_for(std::string_view first_name) const;
    [[nodiscard]] std::filesystem::path challenge_dir() const { return m_root / "http-01"; }

    [[nodiscard]] Result<CertLock> lock(std::string_view folder) const;

    // Writes the four PEM files and meta.json of one certificate.
    [[nodiscard]] Status save(const std::filesystem::path &folder, const std::string &leaf,
                              const std::string &chain, const std::string &key_pem,
                              const CertMeta &meta) const;
    [[nodiscard]] Result<StoredCertificate> load(const std::filesystem::path &folder) const;
    // Every certificate folder, sorted by name; unreadable ones as errors.
    [[nodiscard]] std::vector<Result<StoredCertificate>> list() const;
    // The certificate folders (those holding cert.pem), sorted: what list()
    // loads, for callers that must name a folder whose files are broken.
    [[nodiscard]] std::vector<std::filesystem::path> folders() const;

    // The stored account key, with its URL when account.json is intact
    // (an empty url otherwise); nullopt without a key file.
    [[nodiscard]] std::optional<StoredAccount> load_account(const std::string &directory_url,
                                                            const std::string &email) const;
    // Stores a key about to be registered, before the CA sees it. An
    // unreadable key file found there is renamed aside, never overwritten,
    // and the account.json of the key it replaces is removed.
    [[nodiscard]] Status save_new_account_key(const std::string &directory_url,
                                              const std::string &email,
                                              const std::string &key_pem) const;
    [[nodiscard]] Status save_account(const std::string &directory_url, const std::string &email,
                                      const StoredAccount &account) const;

private:
    [[nodiscard]] std::filesystem::path account_dir(const std::string &directory_url,
                                                    const std::string &email) const;
    std::filesystem::path m_root;
};

} // namespace rcommerce::acme
