// What an HTTP client failure (cpp-httplib's Error) means, in words an
// operator can act on; cpp-httplib's own names ("Connection", "Read") say
// which step failed but not what that implies.
#pragma once

#include <string>

namespace httplib {
enum class Error;
}

namespace rcommerce::http {

[[nodiscard]] std::string describe_client_error(httplib::Error error);

} // namespace rcommerce::http
