// libFuzzer target for everything core/acme parses from a CA or from disk:
// problem documents, Link and Retry-After headers, the directory, renewal
// information, stored metadata, base64url, PEM chains and domain names.
#include "core/acme/crypto.hpp"
#include "core/acme/names.hpp"
#include "core/acme/protocol.hpp"
#include "core/acme/store.hpp"
#include "core/acme/x509.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace rcommerce::acme;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view text(reinterpret_cast<const char *>(data), size);

    if (auto problem = parse_problem(text)) {
        (void)problem->describe();
        (void)problem->is("badNonce");
    }
    for (const auto &link : parse_link_header(text)) {
        (void)link.rel.size();
    }
    (void)parse_retry_after(text, 1'700'000'000);
    (void)parse_directory(text);
    (void)parse_renewal_info(text);
    (void)meta_from_json(text);
    if (auto decoded = base64url_decode(text)) {
        // Decoding what we encode must give the bytes back.
        if (base64url_decode(base64url_encode(*decoded)) != decoded) {
            __builtin_trap();
        }
    }
    for (const auto &pem : split_pem_chain(text)) {
        (void)read_certificate(pem);
    }
    if (size < 300) {
        (void)to_a_label(text);
    }
    return 0;
}
