#include "core/http/client_error.hpp"

#include <httplib.h>

namespace rcommerce::http {

std::string describe_client_error(httplib::Error error)
{
    switch (error) {
    case httplib::Error::Connection:
        return "could not connect (refused, unreachable, or the name did not resolve)";
    case httplib::Error::ConnectionTimeout:
        return "the connection timed out";
    case httplib::Error::BindIPAddress:
        return "could not bind the local address for the connection";
    case httplib::Error::Read:
        return "the connection broke or timed out while reading the answer";
    case httplib::Error::Write:
        return "the connection broke while sending the request";
    case httplib::Error::SSLConnection:
        return "the TLS handshake failed (no common protocol or cipher, or not a TLS server)";
    case httplib::Error::SSLLoadingCerts:
        return "the trusted CA certificates could not be loaded";
    case httplib::Error::SSLServerVerification:
        return "the server's TLS certificate did not verify against the trusted CAs";
    case httplib::Error::ExceedRedirectCount:
        return "too many redirects";
    case httplib::Error::Canceled:
        return "the request was cancelled";
    case httplib::Error::Compression:
        return "the answer's compressed body could not be decoded";
    default:
        return "the request failed (" + httplib::to_string(error) + ")";
    }
}

} // namespace rcommerce::http
