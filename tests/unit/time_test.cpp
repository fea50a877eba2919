#include "core/util/time.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rcommerce;

TEST_CASE("RFC 3339 times and bare dates parse to Unix seconds")
{
    CHECK(util::parse_rfc3339("1970-01-01") == 0);
    CHECK(util::parse_rfc3339("2026-12-01T08:00:00Z") == 1796112000);
    CHECK(util::parse_rfc3339("2026-12-01T09:30:00+01:30") == 1796112000);
    CHECK(util::parse_rfc3339("2026-12-01t08:00:00.250z") == 1796112000);
    CHECK(util::parse_rfc3339("2024-02-29") == 1709164800);
    CHECK(util::parse_rfc3339("2000-02-29").has_value());
    CHECK(util::parse_rfc3339("2026-12-31T23:59:59-23:59").has_value());
}

TEST_CASE("impossible dates are refused, not rolled over into the next month")
{
    // Each of these once parsed as a day or two into the following month.
    for (const char *text : {"2026-02-29", "2026-02-30", "2026-04-31", "2026-06-31", "2026-09-31",
                             "2026-11-31", "1900-02-29", "2026-02-30T00:00:00Z"}) {
        std::string shown = text;
        CAPTURE(shown);
        CHECK_FALSE(util::parse_rfc3339(text).has_value());
    }
}

TEST_CASE("offsets and fractions outside RFC 3339's grammar are refused")
{
    for (const char *text :
         {"2026-12-01T08:00:00+24:00", "2026-12-01T08:00:00+99:99", "2026-12-01T08:00:00-01:60",
          "2026-12-01T08:00:00.Z", "2026-12-01T08:00:00.", "2026-12-01T08:00:00", "2026-13-01",
          "2026-00-10", "2026-12-00", "2026-12-01T24:00:00Z"}) {
        std::string shown = text;
        CAPTURE(shown);
        CHECK_FALSE(util::parse_rfc3339(text).has_value());
    }
}

TEST_CASE("formatted times have four-digit years, so they sort as text")
{
    CHECK(util::format_rfc3339(1796112000) == "2026-12-01T08:00:00Z");
    auto year_999 = util::parse_rfc3339("0999-01-01");
    REQUIRE(year_999.has_value());
    CHECK(util::format_rfc3339(*year_999) == "0999-01-01T00:00:00Z");
    CHECK(util::format_rfc3339(*year_999) < util::format_rfc3339(1796112000));
}
