#include "core/audit/score.hpp"

#include "core/util/strings.hpp"

#include <algorithm>
#include <array>

namespace rcommerce::audit {

namespace {

struct GradeRow {
    int minimum;
    std::string_view grade;
};

constexpr std::array<GradeRow, 13> k_grades = {{
    {100, "A+"},
    {90, "A"},
    {85, "A-"},
    {80, "B+"},
    {70, "B"},
    {65, "B-"},
    {60, "C+"},
    {50, "C"},
    {45, "C-"},
    {40, "D+"},
    {30, "D"},
    {25, "D-"},
    {0, "F"},
}};

} // namespace

std::string grade_for(int score)
{
    for (const auto &row : k_grades) {
        if (score >= row.minimum) {
            return std::string(row.grade);
        }
    }
    return "F";
}

std::optional<int> grade_rank(std::string_view grade)
{
    std::string upper(util::trim(grade));
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    for (size_t i = 0; i < k_grades.size(); ++i) {
        if (k_grades[i].grade == upper) {
            return static_cast<int>(i);
        }
    }
    return std::nullopt;
}

Score compute_score(const std::vector<ScoreItem> &items)
{
    int score = 100;
    int bonus = 0;
    for (const auto &item : items) {
        if (item.modifier < 0) {
            score += item.modifier;
        } else {
            bonus += item.modifier;
        }
    }
    score = std::max(0, score);
    if (score >= 90) {
        score += bonus;
    }
    return Score{score, grade_for(score)};
}

} // namespace rcommerce::audit
