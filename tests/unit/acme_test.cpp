// Unit tests for core/acme: base64url, JWS signatures checked with OpenSSL,
// problem/Link/Retry-After/directory parsing, the renewal rule, IDNs, the
// store's locks and atomic files, and the order flow against a scripted CA.
#include "core/acme/challenge.hpp"
#include "core/acme/crypto.hpp"
#include "core/acme/issue.hpp"
#include "core/acme/names.hpp"
#include "core/acme/protocol.hpp"
#include "core/acme/renewal.hpp"
#include "core/acme/store.hpp"

#include "tests/unit/loopback.hpp"
#include <doctest/doctest.h>

#include <fcntl.h>
#include <httplib.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

using namespace rcommerce;
using namespace rcommerce::acme;
namespace fs = std::filesystem;

namespace {

constexpr int64_t k_day = 86400;

// A fresh folder per test, removed when the test passes.
class TempDir {
public:
    TempDir()
    {
        std::string pattern = (fs::temp_directory_path() / "rc-acme-unit.XXXXXX").string();
        m_path = ::mkdtemp(pattern.data());
    }
    ~TempDir()
    {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    const fs::path &path() const { return m_path; }

private:
    fs::path m_path;
};

nlohmann::json decode_json(const std::string &b64)
{
    return nlohmann::json::parse(base64url_decode(b64).value());
}

// Verifies a JOSE ES256/RS256 signature with OpenSSL directly.
bool verify_jws(const AccountKey &key, const nlohmann::json &jws)
{
    std::string input =
        jws["protected"].get<std::string>() + "." + jws["payload"].get<std::string>();
    std::string signature = base64url_decode(jws["signature"].get<std::string>()).value();
    std::string der = signature;
    if (key.alg() == "ES256") {
        if (signature.size() != 64) {
            return false;
        }
        ECDSA_SIG *sig = ECDSA_SIG_new();
        auto *raw = reinterpret_cast<const unsigned char *>(signature.data());
        ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
        unsigned char *out = nullptr;
        int size = i2d_ECDSA_SIG(sig, &out);
        der.assign(reinterpret_cast<char *>(out), static_cast<size_t>(size));
        OPENSSL_free(out);
        ECDSA_SIG_free(sig);
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok =
        EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.pkey()) == 1 &&
        EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(der.data()), der.size(),
                         reinterpret_cast<const unsigned char *>(input.data()), input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

} // namespace

TEST_CASE("base64url encodes without padding and decodes strictly")
{
    CHECK(base64url_encode("") == "");
    CHECK(base64url_encode("f") == "Zg");
    CHECK(base64url_encode("fo") == "Zm8");
    CHECK(base64url_encode("foo") == "Zm9v");
    CHECK(base64url_encode("foobar") == "Zm9vYmFy");
    CHECK(base64url_encode("\xfb\xff\xbf") == "-_-_");
    CHECK(base64url_decode("-_-_") == std::optional<std::string>("\xfb\xff\xbf"));
    CHECK(base64url_decode("Zm9vYmE") == std::optional<std::string>("fooba"));
    CHECK_FALSE(base64url_decode("Zg==").has_value());
    CHECK_FALSE(base64url_decode("Zm9v+/").has_value());
    CHECK_FALSE(base64url_decode("Z").has_value());
    CHECK_FALSE(base64url_decode("Zh").has_value()); // non-zero leftover bits
}

TEST_CASE("an ES256 JWS is flattened JSON with a raw r||s signature OpenSSL verifies")
{
    auto key = AccountKey::generate(KeyType::ecdsa_p256);
    REQUIRE(key.ok());
    CHECK(key->alg() == "ES256");
    auto jws = make_jws(*key, Signer::jwk, "", "nonce-1", "https://ca/new-acct",
                        nlohmann::json{{"termsOfServiceAgreed", true}});
    REQUIRE(jws.ok());
    CHECK(jws->size() == 3);
    auto header = decode_json((*jws)["protected"]);
    CHECK(header["alg"] == "ES256");
    CHECK(header["nonce"] == "nonce-1");
    CHECK(header["url"] == "https://ca/new-acct");
    CHECK(header["jwk"]["crv"] == "P-256");
    CHECK_FALSE(header.contains("kid"));
    CHECK(base64url_decode(header["jwk"]["x"].get<std::string>())->size() == 32);
    CHECK(decode_json((*jws)["payload"])["termsOfServiceAgreed"] == true);
    CHECK(verify_jws(*key, *jws));

    auto tampered = *jws;
    tampered["payload"] = base64url_encode("{}");
    CHECK_FALSE(verify_jws(*key, tampered));
}

TEST_CASE("an RS256 JWS with kid verifies, and POST-as-GET has an empty payload")
{
    auto key = AccountKey::generate(KeyType::rsa_2048);
    REQUIRE(key.ok());
    CHECK(key->alg() == "RS256");
    auto jws =
        make_jws(*key, Signer::kid, "https://ca/acct/1", "n2", "https://ca/order/1", nullptr);
    REQUIRE(jws.ok());
    auto header = decode_json((*jws)["protected"]);
    CHECK(header["kid"] == "https://ca/acct/1");
    CHECK_FALSE(header.contains("jwk"));
    CHECK((*jws)["payload"] == "");
    CHECK(verify_jws(*key, *jws));
}

TEST_CASE("the thumbprint hashes the JWK's required members in sorted order")
{
    auto key = AccountKey::generate(KeyType::ecdsa_p256);
    REQUIRE(key.ok());
    const auto &jwk = key->jwk();
    std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" + jwk["x"].get<std::string>() +
                            R"(","y":")" + jwk["y"].get<std::string>() + R"("})";
    CHECK(key->thumbprint() == base64url_encode(sha256(canonical)));
    auto reloaded = AccountKey::from_pem(key->pem());
    REQUIRE(reloaded.ok());
    CHECK(reloaded->thumbprint() == key->thumbprint());
}

TEST_CASE("external account binding is an HS256 MAC over the account JWK")
{
    auto key = AccountKey::generate(KeyType::ecdsa_p256);
    REQUIRE(key.ok());
    std::string mac_key = "0123456789abcdef0123456789abcdef";
    auto eab = make_eab(*key, "kid-7", base64url_encode(mac_key), "https://ca/new-acct");
    REQUIRE(eab.ok());
    auto header = decode_json((*eab)["protected"]);
    CHECK(header["alg"] == "HS256");
    CHECK(header["kid"] == "kid-7");
    CHECK(header["url"] == "https://ca/new-acct");
    CHECK(decode_json((*eab)["payload"]) == key->jwk());
    std::string input =
        (*eab)["protected"].get<std::string>() + "." + (*eab)["payload"].get<std::string>();
    unsigned char mac[32];
    unsigned int size = 0;
    HMAC(EVP_sha256(), mac_key.data(), static_cast<int>(mac_key.size()),
         reinterpret_cast<const unsigned char *>(input.data()), input.size(), mac, &size);
    CHECK((*eab)["signature"] ==
          base64url_encode(std::string(reinterpret_cast<char *>(mac), size)));
    CHECK_FALSE(make_eab(*key, "kid-7", "not base64!", "u").ok());
}

TEST_CASE("problems are recognised by type, with detail and subproblems")
{
    auto problem = parse_problem(R"({
        "type": "urn:ietf:params:acme:error:rejectedIdentifier", "status": 400,
        "detail": "some names were refused",
        "subproblems": [{"type": "urn:ietf:params:acme:error:caa", "detail": "CAA forbids",
                         "identifier": {"type": "dns", "value": "a.example"}}, 7]})");
    REQUIRE(problem.has_value());
    CHECK(problem->is("rejectedIdentifier"));
    CHECK_FALSE(problem->is("badNonce"));
    CHECK(problem->status == 400);
    REQUIRE(problem->subproblems.size() == 1);
    CHECK(problem->subproblems[0].identifier == "a.example");
    CHECK(problem->describe() ==
          "rejectedIdentifier: some names were refused; a.example: caa: CAA forbids");

    // The type decides, not the text.
    auto nonce = parse_problem(R"({"type":"urn:ietf:params:acme:error:badNonce","detail":"x"})");
    REQUIRE(nonce.has_value());
    CHECK(nonce->is("badNonce"));
    auto lookalike = parse_problem(R"({"type":"about:blank","detail":"badNonce"})");
    REQUIRE(lookalike.has_value());
    CHECK_FALSE(lookalike->is("badNonce"));

    CHECK_FALSE(parse_problem("not json").has_value());
    CHECK_FALSE(parse_problem("[1]").has_value());
    CHECK_FALSE(parse_problem(R"({"type": 5})").has_value());
}

TEST_CASE("Link headers yield every target with its rel")
{
    auto links =
        parse_link_header(R"(<https://ca/cert/1/1>;rel="alternate", <https://ca/dir>; rel=index, )"
                          R"(<https://ca/x>; title="a, b; c"; rel="up")");
    REQUIRE(links.size() == 3);
    CHECK(links[0].uri == "https://ca/cert/1/1");
    CHECK(links[0].rel == "alternate");
    CHECK(links[1].rel == "index");
    CHECK(links[2].uri == "https://ca/x");
    CHECK(links[2].rel == "up");
    CHECK(parse_link_header("garbage").empty());
    CHECK(parse_link_header("<unterminated").empty());
}

TEST_CASE("Retry-After accepts seconds and HTTP dates")
{
    int64_t now = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT
    CHECK(parse_retry_after("120", now) == 120);
    CHECK(parse_retry_after(" 0 ", now) == 0);
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now) == 120);
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now) == 0);
    CHECK_FALSE(parse_retry_after("-5", now).has_value());
    CHECK_FALSE(parse_retry_after("soon", now).has_value());
}

TEST_CASE("the directory needs its three resources and reads meta")
{
    auto dir = parse_directory(R"({"newNonce":"n","newAccount":"a","newOrder":"o",
        "renewalInfo":"r","meta":{"externalAccountRequired":true,"termsOfService":"t"}})");
    REQUIRE(dir.has_value());
    CHECK(dir->external_account_required);
    CHECK(dir->renewal_info == "r");
    CHECK(dir->terms_of_service == "t");
    CHECK_FALSE(parse_directory(R"({"newAccount":"a","newOrder":"o"})").has_value());
    CHECK_FALSE(parse_directory(R"({"newNonce":1,"newAccount":"a","newOrder":"o"})"));
}

TEST_CASE("renewal follows the lifetime: 90-day, 45-day and 6-day certificates")
{
    int64_t start = 1'700'000'000;
    // 90 days: due with 30 days left.
    CHECK_FALSE(decide_renewal(start, start + 90 * k_day, start + 59 * k_day, 30).due);
    CHECK(decide_renewal(start, start + 90 * k_day, start + 61 * k_day, 30).due);
    // 45 days: a third is 15 days, earlier than 30 days would say.
    auto at_20 = decide_renewal(start, start + 45 * k_day, start + 20 * k_day, 30);
    CHECK_FALSE(at_20.due);
    CHECK(at_20.due_at == start + 30 * k_day);
    CHECK(decide_renewal(start, start + 45 * k_day, start + 31 * k_day, 30).due);
    // 6 days: not due on every run, only in the last two days.
    CHECK_FALSE(decide_renewal(start, start + 6 * k_day, start + 1, 30).due);
    CHECK_FALSE(decide_renewal(start, start + 6 * k_day, start + 3 * k_day, 30).due);
    CHECK(decide_renewal(start, start + 6 * k_day, start + 4 * k_day + 1, 30).due);
    // A smaller renew_before_days wins over a third.
    CHECK_FALSE(decide_renewal(start, start + 90 * k_day, start + 80 * k_day, 7).due);
    CHECK(decide_renewal(start, start + 90 * k_day, start + 84 * k_day, 7).due);
    // Expired is always due.
    CHECK(decide_renewal(start, start + 6 * k_day, start + 7 * k_day, 30).due);
}

TEST_CASE("an ACME Renewal Information window decides when the CA gives one")
{
    int64_t start = 1'700'000'000;
    RenewalWindow window{start + 10 * k_day, start + 12 * k_day};
    // The lifetime rule would say due (90-day cert at day 70); ARI says not yet.
    CHECK_FALSE(decide_renewal(start, start + 90 * k_day, start + 9 * k_day, 30, window).due);
    CHECK(decide_renewal(start, start + 90 * k_day, start + 10 * k_day, 30, window).due);
    RenewalWindow late{start + 80 * k_day, start + 81 * k_day};
    CHECK_FALSE(decide_renewal(start, start + 90 * k_day, start + 70 * k_day, 30, late).due);

    auto parsed = parse_renewal_info(R"({"suggestedWindow":{"start":"2026-01-02T00:00:00Z",
        "end":"2026-01-03T00:00:00Z"},"explanationURL":"https://x"})");
    REQUIRE(parsed.has_value());
    CHECK(parsed->end - parsed->start == k_day);
    CHECK_FALSE(parse_renewal_info(R"({"suggestedWindow":{"start":"2026-01-03T00:00:00Z",
        "end":"2026-01-02T00:00:00Z"}})"));
    CHECK_FALSE(parse_renewal_info("{}"));
}

TEST_CASE("a host name this server answers to may be one label; never an IPv4 address")
{
    CHECK(to_a_label("localhost", Dots::optional).value() == "localhost");
    CHECK(to_a_label("Intranet", Dots::optional).value() == "intranet");
    CHECK(to_a_label("shop.example", Dots::optional).value() == "shop.example");
    for (const char *bad : {"", "10.0.0.1", "exa mple", "-x", "x-"}) {
        CAPTURE(bad);
        CHECK_FALSE(to_a_label(bad, Dots::optional).ok());
    }
    auto numeric = to_a_label("1.2.3.4");
    REQUIRE_FALSE(numeric.ok());
    CHECK(numeric.error().why.find("IP address") != std::string::npos);
}

TEST_CASE("internationalised names become A-labels; wildcards keep their star")
{
    CHECK(to_a_label("bücher.example").value() == "xn--bcher-kva.example");
    CHECK(to_a_label("*.bücher.example").value() == "*.xn--bcher-kva.example");
    CHECK(to_a_label("Shop.Example.COM").value() == "shop.example.com");
    CHECK(to_a_label("shop.example.com.").value() == "shop.example.com");
    for (const char *bad : {"", "localhost", "exa mple.com", "-bad.example", "a..example", "*.",
                            "bad_.example", "x\n.example", "1.2.3.4", "shop.example.123"}) {
        CAPTURE(bad);
        auto result = to_a_label(bad);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == "invalid_domain");
    }
    CHECK(folder_name("*.xn--bcher-kva.example") == "_wildcard_.xn--bcher-kva.example");
    CHECK(dns_record_name("*.example.com") == "_acme-challenge.example.com");
}

TEST_CASE("challenge values follow RFC 8555 section 8")
{
    CHECK(key_authorization("tok", "thumb") == "tok.thumb");
    CHECK(dns_txt_value("tok.thumb") == base64url_encode(sha256("tok.thumb")));
    CHECK(valid_token("abc-_XYZ019"));
    CHECK_FALSE(valid_token("../etc/passwd"));
    CHECK_FALSE(valid_token(""));
}

TEST_CASE("a held lock blocks; dead, empty, garbage and NUL lock files do not")
{
    TempDir dir;
    fs::path file = dir.path() / "locks" / "a.lock";
    {
        auto first = CertLock::acquire(file);
        REQUIRE(first.ok());
        auto second = CertLock::acquire(file);
        REQUIRE_FALSE(second.ok());
        CHECK(second.error().code == "certificate_locked");
        CHECK(second.error().why.find(std::to_string(::getpid())) != std::string::npos);
    }
    CHECK(CertLock::acquire(file).ok()); // released with its holder

    for (std::string content : {std::string("999999999\n"), std::string(),
                                std::string("garbage\xff"), std::string(64, '\0')}) {
        std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
        auto lock = CertLock::acquire(file);
        CHECK(lock.ok());
    }
}

TEST_CASE("atomic writes give keys mode 0600 whatever the umask")
{
    TempDir dir;
    mode_t old = ::umask(022);
    REQUIRE(write_file_atomic(dir.path() / "k" / "privkey.pem", "secret", 0600).ok());
    ::umask(0);
    REQUIRE(write_file_atomic(dir.path() / "k" / "other.pem", "secret", 0600).ok());
    ::umask(old);
    struct stat st {};
    REQUIRE(::stat((dir.path() / "k" / "privkey.pem").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat((dir.path() / "k" / "other.pem").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(read_file(dir.path() / "k" / "privkey.pem").value() == "secret");
    // Nothing but the two files: no temporaries left behind.
    CHECK(std::distance(fs::directory_iterator(dir.path() / "k"), fs::directory_iterator()) == 2);
}

TEST_CASE("metadata survives a round trip and garbage is refused")
{
    CertMeta meta;
    meta.names = {"a.example", "b.example"};
    meta.not_after = 42;
    meta.http_port = 8080;
    meta.revoked = true;
    auto back = meta_from_json(meta_to_json(meta).dump());
    REQUIRE(back.has_value());
    CHECK(back->names == meta.names);
    CHECK(back->not_after == 42);
    CHECK(back->http_port == 8080);
    CHECK(back->revoked);
    CHECK_FALSE(meta_from_json("{}"));
    CHECK_FALSE(meta_from_json(R"({"names":["a"],"email":5})"));
    CHECK_FALSE(meta_from_json(std::string("\0\0", 2)));
}

namespace {

// A certificate for `subject_key` signed by `issuer_key`, naming `names`.
std::string make_cert(EVP_PKEY *subject_key, EVP_PKEY *issuer_key, const char *issuer,
                      const std::vector<std::string> &names, bool ca)
{
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), ca ? 1 : 2);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 90 * k_day);
    std::string cn = ca ? issuer : names.front();
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>(cn.c_str()), -1, -1, 0);
    X509_NAME_add_entry_by_txt(X509_get_issuer_name(cert), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>(issuer), -1, -1, 0);
    X509_set_pubkey(cert, subject_key);
    std::string san;
    for (const auto &name : names) {
        san += (san.empty() ? "DNS:" : ",DNS:") + name;
    }
    if (!san.empty()) {
        X509_EXTENSION *ext =
            X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str());
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(cert, issuer_key, EVP_sha256());
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char *data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(size));
    BIO_free(bio);
    X509_free(cert);
    return pem;
}

// A scripted CA over plain HTTP: badNonce on the first newOrder, then
// orderNotReady on the first finalize, then "processing" before "valid".
class ScriptedCa {
public:
    // How the certificate comes back: as a CA should, intermediate first,
    // or for a key other than the CSR's.
    enum class Chain { leaf_first, issuer_first, foreign_key };

    // `zero_retry_after`: order polls say Retry-After: 0, and the order
    // stays "processing" for 1.5 s after finalize.
    explicit ScriptedCa(Chain chain = Chain::leaf_first, bool zero_retry_after = false)
        : m_chain_mode(chain), m_zero_retry_after(zero_retry_after)
    {
        m_ca_key = generate_key(KeyType::ecdsa_p256).value();
        m_ca_pem = make_cert(m_ca_key.get(), m_ca_key.get(), "Scripted CA", {}, true);
        // Routes read m_base only when called, after start_loopback set it.
        m_server.Get("/dir", [this](const httplib::Request &, httplib::Response &res) {
            nlohmann::json dir = {{"newNonce", m_base + "/nonce"},
                                  {"newAccount", m_base + "/account"},
                                  {"newOrder", m_base + "/order"},
                                  {"revokeCert", m_base + "/revoke"}};
            res.set_content(dir.dump(), "application/json");
        });
        m_server.Get("/nonce", [this](const httplib::Request &, httplib::Response &res) {
            res.set_header("Replay-Nonce", next_nonce());
        });
        m_server.Post(".*", [this](const httplib::Request &req, httplib::Response &res) {
            handle(req, res);
        });
        m_port = rcommerce::testing::start_loopback(m_server, m_thread);
        m_base = "http://127.0.0.1:" + std::to_string(m_port);
    }
    ~ScriptedCa()
    {
        m_server.stop();
        m_thread.join();
    }
    std::string directory() const { return m_base + "/dir"; }

    std::atomic<int> finalize_calls{0};
    std::atomic<int> order_polls{0};
    std::atomic<bool> retried_with_error_nonce{false};

private:
    std::string next_nonce() { return "nonce-" + std::to_string(++m_nonce); }

    void problem(httplib::Response &res, const char *type)
    {
        res.status = 403;
        res.set_content(nlohmann::json{{"type", type}, {"detail", "scripted"}}.dump(),
                        "application/problem+json");
    }

    void handle(const httplib::Request &req, httplib::Response &res)
    {
        auto jws = nlohmann::json::parse(req.body);
        auto header =
            nlohmann::json::parse(base64url_decode(jws["protected"].get<std::string>()).value());
        std::string nonce = header["nonce"];
        std::string issued = next_nonce();
        res.set_header("Replay-Nonce", issued);
        if (req.path == "/account") {
            res.status = 201;
            res.set_header("Location", m_base + "/acct/1");
            res.set_content("{}", "application/json");
        } else if (req.path == "/order") {
            if (!m_nonce_rejected) {
                m_nonce_rejected = true;
                m_error_nonce = issued;
                return problem(res, "urn:ietf:params:acme:error:badNonce");
            }
            retried_with_error_nonce = nonce == m_error_nonce;
            res.status = 201;
            res.set_header("Location", m_base + "/order/1");
            res.set_content(order("ready").dump(), "application/json");
        } else if (req.path == "/finalize") {
            if (++finalize_calls == 1) {
                return problem(res, "urn:ietf:params:acme:error:orderNotReady");
            }
            issue(decode_json(jws["payload"].get<std::string>())["csr"].get<std::string>());
            m_finalized_at = std::chrono::steady_clock::now();
            res.set_content(order("processing").dump(), "application/json");
        } else if (req.path == "/order/1") {
            ++order_polls;
            bool processing = order_polls < 4;
            if (m_zero_retry_after) {
                res.set_header("Retry-After", "0");
                processing = std::chrono::steady_clock::now() - m_finalized_at <
                             std::chrono::milliseconds(1500);
            }
            const char *status =
                finalize_calls < 2 ? "ready" : (processing ? "processing" : "valid");
            res.set_content(order(status).dump(), "application/json");
        } else if (req.path == "/cert") {
            std::lock_guard lock(m_mutex);
            res.set_content(m_chain, "application/pem-certificate-chain");
        } else {
            res.status = 404;
        }
    }

    nlohmann::json order(const char *status)
    {
        nlohmann::json o = {{"status", status},
                            {"authorizations", nlohmann::json::array()},
                            {"finalize", m_base + "/finalize"}};
        if (std::string(status) == "valid") {
            o["certificate"] = m_base + "/cert";
        }
        return o;
    }

    // Signs the CSR's key (or another one) for the CSR's names.
    void issue(const std::string &csr_b64)
    {
        std::string der = base64url_decode(csr_b64).value();
        const auto *p = reinterpret_cast<const unsigned char *>(der.data());
        X509_REQ *req = d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size()));
        EVP_PKEY *csr_key = X509_REQ_get_pubkey(req);
        PKey other = generate_key(KeyType::ecdsa_p256).value();
        std::string leaf = make_cert(m_chain_mode == Chain::foreign_key ? other.get() : csr_key,
                                     m_ca_key.get(), "Scripted CA", {"scripted.example"}, false);
        EVP_PKEY_free(csr_key);
        X509_REQ_free(req);
        std::lock_guard lock(m_mutex);
        m_chain = m_chain_mode == Chain::issuer_first ? m_ca_pem + leaf : leaf + m_ca_pem;
    }

    httplib::Server m_server;
    std::thread m_thread;
    int m_port = 0;
    std::string m_base;
    Chain m_chain_mode;
    bool m_zero_retry_after;
    std::chrono::steady_clock::time_point m_finalized_at;
    PKey m_ca_key;
    std::string m_ca_pem;
    std::mutex m_mutex;
    std::string m_chain;
    int m_nonce = 0;
    bool m_nonce_rejected = false;
    std::string m_error_nonce;
};

// An order for scripted.example from `ca`, stored under `dir`.
IssueRequest scripted_request(const TempDir &dir, const ScriptedCa &ca)
{
    IssueRequest request;
    request.domains = {"scripted.example"};
    request.directory_url = ca.directory();
    request.cache_dir = dir.path() / "certs";
    request.deadline = std::chrono::seconds(20);
    return request;
}

} // namespace

TEST_CASE("orderNotReady at finalize is answered by polling and finalizing again")
{
    TempDir dir;
    ScriptedCa ca;
    IssueRequest request = scripted_request(dir, ca);
    auto issued = issue_certificate(request);
    REQUIRE_MESSAGE(issued.ok(), (issued.ok() ? "" : issued.error().why));
    CHECK(ca.retried_with_error_nonce);
    CHECK(ca.finalize_calls == 2);
    CHECK(ca.order_polls >= 4);
    CHECK(issued->meta.names == std::vector<std::string>{"scripted.example"});
    CHECK(fs::exists(dir.path() / "certs" / "scripted.example" / "fullchain.pem"));
}

TEST_CASE("Retry-After: 0 on a pending order does not turn polling into a busy loop")
{
    TempDir dir;
    ScriptedCa ca(ScriptedCa::Chain::leaf_first, true);
    IssueRequest request = scripted_request(dir, ca);
    auto issued = issue_certificate(request);
    REQUIRE_MESSAGE(issued.ok(), (issued.ok() ? "" : issued.error().why));
    // 1.5 s of "processing" polled from 25 ms up, doubling: under ten polls.
    // Taking the 0 literally polled back to back, as fast as the CA answers
    // (about 30 times here; thousands over a real CA's slow minutes).
    CHECK(ca.order_polls < 12);
}

TEST_CASE("a certificate from another CA is replaced only with --replace")
{
    TempDir dir;
    ScriptedCa production;
    IssueRequest request = scripted_request(dir, production);
    REQUIRE(issue_certificate(request).ok());
    auto before = CertStore(request.cache_dir).load(dir.path() / "certs" / "scripted.example");
    REQUIRE(before.ok());

    ScriptedCa staging;
    request.directory_url = staging.directory();
    auto refused = issue_certificate(request);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "certificate_exists");
    CHECK(refused.error().why.find(production.directory()) != std::string::npos);
    CHECK(staging.finalize_calls == 0); // nothing was ordered
    auto kept = CertStore(request.cache_dir).load(dir.path() / "certs" / "scripted.example");
    REQUIRE(kept.ok());
    CHECK(kept->meta.serial_hex == before->meta.serial_hex);

    request.replace = true;
    auto replaced = issue_certificate(request);
    REQUIRE_MESSAGE(replaced.ok(), (replaced.ok() ? "" : replaced.error().why));
    CHECK(replaced->meta.directory_url == staging.directory());
}

TEST_CASE("a chain in the wrong order is stored leaf first; a leaf for another key is refused")
{
    TempDir dir;
    fs::path folder = dir.path() / "certs" / "scripted.example";
    IssueRequest request;
    request.domains = {"scripted.example"};
    request.cache_dir = dir.path() / "certs";
    request.deadline = std::chrono::seconds(20);
    {
        ScriptedCa ca(ScriptedCa::Chain::issuer_first);
        request.directory_url = ca.directory();
        auto issued = issue_certificate(request);
        REQUIRE_MESSAGE(issued.ok(), (issued.ok() ? "" : issued.error().why));
    }
    auto cert = read_file(folder / "cert.pem").value();
    auto key = read_file(folder / "privkey.pem").value();
    CHECK(key_matches_certificate(key, cert));
    CHECK(read_certificate(cert).value().subject == "CN=scripted.example");
    CHECK(read_certificate(read_file(folder / "chain.pem").value()).value().subject ==
          "CN=Scripted CA");
    CHECK(read_file(folder / "fullchain.pem").value().rfind(cert, 0) == 0);

    // The good certificate stays when the CA returns one for another key.
    ScriptedCa foreign(ScriptedCa::Chain::foreign_key);
    request.directory_url = foreign.directory();
    request.replace = true; // another CA's directory URL
    auto refused = issue_certificate(request);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().why.find("key of this order's CSR") != std::string::npos);
    CHECK(read_file(folder / "cert.pem").value() == cert);
    CHECK(read_file(folder / "privkey.pem").value() == key);
}

TEST_CASE("hooks get their arguments verbatim and fail on a non-zero exit")
{
    TempDir dir;
    fs::path out = dir.path() / "args";
    std::string hook =
        "printf '%s|' \"$RC_X\" >'" + out.string() + "'; printf '%s|' >>'" + out.string() + "'";
    REQUIRE(run_hook(hook, {"add", "a b; $(touch x)", "'q'"}, {{"RC_X", "env"}}).ok());
    CHECK(read_file(out).value() == "env|add|a b; $(touch x)|'q'|");
    CHECK_FALSE(fs::exists("x"));
    auto failed = run_hook("exit 3", {}, {});
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().code == "hook_failed");
    CHECK(failed.error().why.find("3") != std::string::npos);
    auto which = run_hook("exit 7", {"add", "_acme-challenge.x.example", "v4lue"}, {});
    REQUIRE_FALSE(which.ok());
    CHECK(which.error().what ==
          "hook \"exit 7\" called as `exit 7 add _acme-challenge.x.example v4lue`");
}

TEST_CASE("a hook that hangs is stopped at its timeout, with what it started")
{
    TempDir dir;
    fs::path pid_file = dir.path() / "child.pid";
    std::string hook = "sleep 60 & echo $! >'" + pid_file.string() + "'; wait; :";
    auto started = std::chrono::steady_clock::now();
    auto timed_out = run_hook(hook, {"add"}, {}, std::chrono::seconds(1));
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(timed_out.ok());
    CHECK(timed_out.error().why == "did not finish within 1 s and was stopped");
    CHECK(timed_out.error().hint.find("hook_timeout_seconds") != std::string::npos);
    CHECK(took < std::chrono::seconds(10));
    pid_t child = std::stoi(read_file(pid_file).value());
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = ::kill(child, 0) != 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK_MESSAGE(gone, "the hook's own child was stopped too");

    util::Cancellation cancel;
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        cancel.cancel();
    });
    auto cancelled = run_hook("sleep 60", {}, {}, std::chrono::seconds(600), &cancel);
    stopper.join();
    REQUIRE_FALSE(cancelled.ok());
    CHECK(cancelled.error().why.find("shutting down") != std::string::npos);
}

namespace {

std::string read_at(int dir_fd, const char *name)
{
    int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return {};
    }
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
        out.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
}

} // namespace

TEST_CASE("a certificate folder is replaced whole: never a new key next to an old certificate")
{
    TempDir dir;
    CertStore store(dir.path());
    fs::path folder = store.folder_for("swap.example");
    std::vector<std::pair<std::string, std::string>> versions; // key, cert
    for (int i = 0; i < 2; ++i) {
        PKey key = generate_key(KeyType::ecdsa_p256).value();
        versions.emplace_back(private_key_pem(key.get()),
                              make_cert(key.get(), key.get(), "swap", {"swap.example"}, false));
    }
    CertMeta meta;
    meta.names = {"swap.example"};
    REQUIRE(store.save(folder, versions[0].second, "", versions[0].first, meta).ok());

    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (int i = 1; i <= 150; ++i) {
            const auto &[key, cert] = versions[static_cast<size_t>(i % 2)];
            CHECK(store.save(folder, cert, "", key, meta).ok());
        }
        done = true;
    });
    // What a reader opening both files in one folder can see.
    int mismatches = 0;
    int reads = 0;
    while (!done) {
        int dir_fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0) {
            continue;
        }
        std::string cert = read_at(dir_fd, "cert.pem");
        std::string key = read_at(dir_fd, "privkey.pem");
        ::close(dir_fd);
        if (!cert.empty() && !key.empty()) {
            ++reads;
            mismatches += key_matches_certificate(key, cert) ? 0 : 1;
        }
    }
    writer.join();
    CHECK(reads > 0);
    CHECK(mismatches == 0);
    CHECK(fs::is_directory(folder));
    CHECK(key_matches_certificate(read_file(folder / "privkey.pem").value(),
                                  read_file(folder / "cert.pem").value()));

    // A staging folder left by a process killed mid-save is neither listed
    // nor kept; nor is anything else in the store's root touched.
    fs::path stale = dir.path() / ".swap.example.new.tmp.12345.abcdef";
    fs::path other = dir.path() / ".swap.example.new.example.new.tmp.1.a";
    for (const auto &path : {stale, other}) {
        fs::create_directories(path);
        std::ofstream(path / "cert.pem") << versions[0].second;
        std::ofstream(path / "privkey.pem") << versions[0].first;
    }
    CHECK(store.folders() == std::vector<fs::path>{folder});
    REQUIRE(store.save(folder, versions[1].second, "", versions[1].first, meta).ok());
    CHECK_FALSE(fs::exists(stale));
    CHECK(fs::exists(other));
    std::vector<std::string> left;
    for (const auto &entry : fs::directory_iterator(dir.path())) {
        left.push_back(entry.path().filename().string());
    }
    std::sort(left.begin(), left.end());
    CHECK(left ==
          std::vector<std::string>{".swap.example.new.example.new.tmp.1.a", "swap.example"});
}
