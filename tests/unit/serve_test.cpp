#include "core/config/config.hpp"
#include "core/http/request_framing.hpp"
#include "core/http/security_headers.hpp"
#include "core/tls/certificate.hpp"
#include "core/util/time.hpp"
#include "core/util/validation.hpp"
#include "server/api/http.hpp"
#include "server/metrics.hpp"
#include "server/middleware.hpp"
#include "server/redirect.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

using namespace rcommerce;

namespace {

std::string header(const http::HeaderList &list, const std::string &name)
{
    for (const auto &[key, value] : list) {
        if (key == name) {
            return value;
        }
    }
    return "<absent>";
}

std::filesystem::path temp_dir(const char *name)
{
    auto dir = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

} // namespace

TEST_CASE("security headers: defaults carry every header, HSTS only over HTTPS")
{
    config::Config config;
    auto https = http::security_headers(config, http::Scheme::https);
    CHECK(header(https, "Strict-Transport-Security") == "max-age=63072000; includeSubDomains");
    CHECK(header(https, "X-Frame-Options") == "DENY");
    CHECK(header(https, "X-XSS-Protection") == "0");
    CHECK(header(https, "Cache-Control") == "no-store");
    auto plain = http::security_headers(config, http::Scheme::http);
    CHECK(header(plain, "Strict-Transport-Security") == "<absent>");
    CHECK(header(plain, "X-Content-Type-Options") == "nosniff");
}

TEST_CASE("security headers: an empty value switches a header off, preload warns")
{
    config::Config config;
    config.security_headers.x_frame_options = "";
    config.tls.hsts.preload = true;
    auto list = http::security_headers(config, http::Scheme::https);
    CHECK(header(list, "X-Frame-Options") == "<absent>");
    CHECK(header(list, "Strict-Transport-Security") ==
          "max-age=63072000; includeSubDomains; preload");
    CHECK(http::policy_warnings(config).size() == 1);
    config.tls.hsts.max_age = 100; // too short for preload: never emitted
    CHECK(http::hsts_value(config.tls.hsts) == "max-age=100; includeSubDomains");
}

TEST_CASE("config: a header value with a line break is a configuration error")
{
    auto loaded = config::load_from_string(
        "[security_headers]\ncontent_security_policy = \"default-src 'none'\\r\\nX: y\"\n",
        "test.toml", {});
    REQUIRE(!loaded.problems.empty());
    CHECK(loaded.problems[0].key == "security_headers.content_security_policy");
}

TEST_CASE("redirects: only configured hosts, path and query kept")
{
    config::Config config;
    config.server.port = 8443;
    CHECK(server::https_redirect_url(config, "localhost:8080", "/a?b=1") ==
          "https://localhost:8443/a?b=1");
    CHECK(!server::https_redirect_url(config, "evil.example", "/"));
    CHECK(!server::https_redirect_url(config, "", "/"));
    config.server.domains = {"shop.example", "*.cdn.example"};
    config.server.port = 443;
    CHECK(server::https_redirect_url(config, "SHOP.example.", "/x") == "https://shop.example/x");
    CHECK(server::https_redirect_url(config, "a.cdn.example", "/") == "https://a.cdn.example/");
    CHECK(!server::https_redirect_url(config, "a.b.cdn.example", "/"));
    CHECK(!server::https_redirect_url(config, "localhost", "/"));
    CHECK(!server::https_redirect_url(config, "shop.example", "http://evil/"));
}

TEST_CASE("challenge tokens are base64url only")
{
    CHECK(server::valid_challenge_token("abc-DEF_123"));
    CHECK(!server::valid_challenge_token(""));
    CHECK(!server::valid_challenge_token("../etc/passwd"));
    CHECK(!server::valid_challenge_token("a.b"));
}

TEST_CASE("traceparent: version 00 with non-zero ids")
{
    CHECK(server::valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    CHECK(!server::valid_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
    CHECK(!server::valid_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    CHECK(!server::valid_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
    CHECK(!server::valid_traceparent("garbage"));
}

TEST_CASE("media types: case-insensitive, parameters and whitespace ignored")
{
    CHECK(http::media_type("application/json") == "application/json");
    CHECK(http::media_type("APPLICATION/JSON") == "application/json");
    CHECK(http::media_type(" Application/Json ; charset=UTF-8") == "application/json");
    CHECK(http::media_type("multipart/form-data; boundary=x") == "multipart/form-data");
    CHECK(http::media_type("") == "");
}

TEST_CASE("Host: exactly one on HTTP/1.1, a host with an optional port")
{
    for (std::string_view good :
         {"shop.example", "Shop.Example:8443", "localhost", "127.0.0.1:443", "[::1]", "[::1]:8443",
          "xn--bcher-kva.example", "a%2Db.example", "", "host:"}) {
        CAPTURE(good);
        CHECK(http::valid_host_value(good));
        CHECK(http::host_header_problem({good}, "HTTP/1.1").empty());
    }
    for (std::string_view bad :
         {"shop example", "user@shop.example", "shop.example/path", "shop.example:84a3", "[::1",
          "[::1]x", "[]", "[::g]", "a%2", "a%zz.example", "shop.example:443:1", "\x01"}) {
        CAPTURE(bad);
        CHECK_FALSE(http::valid_host_value(bad));
        CHECK_FALSE(http::host_header_problem({bad}, "HTTP/1.1").empty());
    }
    CHECK_FALSE(http::host_header_problem({}, "HTTP/1.1").empty());
    CHECK(http::host_header_problem({}, "HTTP/1.0").empty());
    auto twice = http::host_header_problem({"a.example", "a.example"}, "HTTP/1.1");
    CHECK(twice.find("2 Host headers") != std::string::npos);
}

TEST_CASE("header lines: a token for a name, no control characters in a value")
{
    CHECK(http::header_field_problem("X-Request-Id", "abc\tdef é").empty());
    CHECK(http::header_field_problem("a!#$%&'*+-.^_`|~9", "").empty());
    for (std::string_view bad : {"Bad Name", " folded", "", "X-A:", "X(a)", "\xc3\xa9"}) {
        CAPTURE(bad);
        CHECK(http::header_field_problem(bad, "v").find("not a token") != std::string::npos);
    }
    for (std::string_view bad :
         {std::string_view("a\0b", 3), std::string_view("a\rb"), std::string_view("a\nb"),
          std::string_view("\x7f"), std::string_view("\x01")}) {
        CHECK(http::header_field_problem("X-A", bad).find("X-A header's value has a control") !=
              std::string::npos);
    }
}

TEST_CASE("absolute-form targets: the path in origin form, the authority apart")
{
    auto split = http::split_absolute_target("https://Shop.example:8443/api/v1/products?limit=2");
    REQUIRE(split);
    CHECK(split->authority == "Shop.example:8443");
    CHECK(split->origin_form == "/api/v1/products?limit=2");
    CHECK(http::split_absolute_target("HTTP://shop.example")->origin_form == "/");
    CHECK(http::split_absolute_target("http://shop.example?x=1")->origin_form == "/?x=1");
    CHECK(http::split_absolute_target("http://shop.example")->authority == "shop.example");
    CHECK_FALSE(http::split_absolute_target("/api/v1/products"));
    CHECK_FALSE(http::split_absolute_target("ftp://shop.example/"));
    CHECK_FALSE(http::split_absolute_target("*"));
}

TEST_CASE("Content-Length: one value of digits only; beyond int64 is too large")
{
    using Kind = http::DeclaredLength::Kind;
    CHECK(http::declared_length({}).kind == Kind::absent);
    auto length = http::declared_length({"42"});
    CHECK(length.kind == Kind::length);
    CHECK(length.bytes == 42);
    CHECK(http::declared_length({"0"}).bytes == 0);
    CHECK(http::declared_length({"007"}).bytes == 7);
    CHECK(http::declared_length({"000000000000000000000000"}).kind == Kind::length);
    CHECK(http::declared_length({"7", "7"}).bytes == 7);
    for (std::string_view bad : {"abc", "-5", "+5", "", "5, 5", "1e3", "0x10", "5 5"}) {
        CAPTURE(bad);
        CHECK(http::declared_length({bad}).kind == Kind::invalid);
    }
    CHECK(http::declared_length({"7", "8"}).kind == Kind::invalid);
    CHECK(http::declared_length({"99999999999999999999"}).kind == Kind::too_large);
    CHECK(http::declared_length({"18446744073709551611"}).kind == Kind::too_large);
    CHECK(http::declared_length({"5", "99999999999999999999"}).kind == Kind::invalid);
}

TEST_CASE("request arrival: the header block, then a Content-Length body")
{
    using State = http::RequestArrival::State;
    constexpr size_t head = 256, body = 64;
    auto state = [&](std::string_view received) {
        return http::request_arrival(received, head, body).state;
    };
    auto ready = [&](std::string_view received) { return state(received) == State::ready; };
    auto problem = [&](std::string_view received) {
        return http::request_arrival(received, head, body).problem;
    };
    CHECK(state("") == State::partial);
    CHECK(state("GET / HTTP/1.1\r\nHost: a\r\n") == State::partial);
    CHECK(ready("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    CHECK(http::request_arrival("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET", head, body).length == 27);
    CHECK(ready("GET / HTTP/1.1\r\n\r\n"));
    // A header block that never ends is answered once it is too long.
    CHECK(state(std::string(head, 'a')) == State::partial);
    CHECK(ready(std::string(head + 1, 'a')));

    std::string post = "POST /x HTTP/1.1\r\nHost: a\r\ncontent-length: 5\r\n\r\n";
    CHECK(state(post) == State::partial);
    CHECK(state(post + "1234") == State::partial);
    CHECK(ready(post + "12345"));
    CHECK(http::request_arrival(post + "12345GET / HTTP/1.1\r\n", head, body).length ==
          post.size() + 5);
    // Nothing to wait for: refused at once, or no body to read.
    std::string start = "POST /x HTTP/1.1\r\nHost: a\r\n";
    CHECK(ready(start + "Content-Length: 65\r\n\r\n"));
    CHECK(ready(start + "Transfer-Encoding: chunked\r\n\r\n"));
    CHECK(ready(start + "Content-Length: 0\r\n\r\n"));
    CHECK(ready(start + "\r\n"));
    CHECK(problem(start + "\r\n").empty());
    // A GET's body is refused unread, so it is not waited for.
    CHECK(ready("GET / HTTP/1.1\r\nContent-Length: 45\r\n\r\nGET"));
    // 100 Continue: the head is whole, the body waits for the server's word.
    CHECK(state(start + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n") ==
          State::awaiting_continue);
    CHECK(ready(start + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nabcde"));
    CHECK(state(start + "Content-Length: 5\r\nExpect: something\r\n\r\n") == State::partial);
    CHECK(ready(start + "Content-Length: 65\r\nExpect: 100-continue\r\n\r\n"));
    CHECK(state(start + "Content-Length: 5\r\nExpect: 100-continue, foo\r\n\r\n") ==
          State::awaiting_continue);
    CHECK(state(start + "Content-Length: 5\r\nExpect: 100-continue\r\nExpect: foo\r\n\r\n") ==
          State::awaiting_continue);
    // RFC 9110 10.1.1: an HTTP/1.0 client's expectation is ignored.
    CHECK(state("POST /x HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n") ==
          State::partial);
    // While the body arrives, the size to wait for is known.
    auto waiting = http::request_arrival(post + "12", head, body);
    CHECK(waiting.length == post.size() + 5);
    CHECK(waiting.head == post.size());
    // A body may hold anything: blank lines in it are no framing problem.
    CHECK(problem(post + "a\n\nbc").empty());
    CHECK(ready(post + "a\n\nbc"));

    // Framing a lenient reader would see differently from cpp-httplib,
    // which drops these lines: refused, whatever else the request says.
    for (std::string_view smuggling :
         {"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\n\r\n12345",
          "POST /x HTTP/1.1\nHost: a\r\n\r\n",
          "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n 5\r\n\r\n12345",
          "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: %35\r\n\r\n12345",
          "POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
          "GET / HTTP/1.1\nHost: a\n\n"}) {
        CAPTURE(smuggling);
        CHECK(ready(smuggling));
        CHECK(!problem(smuggling).empty());
    }
}

TEST_CASE("JSON bodies: the media type is matched without case or parameters")
{
    auto body_with = [](const std::string &type, const std::string &body) {
        httplib::Request request;
        if (!type.empty()) {
            request.headers.emplace("Content-Type", type);
        }
        request.body = body;
        return server::api::json_body(request);
    };
    CHECK(body_with("application/json", "{}"));
    CHECK(body_with("APPLICATION/JSON", "{}"));
    CHECK(body_with("Application/Json; charset=utf-8", "{}"));
    CHECK(body_with("", "{}"));
    for (const char *other : {"text/plain", "multipart/form-data; boundary=x", "application/jsonx",
                              "application/json-patch+json"}) {
        CAPTURE(other);
        auto refused = body_with(other, "{}");
        REQUIRE(!refused);
        CHECK(refused.error().code == "unsupported_media_type");
        CHECK(server::api::status_for(refused.error()) == 415);
    }
    // A body that is JSON but not an object: the detail has no empty field
    // name in front of it.
    auto array = body_with("application/json", "[1]");
    REQUIRE(!array);
    CHECK(array.error().why == "the body must be a JSON object");
}

TEST_CASE("field errors: one about the whole input is not prefixed with a colon")
{
    CHECK(util::field_error("", "must be an object").why == "must be an object");
    CHECK(util::field_error("title", "is required").why == "title: is required");
    util::FieldErrors errors;
    errors.add("", "must be an object");
    errors.add("lines[0]", "is wrong");
    CHECK(errors.error().why == "must be an object; lines[0]: is wrong");
}

TEST_CASE("metrics: counts and a well-formed histogram")
{
    server::Metrics metrics;
    metrics.request_started();
    metrics.request_finished("GET", 200, 0.003);
    metrics.request_started();
    metrics.request_finished("BREW", 418, 2.0);
    auto text = metrics.render();
    CHECK(text.find("rcommerce_http_requests_total{method=\"GET\",status=\"200\"} 1") !=
          std::string::npos);
    CHECK(text.find("method=\"other\",status=\"418\"") != std::string::npos);
    CHECK(text.find(
              "rcommerce_http_request_duration_seconds_bucket{method=\"GET\",le=\"0.005\"} 1") !=
          std::string::npos);
    CHECK(text.find("rcommerce_http_requests_in_flight 0") != std::string::npos);
}

TEST_CASE("development certificate: created once, reused, matches localhost")
{
    auto dir = temp_dir("rc-devcert-test");
    bool created = false;
    auto now = util::unix_now();
    auto first = tls::ensure_development_certificate(dir, now, created);
    REQUIRE(first);
    CHECK(created);
    CHECK((std::filesystem::status(first->key_file).permissions() &
           std::filesystem::perms::group_read) == std::filesystem::perms::none);
    auto again = tls::ensure_development_certificate(dir, now, created);
    REQUIRE(again);
    CHECK(!created);
    auto cert = tls::load_certificate(first->cert_file, first->key_file, now);
    REQUIRE(cert);
    CHECK((*cert)->matches("localhost"));
    CHECK((*cert)->matches("127.0.0.1"));
    CHECK(!(*cert)->matches("example.com"));
    // 100 days on, the 90-day certificate has expired and is refused.
    auto expired = tls::load_certificate(first->cert_file, first->key_file, now + 100 * 86400);
    CHECK(!expired);
    std::filesystem::remove_all(dir);
}

TEST_CASE("certificate store: a mismatched key is refused and the old one stays")
{
    auto one = temp_dir("rc-store-one");
    auto two = temp_dir("rc-store-two");
    bool created = false;
    auto now = util::unix_now();
    auto a = tls::ensure_development_certificate(one, now, created);
    auto b = tls::ensure_development_certificate(two, now, created);
    REQUIRE(a);
    REQUIRE(b);
    tls::CertificateStore store({*a});
    REQUIRE(store.load_all(now));
    auto before = store.select("localhost");
    // Replace only the key: it no longer matches the certificate.
    std::filesystem::copy_file(b->key_file, a->key_file,
                               std::filesystem::copy_options::overwrite_existing);
    CHECK(store.reload(now) == 0);
    CHECK(store.select("localhost") == before);
    // Now the matching certificate too: accepted.
    std::filesystem::copy_file(b->cert_file, a->cert_file,
                               std::filesystem::copy_options::overwrite_existing);
    CHECK(store.reload(now) == 1);
    CHECK(store.select("localhost") != before);
    std::filesystem::remove_all(one);
    std::filesystem::remove_all(two);
}

TEST_CASE("certificate store: new sources replace the set only when one of them loads")
{
    auto one = temp_dir("rc-sources-one");
    auto two = temp_dir("rc-sources-two");
    auto three = temp_dir("rc-sources-three");
    bool created = false;
    auto now = util::unix_now();
    auto a = tls::ensure_development_certificate(one, now, created);
    auto b = tls::ensure_development_certificate(two, now, created);
    REQUIRE(a);
    REQUIRE(b);
    tls::CertificateStore store({*a});
    REQUIRE(store.load_all(now));
    auto first = store.select("");

    // A pair whose key does not match: refused, the old set stays, and
    // asking again without a change to its files changes nothing.
    tls::KeyPairPaths broken{three / "cert.pem", three / "key.pem"};
    std::filesystem::copy_file(a->cert_file, broken.cert_file);
    std::filesystem::copy_file(b->key_file, broken.key_file);
    CHECK_FALSE(store.use_sources({broken}, now));
    CHECK_FALSE(store.use_sources({broken}, now));
    CHECK(store.select("") == first);

    CHECK(store.use_sources({*b}, now));
    REQUIRE(store.all().size() == 1);
    CHECK(store.select("") != first);
    CHECK_FALSE(store.use_sources({*b}, now)); // the same set: no change
    for (const auto &dir : {one, two, three}) {
        std::filesystem::remove_all(dir);
    }
}

TEST_CASE("certificate files that are not PEM give a clear error")
{
    auto dir = temp_dir("rc-badcert-test");
    std::ofstream(dir / "cert.pem") << "not a certificate";
    std::ofstream(dir / "key.pem") << "not a key";
    auto loaded = tls::load_certificate(dir / "cert.pem", dir / "key.pem", util::unix_now());
    REQUIRE(!loaded);
    CHECK(loaded.error().why.find("no PEM certificate") != std::string::npos);
    auto missing = tls::load_certificate(dir / "none.pem", dir / "key.pem", util::unix_now());
    CHECK(!missing);
    std::filesystem::remove_all(dir);
}
