#include "core/util/time.hpp"

#include <cstdio>
#include <ctime>

namespace rcommerce::util {
namespace {

bool digits(std::string_view text, size_t pos, size_t count, int &out)
{
    if (pos + count > text.size()) {
        return false;
    }
    out = 0;
    for (size_t i = pos; i < pos + count; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

// Days from 1970-01-01 to a civil date (proleptic Gregorian), after Howard
// Hinnant's published algorithm.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int days_in_month(int year, int month)
{
    constexpr int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : k_days[month - 1];
}

} // namespace

int64_t unix_now()
{
    return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch())
        .count();
}

std::string format_rfc3339(int64_t unix_seconds)
{
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    // Four-digit years, as RFC 3339 writes them: strftime's %Y gives "999"
    // for the year 999, which sorts after "2026" where times are compared as
    // text (report bounds).
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buffer;
}

std::string now_rfc3339_millis()
{
    auto now = Clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    return buffer;
}

std::optional<int64_t> parse_rfc3339(std::string_view text)
{
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
        !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) || month < 1 ||
        month > 12 || day < 1 || day > days_in_month(year, month)) {
        // A 30 February would otherwise roll over into March unnoticed.
        return std::nullopt;
    }
    int64_t offset = 0;
    if (text.size() > 10) {
        if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text.size() < 20 ||
            !digits(text, 11, 2, hour) || text[13] != ':' || !digits(text, 14, 2, minute) ||
            text[16] != ':' || !digits(text, 17, 2, second) || hour > 23 || minute > 59 ||
            second > 60) {
            return std::nullopt;
        }
        size_t pos = 19;
        if (pos < text.size() && text[pos] == '.') {
            size_t first_digit = ++pos;
            while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
                ++pos;
            }
            if (pos == first_digit) {
                return std::nullopt;
            }
        }
        std::string_view zone = text.substr(pos);
        int oh = 0, om = 0;
        if (zone == "Z" || zone == "z") {
            offset = 0;
        } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') &&
                   digits(zone, 1, 2, oh) && zone[3] == ':' && digits(zone, 4, 2, om) && oh <= 23 &&
                   om <= 59) {
            offset = (zone[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        } else {
            return std::nullopt;
        }
    }
    int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    return days * 86400 + hour * 3600 + minute * 60 + second - offset;
}

} // namespace rcommerce::util
