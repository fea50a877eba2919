#include "core/inventory/level.hpp"
#include "core/inventory/level_sql.hpp"
#include "core/store/database.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <unistd.h>

using namespace rcommerce;
using namespace rcommerce::inventory;

TEST_CASE("the SQL level and threshold agree with stock_level and resolve_threshold")
{
    std::string pattern = (std::filesystem::temp_directory_path() / "rc-level.XXXXXX").string();
    std::filesystem::path dir = ::mkdtemp(pattern.data());
    {
        store::OpenOptions options;
        options.path = dir / "level.db";
        auto db = store::Database::open(options);
        REQUIRE(db.ok());
        auto lease = (*db)->connection();
        auto rank = lease->prepare("SELECT " + level_rank_sql("?1 - ?2", "?3"));
        const int64_t values[] = {-5, -1, 0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 20, 21, 1000};
        for (int64_t on_hand : values) {
            for (int64_t reserved : {0, 1, 3}) {
                for (int64_t threshold : {0, 1, 2, 3, 7, 10, 20, 21}) {
                    CAPTURE(on_hand);
                    CAPTURE(reserved);
                    CAPTURE(threshold);
                    rank.reset();
                    rank.bind_all(on_hand, reserved, threshold);
                    REQUIRE(rank.step());
                    auto expected = stock_level(available(on_hand, reserved), threshold);
                    CHECK(rank.row().integer(0) == static_cast<int64_t>(expected));
                }
            }
        }

        auto threshold = lease->prepare("SELECT " + threshold_sql("?1", "?2", "?3", "?4"));
        const std::optional<int64_t> choices[] = {std::nullopt, 0, 5};
        for (auto at_row : choices) {
            for (auto at_location : choices) {
                for (auto for_sku : choices) {
                    threshold.reset();
                    threshold.bind(1, at_row).bind(2, at_location).bind(3, for_sku).bind(4, 20);
                    REQUIRE(threshold.step());
                    auto location_first = at_row ? at_row : at_location;
                    CHECK(threshold.row().integer(0) ==
                          resolve_threshold(location_first, for_sku, 20));
                }
            }
        }
    }
    std::filesystem::remove_all(dir);
}
