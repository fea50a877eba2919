#include "core/audit/fetch.hpp"

#include "core/util/strings.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace rcommerce::audit {

namespace {

Error unreachable(const Url &url, std::string why, std::string hint = {})
{
    return make_error(ErrorKind::unavailable, "unreachable", "fetching " + url.str(),
                      std::move(why), std::move(hint));
}

std::string openssl_error()
{
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "the handshake failed";
    }
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    return buffer;
}

struct SslCtxFree {
    void operator()(SSL_CTX *ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
    void operator()(SSL *ssl) const { SSL_free(ssl); }
};
struct X509Free {
    void operator()(X509 *cert) const { X509_free(cert); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

class Socket {
public:
    Socket() = default;
    explicit Socket(int fd) : m_fd(fd) {}
    Socket(Socket &&other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    Socket &operator=(Socket &&other) noexcept
    {
        std::swap(m_fd, other.m_fd);
        return *this;
    }
    Socket(const Socket &) = delete;
    Socket &operator=(const Socket &) = delete;
    ~Socket()
    {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    [[nodiscard]] int fd() const { return m_fd; }

private:
    int m_fd = -1;
};

bool is_ip_literal(const std::string &host)
{
    unsigned char buffer[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// Non-blocking connect bounded by the timeout, then blocking I/O with the same
// timeout per read and write.
Result<Socket> connect_address(const Url &url, const addrinfo &address,
                               std::chrono::milliseconds timeout)
{
    Socket socket(
        ::socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC, address.ai_protocol));
    if (socket.fd() < 0) {
        return unreachable(url, std::string("socket: ") + std::strerror(errno));
    }
    int flags = fcntl(socket.fd(), F_GETFL, 0);
    fcntl(socket.fd(), F_SETFL, flags | O_NONBLOCK);
    if (::connect(socket.fd(), address.ai_addr, address.ai_addrlen) != 0 && errno != EINPROGRESS) {
        return unreachable(url, std::string("connect: ") + std::strerror(errno));
    }
    pollfd pfd{socket.fd(), POLLOUT, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready == 0) {
        return unreachable(url,
                           "connection timed out after " + std::to_string(timeout.count()) + " ms");
    }
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (ready < 0 || error != 0) {
        return unreachable(url, std::string("connect: ") + std::strerror(error ? error : errno));
    }
    fcntl(socket.fd(), F_SETFL, flags);
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(socket.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return socket;
}

// Shortcoming: getaddrinfo has no timeout of its own; a hanging resolver
// delays the audit beyond --timeout.
Result<Socket> connect_tcp(const Url &url, const FetchOptions &options)
{
    std::string host = url.host;
    for (const auto &entry : options.resolve) {
        if (util::iequals(entry.host, url.host) && entry.port == url.port) {
            host = entry.address;
        }
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *found = nullptr;
    std::string port = std::to_string(url.port);
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
        return unreachable(url, "cannot resolve " + host + ": " + gai_strerror(rc),
                           "check the name, or pin it with --resolve HOST:PORT:ADDRESS");
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
    std::optional<Error> last;
    for (addrinfo *a = found; a != nullptr; a = a->ai_next) {
        auto socket = connect_address(url, *a, options.timeout);
        if (socket) {
            return std::move(socket.value());
        }
        last = socket.error();
    }
    return last ? *last : unreachable(url, "no address for " + host);
}

// A client context. `pinned` is 0 for the audit's own connection, or the one
// protocol version a probe allows.
Result<SslCtxPtr> make_context(const Url &url, const FetchOptions &options, int pinned)
{
    SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) {
        return unreachable(url, "cannot create a TLS context: " + openssl_error());
    }
    // Level 0 so that weak servers still complete the handshake and can be
    // judged, instead of failing as unreachable.
    SSL_CTX_set_security_level(ctx.get(), 0);
    SSL_CTX_set_min_proto_version(ctx.get(), pinned ? pinned : TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), pinned ? pinned : 0);
    if (pinned) {
        SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0");
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    if (!options.ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr) != 1) {
            return make_error(ErrorKind::validation, "bad_ca_file",
                              "reading --ca-file " + options.ca_file, openssl_error(),
                              "give a PEM file with one or more CA certificates");
        }
    } else {
        SSL_CTX_set_default_verify_paths(ctx.get());
    }
    return ctx;
}

// Non-blocking, so that the whole handshake, not each read in it, is bounded
// by the timeout: a peer that sends its handshake a byte at a time is cut off.
Result<SslPtr> handshake(const Url &url, SSL_CTX *ctx, const Socket &socket,
                         std::chrono::milliseconds timeout)
{
    SslPtr ssl(SSL_new(ctx));
    SSL_set_fd(ssl.get(), socket.fd());
    if (!is_ip_literal(url.host)) {
        SSL_set_tlsext_host_name(ssl.get(), url.host.c_str());
    }
    SSL_set_tlsext_status_type(ssl.get(), TLSEXT_STATUSTYPE_ocsp);
    ERR_clear_error();
    int flags = fcntl(socket.fd(), F_GETFL, 0);
    fcntl(socket.fd(), F_SETFL, flags | O_NONBLOCK);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int rc = SSL_connect(ssl.get());
        if (rc == 1) {
            break;
        }
        int error = SSL_get_error(ssl.get(), rc);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
            // What a plain-HTTP listener's "HTTP/1.1 400" looks like to TLS.
            bool plain = ERR_GET_REASON(ERR_peek_error()) == SSL_R_WRONG_VERSION_NUMBER;
            return unreachable(url, "TLS handshake failed: " + openssl_error(),
                               plain ? "the port may speak plain HTTP: try http://" +
                                           url.authority() + url.target
                                     : "");
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd pfd{socket.fd(), static_cast<short>(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT),
                   0};
        if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            return unreachable(
                url, "TLS handshake not finished within " + std::to_string(timeout.count()) + " ms",
                "raise --timeout if the server is just slow");
        }
    }
    fcntl(socket.fd(), F_SETFL, flags);
    return ssl;
}

std::string key_type_name(int id)
{
    switch (id) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
        return "RSA";
    case EVP_PKEY_EC:
        return "EC";
    case EVP_PKEY_ED25519:
        return "Ed25519";
    case EVP_PKEY_ED448:
        return "Ed448";
    case EVP_PKEY_DSA:
        return "DSA";
    default:
        return "unknown";
    }
}

TlsFacts read_tls_facts(const Url &url, SSL *ssl, const FetchOptions &options)
{
    TlsFacts facts;
    facts.insecure = options.insecure;
    facts.version = SSL_get_version(ssl);
    facts.cipher = SSL_get_cipher_name(ssl);
    int group = SSL_get_negotiated_group(ssl);
    if (group != 0) {
        const char *name = SSL_group_to_name(ssl, group);
        facts.group = name ? name : OBJ_nid2sn(group);
    }
    long verify = SSL_get_verify_result(ssl);
    facts.chain_valid = verify == X509_V_OK;
    if (!facts.chain_valid) {
        facts.chain_error = X509_verify_cert_error_string(verify);
    }
    const unsigned char *ocsp = nullptr;
    facts.ocsp_stapled = SSL_get_tlsext_status_ocsp_resp(ssl, &ocsp) > 0 && ocsp != nullptr;

    X509Ptr cert(SSL_get1_peer_certificate(ssl));
    if (!cert) {
        facts.chain_valid = false;
        facts.chain_error = "no certificate";
        return facts;
    }
    facts.hostname_matches =
        is_ip_literal(url.host)
            ? X509_check_ip_asc(cert.get(), url.host.c_str(), 0) == 1
            : X509_check_host(cert.get(), url.host.c_str(), url.host.size(), 0, nullptr) == 1;
    STACK_OF(OPENSSL_STRING) *responders = X509_get1_ocsp(cert.get());
    facts.ocsp_responder = responders != nullptr && sk_OPENSSL_STRING_num(responders) > 0;
    X509_email_free(responders); // X509_get1_ocsp's list is freed this way
    if (EVP_PKEY *key = X509_get0_pubkey(cert.get())) {
        facts.key_type = key_type_name(EVP_PKEY_get_base_id(key));
        facts.key_bits = EVP_PKEY_get_bits(key);
    }
    int days = 0, seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())) == 1) {
        facts.days_to_expiry = days - (seconds < 0 ? 1 : 0);
    }
    return facts;
}

// Sends over TLS or the plain socket.
class Channel {
public:
    Channel(const Socket &socket, SSL *ssl) : m_socket(socket), m_ssl(ssl) {}

    bool write_all(std::string_view data)
    {
        while (!data.empty()) {
            long n = m_ssl ? SSL_write(m_ssl, data.data(), static_cast<int>(data.size()))
                           : ::send(m_socket.fd(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            data.remove_prefix(static_cast<size_t>(n));
        }
        return true;
    }
    long read_some(char *buffer, size_t size)
    {
        return m_ssl ? SSL_read(m_ssl, buffer, static_cast<int>(size))
                     : ::recv(m_socket.fd(), buffer, size, 0);
    }

private:
    const Socket &m_socket;
    SSL *m_ssl;
};

std::string build_request(const Url &url, const FetchOptions &options)
{
    auto overridden = [&](std::string_view name) {
        for (const auto &[key, value] : options.extra_headers) {
            if (util::iequals(key, name)) {
                return true;
            }
        }
        return false;
    };
    std::string request = "GET " + url.target + " HTTP/1.1\r\n";
    if (!overridden("Host")) {
        request += "Host: " + url.authority() + "\r\n";
    }
    if (!overridden("User-Agent")) {
        request += "User-Agent: " + options.user_agent + "\r\n";
    }
    if (!options.probe_origin.empty() && !overridden("Origin")) {
        request += "Origin: " + options.probe_origin + "\r\n";
    }
    request += "Accept: */*\r\nConnection: close\r\n";
    for (const auto &[key, value] : options.extra_headers) {
        request += key + ": " + value + "\r\n";
    }
    return request + "\r\n";
}

Result<HttpResponse> exchange(const Url &url, const Socket &socket, Channel channel,
                              const FetchOptions &options)
{
    if (!channel.write_all(build_request(url, options))) {
        return unreachable(url, "sending the request failed");
    }
    // One deadline for the whole head, not one per read: a server that sends
    // a byte now and then would otherwise hold a CI job for hours.
    auto deadline = std::chrono::steady_clock::now() + options.timeout;
    auto too_slow = [&] {
        return unreachable(url,
                           "no complete response head within " +
                               std::to_string(options.timeout.count()) + " ms",
                           "raise --timeout if the server is just slow");
    };
    constexpr size_t k_head_limit = 256 * 1024;
    std::string head;
    size_t consumed = 0; // bytes of interim (1xx) responses already skipped
    char buffer[16384];
    while (true) {
        while (auto end = response_head_end(std::string_view(head).substr(consumed))) {
            auto response = parse_response_head(url, std::string_view(head).substr(consumed, *end));
            // RFC 9110 section 15.2: 1xx responses (103 Early Hints, 100
            // Continue) precede the final one; their headers are not the page's.
            if (!response || response->status >= 200 || response->status == 101) {
                return response;
            }
            consumed += *end;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return too_slow();
        }
        timeval tv{static_cast<time_t>(left.count() / 1000),
                   static_cast<suseconds_t>((left.count() % 1000) * 1000)};
        setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        errno = 0;
        long n = channel.read_some(buffer, sizeof buffer);
        if (n <= 0) {
            if (head.empty()) {
                return unreachable(url, "the server closed the connection or timed out "
                                        "before answering");
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return too_slow();
            }
            return unreachable(url, "the server closed the connection in the middle of the "
                                    "response headers");
        }
        head.append(buffer, static_cast<size_t>(n));
        if (head.size() > k_head_limit) {
            return unreachable(url, "the response headers exceed 256 KiB");
        }
    }
}

} // namespace

std::optional<size_t> response_head_end(std::string_view buffer)
{
    // RFC 9112 section 2.2: a recipient may take a bare LF as a line end, and
    // browsers do, so the empty line is LF [CR] LF.
    for (size_t lf = buffer.find('\n'); lf != std::string_view::npos;
         lf = buffer.find('\n', lf + 1)) {
        size_t next = lf + 1;
        if (next < buffer.size() && buffer[next] == '\r') {
            ++next;
        }
        if (next < buffer.size() && buffer[next] == '\n') {
            return next + 1;
        }
    }
    return std::nullopt;
}

// RFC 9112 section 4 and 5: a status line, then field lines up to an empty
// line. Obsolete line folding (section 5.2) is joined with a space.
Result<HttpResponse> parse_response_head(const Url &url, std::string_view head)
{
    HttpResponse response;
    size_t pos = 0;
    auto next_line = [&] {
        size_t end = head.find('\n', pos);
        if (end == std::string_view::npos) {
            end = head.size();
        }
        std::string_view line = head.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        return line;
    };
    std::string_view status_line = next_line();
    if (status_line.substr(0, 5) != "HTTP/" || status_line.size() < 12 || status_line[8] != ' ' ||
        (status_line.size() > 12 && status_line[12] != ' ')) {
        return unreachable(url, "the server did not answer with HTTP/1.x");
    }
    auto status = util::parse_int64(status_line.substr(9, 3));
    if (!status || *status < 100 || *status > 999) {
        return unreachable(url, "malformed status line (no 3-digit status code)");
    }
    response.status = static_cast<int>(*status);
    while (pos < head.size()) {
        std::string_view line = next_line();
        if (line.empty()) {
            break;
        }
        if ((line.front() == ' ' || line.front() == '\t') && !response.headers.empty()) {
            response.headers.back().second += " " + std::string(util::trim(line));
            continue;
        }
        size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            continue; // not a field line; browsers drop it too
        }
        response.headers.emplace_back(std::string(line.substr(0, colon)),
                                      std::string(util::trim(line.substr(colon + 1))));
    }
    return response;
}

Result<ResolveOverride> parse_resolve(std::string_view text)
{
    auto bad = make_error(ErrorKind::validation, "bad_resolve", "--resolve " + std::string(text),
                          "expected HOST:PORT:ADDRESS",
                          "for example --resolve shop.example:443:127.0.0.1");
    size_t first = text.find(':');
    size_t second = first == std::string_view::npos ? first : text.find(':', first + 1);
    if (second == std::string_view::npos) {
        return bad;
    }
    ResolveOverride out;
    auto host = normalize_host(text.substr(0, first));
    if (!host) {
        bad.why = host.error().why;
        return bad;
    }
    out.host = host.value();
    auto port = util::parse_int64(text.substr(first + 1, second - first - 1));
    out.address = std::string(text.substr(second + 1));
    if (out.address.size() > 2 && out.address.front() == '[' && out.address.back() == ']') {
        out.address = out.address.substr(1, out.address.size() - 2);
    }
    if (out.host.empty() || !port || *port < 1 || *port > 65535 || out.address.empty()) {
        return bad;
    }
    // Like curl, ADDRESS is a literal: a name here would be looked up, which
    // is what --resolve exists to avoid.
    unsigned char buffer[sizeof(in6_addr)];
    if (inet_pton(AF_INET, out.address.c_str(), buffer) != 1 &&
        inet_pton(AF_INET6, out.address.c_str(), buffer) != 1) {
        bad.why = "ADDRESS \"" + out.address + "\" is not an IPv4 or IPv6 address";
        return bad;
    }
    out.port = static_cast<uint16_t>(*port);
    return out;
}

Result<std::pair<std::string, std::string>> parse_header_option(std::string_view text)
{
    auto bad = [&](std::string why) {
        return make_error(ErrorKind::validation, "bad_header", "--header " + std::string(text),
                          std::move(why), "for example --header 'Authorization: Bearer ...'");
    };
    size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
        return bad("expected 'Name: value'");
    }
    std::string name(util::trim(text.substr(0, colon)));
    static constexpr std::string_view k_extra = "!#$%&'*+-.^_`|~";
    bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               k_extra.find(c) != std::string_view::npos;
    });
    if (!token) {
        return bad("the header name must be a token");
    }
    std::string value(util::trim(text.substr(colon + 1)));
    if (util::has_control_characters(value)) {
        return bad("the value contains control characters");
    }
    return std::pair{name, value};
}

Result<HttpResponse> fetch_once(const Url &url, const FetchOptions &options)
{
    SslCtxPtr ctx;
    if (url.https()) {
        auto made = make_context(url, options, 0);
        if (!made) {
            return made.error();
        }
        ctx = std::move(made.value());
    }
    auto socket = connect_tcp(url, options);
    if (!socket) {
        return socket.error();
    }
    if (!url.https()) {
        return exchange(url, socket.value(), Channel(socket.value(), nullptr), options);
    }

    auto ssl = handshake(url, ctx.get(), socket.value(), options.timeout);
    if (!ssl) {
        return ssl.error();
    }
    TlsFacts facts = read_tls_facts(url, ssl->get(), options);
    if (!options.insecure && (!facts.chain_valid || !facts.hostname_matches)) {
        if (facts.chain_valid) {
            return unreachable(url, "the certificate does not name " + url.host,
                               "audit a URL with a name the certificate lists (reach it with "
                               "--resolve NAME:PORT:ADDRESS), or pass --insecure");
        }
        // A CA file cannot help a certificate that is out of its dates.
        long verify = SSL_get_verify_result(ssl->get());
        bool dates =
            verify == X509_V_ERR_CERT_HAS_EXPIRED || verify == X509_V_ERR_CERT_NOT_YET_VALID;
        return unreachable(url, "certificate verification failed: " + facts.chain_error,
                           dates ? "renew the certificate (or check this machine's clock); "
                                   "--insecure audits it anyway"
                                 : "pass --ca-file with the issuing CA, or --insecure");
    }
    auto response = exchange(url, socket.value(), Channel(socket.value(), ssl->get()), options);
    if (response) {
        response->tls = std::move(facts);
    }
    SSL_shutdown(ssl->get());
    return response;
}

bool accepts_tls_version(const Url &url, int version, const FetchOptions &options)
{
    auto ctx = make_context(url, options, version);
    if (!ctx) {
        return false;
    }
    auto socket = connect_tcp(url, options);
    if (!socket) {
        return false;
    }
    auto ssl = handshake(url, ctx->get(), socket.value(), options.timeout);
    if (!ssl) {
        return false;
    }
    bool accepted = SSL_version(ssl->get()) == version;
    SSL_shutdown(ssl->get());
    return accepted;
}

} // namespace rcommerce::audit
