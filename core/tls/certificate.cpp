#include "core/tls/certificate.hpp"

#include "core/log/log.hpp"
#include "core/util/strings.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace rcommerce::tls {
namespace {

struct BioFree {
    void operator()(BIO *b) const { BIO_free(b); }
};
struct X509Free {
    void operator()(X509 *x) const { X509_free(x); }
};
struct KeyFree {
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
struct ChainFree {
    void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
struct NamesFree {
    void operator()(GENERAL_NAMES *n) const { GENERAL_NAMES_free(n); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using ChainPtr = std::unique_ptr<STACK_OF(X509), ChainFree>;

// The newest OpenSSL error as text, and the queue cleared.
std::string openssl_reason()
{
    unsigned long code = ERR_peek_last_error();
    std::string text = "unknown OpenSSL error";
    if (code != 0) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        text = buffer;
    }
    ERR_clear_error();
    return text;
}

Error load_error(const fs::path &file, std::string why, std::string hint = {})
{
    return make_error(ErrorKind::validation, "tls_certificate_invalid",
                      "loading TLS certificate " + file.string(), std::move(why), std::move(hint));
}

int64_t asn1_to_unix(const ASN1_TIME *time)
{
    struct tm parts = {};
    if (ASN1_TIME_to_tm(time, &parts) != 1) {
        return 0;
    }
    return static_cast<int64_t>(timegm(&parts));
}

std::vector<std::string> names_of(X509 *leaf)
{
    std::vector<std::string> out;
    std::unique_ptr<GENERAL_NAMES, NamesFree> sans(static_cast<GENERAL_NAMES *>(
        X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
    if (sans) {
        for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i) {
            const GENERAL_NAME *name = sk_GENERAL_NAME_value(sans.get(), i);
            if (name->type == GEN_DNS) {
                const auto *text = ASN1_STRING_get0_data(name->d.dNSName);
                out.push_back(util::to_lower(std::string_view(
                    reinterpret_cast<const char *>(text), ASN1_STRING_length(name->d.dNSName))));
            } else if (name->type == GEN_IPADD) {
                const auto *bytes = ASN1_STRING_get0_data(name->d.iPAddress);
                int length = ASN1_STRING_length(name->d.iPAddress);
                char text[64] = {};
                if (length == 4) {
                    std::snprintf(text, sizeof text, "%d.%d.%d.%d", bytes[0], bytes[1], bytes[2],
                                  bytes[3]);
                    out.emplace_back(text);
                } else if (length == 16 &&
                           std::all_of(bytes, bytes + 15, [](unsigned char b) { return b == 0; }) &&
                           bytes[15] == 1) {
                    out.emplace_back("::1");
                }
            }
        }
        return out;
    }
    // RFC 6125 section 6.4.4: the CN only counts when there is no SAN.
    char common_name[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, common_name,
                                  sizeof common_name) > 0) {
        out.push_back(util::to_lower(common_name));
    }
    return out;
}

Result<ChainPtr> read_chain(const fs::path &cert_file)
{
    BioPtr bio(BIO_new_file(cert_file.c_str(), "r"));
    if (!bio) {
        return load_error(cert_file, "cannot be read: " + openssl_reason());
    }
    ChainPtr chain(sk_X509_new_null());
    while (X509 *cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        sk_X509_push(chain.get(), cert);
    }
    ERR_clear_error(); // the read that ended the loop leaves "no start line"
    if (sk_X509_num(chain.get()) == 0) {
        return load_error(cert_file, "holds no PEM certificate",
                          "the file must start with -----BEGIN CERTIFICATE-----");
    }
    return chain;
}

Result<KeyPtr> read_key(const fs::path &key_file)
{
    BioPtr bio(BIO_new_file(key_file.c_str(), "r"));
    if (!bio) {
        return load_error(key_file, "cannot be read: " + openssl_reason());
    }
    KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        return load_error(key_file, "holds no readable PEM private key: " + openssl_reason(),
                          "encrypted keys are not supported; store the key unencrypted, 0600");
    }
    return key;
}

bool host_matches(std::string_view pattern, std::string_view host)
{
    if (pattern == host) {
        return true;
    }
    // A wildcard stands for exactly one left-most label (RFC 6125 6.4.3).
    if (pattern.size() > 2 && pattern.substr(0, 2) == "*.") {
        auto dot = host.find('.');
        return dot != std::string_view::npos && dot > 0 && host.substr(dot) == pattern.substr(1);
    }
    return false;
}

} // namespace

Certificate::Certificate(X509 *leaf, STACK_OF(X509) * chain, EVP_PKEY *key)
    : m_leaf(leaf), m_chain(chain), m_key(key), m_names(names_of(leaf)),
      m_not_after(asn1_to_unix(X509_get0_notAfter(leaf)))
{
}

Certificate::~Certificate()
{
    X509_free(m_leaf);
    sk_X509_pop_free(m_chain, X509_free);
    EVP_PKEY_free(m_key);
}

bool Certificate::matches(std::string_view host) const
{
    return std::any_of(m_names.begin(), m_names.end(),
                       [&](const std::string &name) { return host_matches(name, host); });
}

Result<CertificatePtr> load_certificate(const fs::path &cert_file, const fs::path &key_file,
                                        int64_t now)
{
    auto chain = read_chain(cert_file);
    if (!chain) {
        return chain.error();
    }
    auto key = read_key(key_file);
    if (!key) {
        return key.error();
    }
    X509Ptr leaf(sk_X509_shift(chain->get()));
    if (X509_check_private_key(leaf.get(), key->get()) != 1) {
        ERR_clear_error();
        return load_error(cert_file,
                          "the private key in " + key_file.string() +
                              " does not belong to this certificate",
                          "install the key that was used for the certificate's CSR");
    }
    int64_t not_before = asn1_to_unix(X509_get0_notBefore(leaf.get()));
    int64_t not_after = asn1_to_unix(X509_get0_notAfter(leaf.get()));
    if (now < not_before) {
        return load_error(cert_file, "not valid before " + std::to_string(not_before),
                          "check the system clock");
    }
    if (now >= not_after) {
        return load_error(cert_file, "expired", "renew it: rcommerce cert renew");
    }
    return std::make_shared<const Certificate>(leaf.release(), chain->release(), key->release());
}

Result<KeyPairPaths> ensure_development_certificate(const fs::path &data_dir, int64_t now,
                                                    bool &created)
{
    KeyPairPaths paths{data_dir / "dev-cert.pem", data_dir / "dev-key.pem"};
    created = false;
    if (auto existing = load_certificate(paths.cert_file, paths.key_file, now + 86400)) {
        return paths;
    }
    auto fail = [&](const std::string &why) {
        return make_error(ErrorKind::internal, "tls_dev_certificate",
                          "creating the development certificate in " + data_dir.string(), why,
                          "make server.data_dir writable, or set tls.cert_file and key_file");
    };
    std::error_code ec;
    fs::create_directories(data_dir, ec);
    if (ec) {
        return fail(ec.message());
    }

    KeyPtr key(EVP_EC_gen("P-256"));
    X509Ptr cert(X509_new());
    if (!key || !cert) {
        return fail(openssl_reason());
    }
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f; // a positive INTEGER (RFC 5280 4.1.2.2)
    BIGNUM *serial_bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(serial_bn, X509_get_serialNumber(cert.get()));
    BN_free(serial_bn);
    ASN1_TIME_set(X509_getm_notBefore(cert.get()), now - 300);
    ASN1_TIME_set(X509_getm_notAfter(cert.get()), now + 90 * 86400);
    X509_NAME *name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    const std::pair<int, const char *> extensions[] = {
        {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, "critical,digitalSignature"},
        {NID_ext_key_usage, "serverAuth"},
    };
    for (const auto &[nid, value] : extensions) {
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        if (ext == nullptr) {
            return fail(openssl_reason());
        }
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
        return fail(openssl_reason());
    }

    // The key is written 0600 from the start: open() with the mode, not chmod.
    auto key_tmp = paths.key_file.string() + ".tmp";
    int fd = ::open(key_tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *key_out = fd < 0 ? nullptr : fdopen(fd, "w");
    if (key_out == nullptr) {
        return fail("cannot write " + key_tmp);
    }
    bool key_ok =
        PEM_write_PrivateKey(key_out, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
    key_ok = (std::fclose(key_out) == 0) && key_ok;
    auto cert_tmp = paths.cert_file.string() + ".tmp";
    FILE *cert_out = std::fopen(cert_tmp.c_str(), "w");
    bool cert_ok = cert_out != nullptr && PEM_write_X509(cert_out, cert.get()) == 1;
    cert_ok = cert_out != nullptr && (std::fclose(cert_out) == 0) && cert_ok;
    if (!key_ok || !cert_ok) {
        return fail("cannot write the certificate files");
    }
    fs::rename(key_tmp, paths.key_file, ec);
    if (!ec) {
        fs::rename(cert_tmp, paths.cert_file, ec);
    }
    if (ec) {
        return fail(ec.message());
    }
    created = true;
    return paths;
}

std::vector<KeyPairPaths> acme_store_certificates(const fs::path &cache_dir)
{
    std::vector<KeyPairPaths> out;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(cache_dir, ec)) {
        auto fullchain = entry.path() / "fullchain.pem";
        auto privkey = entry.path() / "privkey.pem";
        // Dot folders are the ACME store's staging folders, never served.
        bool staging = entry.path().filename().string().rfind('.', 0) == 0;
        if (!staging && entry.is_directory() && fs::exists(fullchain) && fs::exists(privkey)) {
            out.push_back({fullchain, privkey});
        }
    }
    std::sort(out.begin(), out.end(), [](const KeyPairPaths &a, const KeyPairPaths &b) {
        return a.cert_file < b.cert_file;
    });
    return out;
}

CertificateStore::CertificateStore(std::vector<KeyPairPaths> sources)
{
    for (auto &paths : sources) {
        m_sources.push_back({std::move(paths), nullptr, {}, {}});
    }
}

CertificateStore::Stamp CertificateStore::stamp(const fs::path &path)
{
    struct stat info = {};
    if (::stat(path.c_str(), &info) != 0) {
        return {};
    }
    return {static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec,
            static_cast<uintmax_t>(info.st_size), static_cast<uintmax_t>(info.st_ino)};
}

Status CertificateStore::load_all(int64_t now)
{
    std::lock_guard lock(m_mutex);
    if (m_sources.empty()) {
        return make_error(ErrorKind::validation, "tls_no_certificate",
                          "starting the HTTPS listener", "no certificate to serve",
                          "set tls.cert_file and tls.key_file, or run rcommerce cert issue");
    }
    for (auto &source : m_sources) {
        source.cert_stamp = stamp(source.paths.cert_file);
        source.key_stamp = stamp(source.paths.key_file);
        auto loaded = load_certificate(source.paths.cert_file, source.paths.key_file, now);
        if (!loaded) {
            return loaded.error();
        }
        source.current = *loaded;
    }
    return ok_status();
}

size_t CertificateStore::reload(int64_t now)
{
    size_t replaced = 0;
    for (size_t i = 0;; ++i) {
        KeyPairPaths paths;
        Stamp cert_stamp, key_stamp;
        {
            std::lock_guard lock(m_mutex);
            if (i >= m_sources.size()) {
                break;
            }
            paths = m_sources[i].paths;
            cert_stamp = stamp(paths.cert_file);
            key_stamp = stamp(paths.key_file);
            if (cert_stamp == m_sources[i].cert_stamp && key_stamp == m_sources[i].key_stamp) {
                continue;
            }
            m_sources[i].cert_stamp = cert_stamp;
            m_sources[i].key_stamp = key_stamp;
        }
        // Parsing happens outside the lock so handshakes never wait on disk.
        auto loaded = load_certificate(paths.cert_file, paths.key_file, now);
        if (!loaded) {
            log::error("refused a replaced TLS certificate; still serving the previous one",
                       {{"file", paths.cert_file.string()},
                        {"why", loaded.error().why},
                        {"hint", loaded.error().hint}});
            continue;
        }
        std::lock_guard lock(m_mutex);
        m_sources[i].current = *loaded;
        ++replaced;
        log::info("serving a replaced TLS certificate",
                  {{"file", paths.cert_file.string()}, {"not_after", (*loaded)->not_after()}});
    }
    return replaced;
}

CertificatePtr CertificateStore::select(std::string_view server_name) const
{
    std::string host = util::to_lower(server_name);
    std::lock_guard lock(m_mutex);
    CertificatePtr fallback;
    for (const auto &source : m_sources) {
        if (!source.current) {
            continue;
        }
        if (!fallback) {
            fallback = source.current;
        }
        if (!host.empty() && source.current->matches(host)) {
            return source.current;
        }
    }
    return fallback;
}

std::vector<CertificatePtr> CertificateStore::all() const
{
    std::lock_guard lock(m_mutex);
    std::vector<CertificatePtr> out;
    for (const auto &source : m_sources) {
        if (source.current) {
            out.push_back(source.current);
        }
    }
    return out;
}

Result<std::vector<KeyPairPaths>> configured_sources(const config::Config &config, int64_t now)
{
    const auto &tls = config.tls;
    if (!tls.cert_file.empty()) {
        return std::vector<KeyPairPaths>{{tls.cert_file, tls.key_file}};
    }
    auto acme = acme_store_certificates(tls.lets_encrypt.cache_dir);
    if (!acme.empty()) {
        return acme;
    }
    if (config.server.production) {
        return make_error(ErrorKind::validation, "tls_no_certificate",
                          "starting the HTTPS listener",
                          "server.production is true and no certificate is configured (tls."
                          "cert_file is empty and " +
                              tls.lets_encrypt.cache_dir + " holds no certificate)",
                          "set tls.cert_file and tls.key_file, or run rcommerce cert issue");
    }
    bool created = false;
    auto dev = ensure_development_certificate(config.server.data_dir, now, created);
    if (!dev) {
        return dev.error();
    }
    log::info(created ? "created a self-signed development certificate for localhost"
                      : "using the self-signed development certificate for localhost",
              {{"cert_file", dev->cert_file.string()},
               {"note", "browsers will warn; set server.production = true in production"}});
    return std::vector<KeyPairPaths>{*dev};
}

bool CertificateStore::use_sources(const std::vector<KeyPairPaths> &sources, int64_t now)
{
    std::vector<Source> next;
    bool any_loaded = false;
    bool changed = false;
    for (const auto &paths : sources) {
        {
            std::lock_guard lock(m_mutex);
            auto it = std::find_if(m_sources.begin(), m_sources.end(), [&](const Source &s) {
                return s.paths.cert_file == paths.cert_file && s.paths.key_file == paths.key_file;
            });
            if (it != m_sources.end()) {
                any_loaded = any_loaded || it->current != nullptr;
                next.push_back(*it);
                continue;
            }
        }
        Source source{paths, nullptr, stamp(paths.cert_file), stamp(paths.key_file)};
        auto stamps = std::make_pair(source.cert_stamp, source.key_stamp);
        {
            std::lock_guard lock(m_mutex);
            auto refused = m_refused.find(paths.cert_file.string());
            if (refused != m_refused.end() && refused->second == stamps) {
                continue; // refused before and unchanged since: no log every poll
            }
        }
        changed = true;
        auto loaded = load_certificate(paths.cert_file, paths.key_file, now);
        if (loaded) {
            source.current = *loaded;
            any_loaded = true;
            log::info("serving a new TLS certificate",
                      {{"file", paths.cert_file.string()}, {"not_after", (*loaded)->not_after()}});
        } else {
            log::error("refused a new TLS certificate",
                       {{"file", paths.cert_file.string()}, {"why", loaded.error().why}});
            std::lock_guard lock(m_mutex);
            m_refused[paths.cert_file.string()] = stamps;
            continue;
        }
        next.push_back(std::move(source));
    }
    std::lock_guard lock(m_mutex);
    changed = changed || next.size() != m_sources.size();
    if (!any_loaded || !changed) {
        return false;
    }
    m_sources = std::move(next);
    return true;
}

Status check_ca_file(const fs::path &file, const std::string &what)
{
    std::error_code ec;
    if (fs::is_directory(file, ec)) {
        return make_error(ErrorKind::validation, "ca_file_invalid", what, "is a folder",
                          "name a PEM file of CA certificates");
    }
    auto chain = read_chain(file);
    if (!chain) {
        return make_error(ErrorKind::validation, "ca_file_invalid", what, chain.error().why,
                          "name a PEM file of CA certificates (-----BEGIN CERTIFICATE-----)");
    }
    return ok_status();
}

} // namespace rcommerce::tls
