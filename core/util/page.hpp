// One page of a list, for cursor pagination by ascending id.
//
// Lists are ordered by id; a page is the first `limit` rows whose id is
// greater than `starting_after`. One extra row is read to know whether more
// follow (`has_more`), so a client never needs a count.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace rcommerce::util {

inline constexpr int64_t k_default_page_limit = 20;
inline constexpr int64_t k_max_page_limit = 100;

struct PageRequest {
    int64_t limit = k_default_page_limit;  // 1..k_max_page_limit, checked by the caller
    std::optional<int64_t> starting_after; // the last id of the previous page
};

template <typename T> struct Page {
    std::vector<T> items;
    bool has_more = false;
};

// Trims the extra row read past `limit` and sets has_more.
template <typename T> Page<T> make_page(std::vector<T> rows, int64_t limit)
{
    Page<T> page;
    page.has_more = static_cast<int64_t>(rows.size()) > limit;
    if (page.has_more) {
        rows.resize(static_cast<size_t>(limit));
    }
    page.items = std::move(rows);
    return page;
}

} // namespace rcommerce::util
