#include "cli/app.hpp"
#include "cli/exit_codes.hpp"
#include "core/log/log.hpp"

#include <doctest/doctest.h>

#include <iostream>
#include <sstream>

using namespace rcommerce;

namespace {

// Captures std::cerr for the lifetime of the object.
class CaptureStderr {
public:
    CaptureStderr() : m_old(std::cerr.rdbuf(m_buffer.rdbuf())) {}
    ~CaptureStderr() { std::cerr.rdbuf(m_old); }
    std::string text() const { return m_buffer.str(); }

private:
    std::ostringstream m_buffer;
    std::streambuf *m_old;
};

} // namespace

TEST_CASE("the error printer says what, why and hint in the fixed format")
{
    CaptureStderr capture;
    cli::print_error(make_error(ErrorKind::validation, "x", "reading config a.toml",
                                "line 3: expected a string", "see rcommerce config init"));
    CHECK(capture.text() == "rcommerce: error: reading config a.toml: line 3: expected a "
                            "string\nhint: see rcommerce config init\n");
}

TEST_CASE("the error printer lists field errors")
{
    CaptureStderr capture;
    Error error = make_error(ErrorKind::validation, "validation_failed", "creating product",
                             "2 fields are invalid");
    error.fields = {{"sku", "must not be empty"}, {"price.amount", "must be >= 0"}};
    cli::print_error(error);
    CHECK(capture.text().find("  sku: must not be empty\n") != std::string::npos);
    CHECK(capture.text().find("  price.amount: must be >= 0\n") != std::string::npos);
}

TEST_CASE("error kinds map to the documented exit codes")
{
    CHECK(cli::exit_code_for(make_error(ErrorKind::validation, "", "", "")) == cli::k_exit_usage);
    CHECK(cli::exit_code_for(make_error(ErrorKind::not_found, "", "", "")) == cli::k_exit_failure);
    CHECK(cli::exit_code_for(make_error(ErrorKind::internal, "", "", "")) == cli::k_exit_failure);
}

TEST_CASE("log lines render as text and as one JSON object")
{
    auto text = log::render(log::Format::text, log::Level::warn, "listening",
                            {{"port", 8443}, {"host", "0.0.0.0"}}, "2026-01-01T00:00:00.000Z");
    CHECK(text == "2026-01-01T00:00:00.000Z warn listening host=0.0.0.0 port=8443");
    auto json = log::render(log::Format::json, log::Level::info, "a \"quoted\" msg", {{"n", 1}},
                            "2026-01-01T00:00:00.000Z");
    auto parsed = nlohmann::json::parse(json);
    CHECK(parsed["ts"] == "2026-01-01T00:00:00.000Z");
    CHECK(parsed["level"] == "info");
    CHECK(parsed["msg"] == "a \"quoted\" msg");
    CHECK(parsed["n"] == 1);
    CHECK(json.find('\n') == std::string::npos);
}
