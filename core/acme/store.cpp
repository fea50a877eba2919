#include "core/acme/store.hpp"

#include "core/acme/crypto.hpp"
#include "core/acme/names.hpp"

#include <fcntl.h>
#include <stdio.h> // renameat2
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>

namespace rcommerce::acme {

namespace fs = std::filesystem;

namespace {

Error io_error(const std::string &what, const fs::path &path, int err)
{
    return make_error(ErrorKind::internal, "store_io_failed", what + " " + path.string(),
                      std::strerror(err), "check the permissions of tls.lets_encrypt.cache_dir");
}

Status fsync_dir(const fs::path &dir)
{
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return io_error("opening folder", dir, errno);
    }
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
        return io_error("syncing folder", dir, err);
    }
    return ok_status();
}

Status make_dirs(const fs::path &dir)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return io_error("creating folder", dir, ec.value());
    }
    return ok_status();
}

std::string temp_name(const fs::path &path)
{
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::ostringstream out;
    out << "." << path.filename().string() << ".tmp." << ::getpid() << "." << std::hex << rng();
    return (path.parent_path() / out.str()).string();
}

// Writes a temporary sibling of `path` and syncs it; the caller renames.
Result<std::string> write_temp(const fs::path &path, std::string_view content, unsigned mode)
{
    std::string temp = temp_name(path);
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        return io_error("creating", temp, errno);
    }
    // open() applied the umask; the mode must hold whatever the umask is.
    bool ok = ::fchmod(fd, mode) == 0;
    size_t done = 0;
    while (ok && done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        done += ok ? static_cast<size_t>(n) : 0;
    }
    ok = ok && ::fsync(fd) == 0;
    int err = errno;
    ::close(fd);
    if (!ok) {
        ::unlink(temp.c_str());
        return io_error("writing", temp, err);
    }
    return temp;
}

Status rename_into_place(const std::string &temp, const fs::path &path)
{
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(temp.c_str());
        return io_error("renaming into", path, err);
    }
    return ok_status();
}

std::string hex(std::string_view bytes)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

} // namespace

Status write_file_atomic(const fs::path &path, std::string_view content, unsigned mode)
{
    if (auto made = make_dirs(path.parent_path()); !made) {
        return made;
    }
    auto temp = write_temp(path, content, mode);
    if (!temp) {
        return std::move(temp).error();
    }
    if (auto renamed = rename_into_place(*temp, path); !renamed) {
        return renamed;
    }
    return fsync_dir(path.parent_path());
}

Result<std::string> read_file(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error(ErrorKind::not_found, "store_file_missing", "reading " + path.string(),
                          std::strerror(errno));
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

nlohmann::json meta_to_json(const CertMeta &m)
{
    return {{"names", m.names},
            {"issuer", m.issuer},
            {"serial", m.serial_hex},
            {"not_before", m.not_before},
            {"not_after", m.not_after},
            {"directory_url", m.directory_url},
            {"ca_file", m.ca_file},
            {"email", m.email},
            {"key_type", m.key_type},
            {"challenge", m.challenge},
            {"http_mode", m.http_mode},
            {"http_port", m.http_port},
            {"webroot", m.webroot},
            {"dns_hook", m.dns_hook},
            {"preferred_chain", m.preferred_chain},
            {"revoked", m.revoked}};
}

std::optional<CertMeta> meta_from_json(std::string_view text)
{
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return std::nullopt;
    }
    CertMeta m;
    auto str = [&](const char *key) { return doc.value(key, std::string()); };
    auto num = [&](const char *key, int64_t fallback) {
        auto it = doc.find(key);
        return it != doc.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
    };
    if (auto names = doc.find("names"); names != doc.end() && names->is_array()) {
        for (const auto &name : *names) {
            if (name.is_string()) {
                m.names.push_back(name.get<std::string>());
            }
        }
    }
    if (m.names.empty()) {
        return std::nullopt;
    }
    try {
        m.issuer = str("issuer");
        m.serial_hex = str("serial");
        m.directory_url = str("directory_url");
        m.ca_file = str("ca_file");
        m.email = str("email");
        m.key_type = str("key_type");
        m.challenge = str("challenge");
        m.http_mode = str("http_mode");
        m.webroot = str("webroot");
        m.dns_hook = str("dns_hook");
        m.preferred_chain = str("preferred_chain");
    } catch (const nlohmann::json::exception &) {
        return std::nullopt; // a member of the wrong type
    }
    m.not_before = num("not_before", 0);
    m.not_after = num("not_after", 0);
    m.http_port = num("http_port", 80);
    auto revoked = doc.find("revoked");
    m.revoked = revoked != doc.end() && revoked->is_boolean() && revoked->get<bool>();
    return m;
}

CertLock::CertLock(CertLock &&other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

CertLock::~CertLock()
{
    if (m_fd >= 0) {
        ::close(m_fd); // releases the flock
    }
}

Result<CertLock> CertLock::acquire(const fs::path &file)
{
    if (auto made = make_dirs(file.parent_path()); !made) {
        return std::move(made).error();
    }
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return io_error("opening lock", file, errno);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        char buffer[32] = {};
        ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
        ::close(fd);
        if (err != EWOULDBLOCK) {
            return io_error("locking", file, err);
        }
        std::string holder = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "unknown";
        holder.erase(
            std::remove_if(holder.begin(), holder.end(), [](char c) { return c < '0' || c > '9'; }),
            holder.end());
        return make_error(ErrorKind::conflict, "certificate_locked", "locking " + file.string(),
                          "another renewer (pid " + (holder.empty() ? "unknown" : holder) +
                              ") is working on this certificate",
                          "wait for it to finish; the lock frees itself when that process ends");
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        // The PID is only a diagnostic; holding the flock is what counts.
    }
    return CertLock(fd);
}

fs::path CertStore::folder_for(std::string_view first_name) const
{
    return m_root / folder_name(first_name);
}

Result<CertLock> CertStore::lock(std::string_view folder) const
{
    return CertLock::acquire(m_root / "locks" / (std::string(folder) + ".lock"));
}

Status CertStore::save(const fs::path &folder, const std::string &leaf, const std::string &chain,
                       const std::string &key_pem, const CertMeta &meta) const
{
    fs::path parent = folder.parent_path();
    if (auto made = make_dirs(parent); !made) {
        return made;
    }
    // Staging folders of a process killed mid-save hold private keys; the
    // caller holds the certificate's lock, so none of them is in use.
    // Only this certificate's: ".<name>.new.tmp.<pid>.<hex>", exactly.
    std::string prefix = "." + folder.filename().string() + ".new.tmp.";
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(parent, ec)) {
        std::string name = entry.path().filename().string();
        std::string rest = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : "";
        if (std::count(rest.begin(), rest.end(), '.') == 1 &&
            rest.find_first_not_of("0123456789abcdef.") == std::string::npos) {
            fs::remove_all(entry.path(), ec);
        }
    }
    // The new version is written whole into a staging folder, then swapped
    // with the old folder in one rename: a reader (serve) or a crash sees
    // either the old files or the new ones, never a new key next to an old
    // certificate.
    fs::path staging = temp_name(parent / (folder.filename().string() + ".new"));
    if (::mkdir(staging.c_str(), 0755) != 0 || ::chmod(staging.c_str(), 0755) != 0) {
        return io_error("creating folder", staging, errno);
    }
    const std::vector<std::tuple<std::string, std::string, unsigned>> files = {
        {"privkey.pem", key_pem, 0600},
        {"cert.pem", leaf, 0644},
        {"chain.pem", chain, 0644},
        {"fullchain.pem", leaf + chain, 0644},
        {"meta.json", meta_to_json(meta).dump(2) + "\n", 0644}};
    auto give_up = [&](Status status) {
        fs::remove_all(staging, ec);
        return status;
    };
    for (const auto &[name, content, mode] : files) {
        auto temp = write_temp(staging / name, content, mode);
        if (!temp) {
            return give_up(std::move(temp).error());
        }
        if (auto renamed = rename_into_place(*temp, staging / name); !renamed) {
            return give_up(renamed);
        }
    }
    if (auto synced = fsync_dir(staging); !synced) {
        return give_up(synced);
    }
    struct stat info = {};
    bool exists = ::lstat(folder.c_str(), &info) == 0;
    if (exists && S_ISLNK(info.st_mode)) {
        // An operator's symlinked certificate folder stays a symlink: its
        // files are replaced one by one in the folder it points to.
        for (const auto &[name, content, mode] : files) {
            if (auto written = write_file_atomic(folder / name, content, mode); !written) {
                return give_up(written);
            }
        }
        return give_up(ok_status());
    }
    int rc = exists
                 ? ::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, folder.c_str(), RENAME_EXCHANGE)
                 : ::rename(staging.c_str(), folder.c_str());
    if (rc != 0) {
        return give_up(io_error("moving the new certificate into", folder, errno));
    }
    // After an exchange the staging path holds the old version.
    fs::remove_all(staging, ec);
    return fsync_dir(parent);
}

Result<StoredCertificate> CertStore::load(const fs::path &folder) const
{
    auto meta_text = read_file(folder / "meta.json");
    auto cert = read_file(folder / "cert.pem");
    auto key = read_file(folder / "privkey.pem");
    if (!meta_text || !cert || !key) {
        return make_error(ErrorKind::not_found, "certificate_incomplete",
                          "reading certificate " + folder.string(),
                          "meta.json, cert.pem or privkey.pem is missing or unreadable");
    }
    auto meta = meta_from_json(*meta_text);
    if (!meta) {
        return make_error(ErrorKind::internal, "certificate_meta_invalid",
                          "reading " + (folder / "meta.json").string(), "not valid metadata");
    }
    // The certificate itself is the truth for dates and names.
    if (auto info = read_certificate(*cert)) {
        meta->not_before = info->not_before;
        meta->not_after = info->not_after;
        meta->serial_hex = info->serial_hex;
        meta->issuer = info->issuer;
    }
    return StoredCertificate{folder, std::move(*meta), key_matches_certificate(*key, *cert)};
}

std::vector<fs::path> CertStore::folders() const
{
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(m_root, ec)) {
        // Dot folders are a save in progress, or one a crash interrupted.
        if (entry.path().filename().string().rfind('.', 0) != 0 && entry.is_directory() &&
            fs::exists(entry.path() / "cert.pem")) {
            found.push_back(entry.path());
        }
    }
    std::sort(found.begin(), found.end());
    return found;
}

std::vector<Result<StoredCertificate>> CertStore::list() const
{
    std::vector<Result<StoredCertificate>> out;
    for (const auto &folder : folders()) {
        out.push_back(load(folder));
    }
    return out;
}

fs::path CertStore::account_dir(const std::string &directory_url, const std::string &email) const
{
    return m_root / "accounts" / hex(sha256(directory_url + "\n" + email)).substr(0, 24);
}

std::optional<StoredAccount> CertStore::load_account(const std::string &directory_url,
                                                     const std::string &email) const
{
    fs::path dir = account_dir(directory_url, email);
    auto key = read_file(dir / "key.pem");
    if (!key) {
        return std::nullopt;
    }
    auto text = read_file(dir / "account.json");
    auto doc = nlohmann::json::parse(text ? *text : std::string(), nullptr, false);
    auto text_of = [&doc](const char *name) {
        auto it = doc.find(name);
        return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    bool intact =
        !doc.is_discarded() && doc.is_object() && text_of("directory_url") == directory_url;
    return StoredAccount{intact ? text_of("url") : std::string(), *key};
}

Status CertStore::save_new_account_key(const std::string &directory_url, const std::string &email,
                                       const std::string &key_pem) const
{
    fs::path dir = account_dir(directory_url, email);
    std::error_code ec;
    if (fs::exists(dir / "key.pem", ec)) {
        fs::path aside = dir / ("key.pem.unreadable." + std::to_string(::time(nullptr)));
        if (::rename((dir / "key.pem").c_str(), aside.c_str()) != 0) {
            return io_error("setting aside the unreadable account key", dir / "key.pem", errno);
        }
    }
    if (::unlink((dir / "account.json").c_str()) != 0 && errno != ENOENT) {
        return io_error("removing", dir / "account.json", errno);
    }
    return write_file_atomic(dir / "key.pem", key_pem, 0600);
}

Status CertStore::save_account(const std::string &directory_url, const std::string &email,
                               const StoredAccount &account) const
{
    fs::path dir = account_dir(directory_url, email);
    if (auto key = write_file_atomic(dir / "key.pem", account.key_pem, 0600); !key) {
        return key;
    }
    nlohmann::json doc = {{"directory_url", directory_url}, {"email", email}, {"url", account.url}};
    return write_file_atomic(dir / "account.json", doc.dump(2) + "\n", 0600);
}

} // namespace rcommerce::acme
