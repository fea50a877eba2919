// The Mozilla HTTP Observatory scoring scheme, so grades compare with that tool.
//
// Start at 100, add every penalty, never go below 0; only when the result is
// 90 or more are the bonuses added (so bonuses cannot hide a real problem).
// The grade is the highest row of the Observatory's table the score reaches.
#pragma once

#include "core/audit/rules.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcommerce::audit {

struct Score {
    int score = 0;
    std::string grade;
};

[[nodiscard]] Score compute_score(const std::vector<ScoreItem> &items);

// "A+" for 100, "A" for 90, ... "F" below 25.
[[nodiscard]] std::string grade_for(int score);

// Position of a grade in the table, best first (A+ is 0); nullopt for an
// unknown grade. Used by --min-grade.
[[nodiscard]] std::optional<int> grade_rank(std::string_view grade);

} // namespace rcommerce::audit
