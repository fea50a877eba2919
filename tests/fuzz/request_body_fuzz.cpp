// A request body as the API reads it: json_body (depth limit, duplicate
// members, object check) and then typed members, including nested objects
// in arrays the way product variants and order lines are read. Never a
// crash; an accepted body is an object without duplicate members; every
// refusal names a field or carries a code.
#include "server/api/http.hpp"
#include "server/api/json_input.hpp"

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace rcommerce;
using namespace rcommerce::server::api;

namespace {

void read_members(JsonFields &fields)
{
    (void)fields.string("title");
    (void)fields.integer("quantity");
    (void)fields.boolean("allow_backorder");
    (void)fields.money("price");
    (void)fields.currency("currency");
    (void)fields.nullable_integer("low_stock_threshold");
    fields.reject_unknown({"title", "quantity", "price", "currency", "lines"});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    httplib::Request request;
    request.body.assign(reinterpret_cast<const char *>(data), size);
    request.set_header("Content-Type", "application/json");
    auto body = json_body(request);
    if (!body) {
        if (body.error().code.empty()) {
            std::abort();
        }
        return 0;
    }
    if (!body->is_object()) {
        std::abort();
    }
    util::FieldErrors errors;
    JsonFields fields(*body, errors);
    read_members(fields);
    if (const auto *lines = fields.array("lines")) {
        for (size_t i = 0; i < lines->size() && i < 64; ++i) {
            if ((*lines)[i].is_object()) {
                JsonFields line((*lines)[i], errors, "lines[" + std::to_string(i) + "].");
                read_members(line);
            }
        }
    }
    if (!errors.empty() && errors.error().fields.empty()) {
        std::abort();
    }
    return 0;
}
