// Scoring a plan for a training scenario on the sample site: deterministic, and an obviously worse
// plan (much longer, or straight over a butte's flank) scores lower than a good one.
#include "planner/plan.hpp"
#include "planner/scenario.hpp"
#include "planner/scoring.hpp"
#include "support/test_support.hpp"
#include "terrain/error.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>

#ifndef TRAVERSE_SOURCE_DIR
#error "TRAVERSE_SOURCE_DIR must name the repository root (the build defines it)"
#endif

using namespace traverse;
using namespace traverse::planner;
namespace fs = std::filesystem;
using traverse::terrain::MapPoint;
using Catch::Detail::Approx;

namespace {

Scenario shipped(const std::string& name) {
    ScenarioLoadOptions o;
    o.siteDir = test::sampleDir();
    return loadScenario(fs::path(TRAVERSE_SOURCE_DIR) / "data" / "scenarios" / name, o);
}

// A plan on the sample site whose route follows `points` (cut into segments of at most 10 m).
Plan planAlong(const Scenario& s, const std::vector<MapPoint>& points) {
    Plan p;
    p.name = "trainee";
    p.site = hashSite(s.dtm);
    p.route.start = s.start;
    p.goal = s.goal;
    for (std::size_t i = 1; i < points.size(); ++i) {
        const MapPoint a = points[i - 1], b = points[i];
        const int n = std::max(1, int(std::ceil(std::hypot(b.e - a.e, b.n - a.n) / 10.0)));
        for (int k = 1; k <= n; ++k)
            p.route.segments.push_back({{a.e + (b.e - a.e) * k / n, a.n + (b.n - a.n) * k / n}, {"planner", "", 1, false}});
    }
    return p;
}

}  // namespace

TEST_CASE("scoring is deterministic and ranks much longer and hazard-grazing plans lower") {
    const Scenario s = shipped("around-the-butte.json");
    const MapPoint start{s.start.e, s.start.n};
    // First, with a plain straight line as the plan, to learn the built-in route.
    const Plan straight = planAlong(s, {start, s.goal});
    const ScoreCard first = scoreScenario(s, straight, "straight.plan.json");
    REQUIRE(first.builtin.available);
    CHECK(first.builtin.arrives);
    CHECK(first.builtin.segmentsFailed == 0);
    CHECK(first.builtin.rulesBroken.empty());
    CHECK(first.builtin.lengthM > 1.1 * first.straightLineM);  // the butte forces a detour
    CHECK(first.straightLineM == Approx(170.0));
    REQUIRE(first.actual.available);
    CHECK(first.actual.arrives);

    // The straight line runs over the butte's flank: refused segments, a steep path.
    const RouteMetrics& bad = first.plan;
    CHECK(bad.segmentsFailed > 0);
    CHECK(bad.hazardCells > 0);
    CHECK(bad.steepM > 5.0);
    CHECK(bad.nearHazardM > 10.0);
    CHECK(bad.score < first.builtin.score - 20.0);

    // The built-in route as the trainee's plan: the same numbers as the built-in column.
    const Plan good = planAlong(s, first.builtin.path);
    const ScoreCard goodCard = scoreScenario(s, good, "good.plan.json");
    CHECK(goodCard.plan.score == goodCard.builtin.score);
    CHECK(goodCard.plan.lengthM == Approx(goodCard.builtin.lengthM));
    CHECK(goodCard.plan.deviationFromActual->meanM == Approx(goodCard.builtin.deviationFromActual->meanM));
    CHECK(goodCard.plan.score > 95.0);

    // Deterministic: the same inputs give the same card, to the last digit.
    CHECK(scoreCardJson(scoreScenario(s, good, "good.plan.json")) == scoreCardJson(goodCard));

    // Much longer: the good route driven there, back to the start and there again (three times the length).
    std::vector<MapPoint> loop = first.builtin.path;
    loop.insert(loop.end(), first.builtin.path.rbegin() + 1, first.builtin.path.rend());
    loop.insert(loop.end(), first.builtin.path.begin() + 1, first.builtin.path.end());
    const ScoreCard longCard = scoreScenario(s, planAlong(s, loop), "long.plan.json");
    CHECK(longCard.plan.lengthM == Approx(3.0 * first.builtin.lengthM).epsilon(1e-6));
    CHECK(longCard.plan.arrives);
    CHECK(longCard.plan.score < goodCard.plan.score - 30.0);
    CHECK(longCard.plan.score > bad.score);  // long but safe beats unsafe

    // The scores are out of 100, and every deduction is listed.
    for (const RouteMetrics* m : {&goodCard.plan, &longCard.plan, &bad, &goodCard.actual}) {
        double sum = 0.0;
        for (const auto& p : m->penalties) sum += p.points;
        CHECK(m->score == Approx(std::max(0.0, 100.0 - sum)).margin(0.051));
        CHECK(m->score >= 0.0);
        CHECK(m->score <= 100.0);
    }
    const auto j = nlohmann::json::parse(scoreCardJson(longCard));
    CHECK(j["format"] == "traverse-score");
    CHECK(j["routes"]["plan"]["score"].get<double>() == longCard.plan.score);
    CHECK(j["routes"]["builtin"]["arrives"] == true);
    CHECK(j["routes"]["actual"]["source"] == "published traverse");
    CHECK(j["scenario"]["difficulty"] == "medium");
    const std::string table = scoreCardTable(longCard);
    CHECK(table.find("score (of 100)") != std::string::npos);
    CHECK(table.find("longer than the built-in route") != std::string::npos);
}

TEST_CASE("the actual traverse as a drive log is scored as logged") {
    const Scenario s = shipped("boulder-field.json");
    const ScoreCard card = scoreScenario(s, planAlong(s, {{s.start.e, s.start.n}, s.goal}), "p.json");
    REQUIRE(card.actual.available);
    CHECK(card.actual.source == "drive log");
    CHECK(card.actual.timeS == Approx(3530.7).margin(0.1));  // the log's duration
    CHECK(card.actual.lengthM == Approx(137.1).margin(0.1));
    CHECK(card.actual.arrives);
    CHECK(card.actual.rulesBroken.empty());
    CHECK_FALSE(card.actual.deviationFromActual);
    CHECK(card.builtin.arrives);
    CHECK(card.builtin.deviationFromActual->maxM < 15.0);
}

TEST_CASE("the easy scenario's published traverse and every shipped scenario's built-in route arrive") {
    const Scenario s = shipped("across-the-plains.json");
    const ScoreCard card = scoreScenario(s, planAlong(s, {{s.start.e, s.start.n}, s.goal}), "p.json");
    CHECK(card.builtin.arrives);
    CHECK(card.actual.arrives);
    CHECK(card.actual.endToGoalM < 4.5);  // where the published traverse ends, not where the twin would
    CHECK(card.notes.front().find("across-the-plains.geojson") != std::string::npos);
}

TEST_CASE("a plan made on another DTM, or with no route, is refused") {
    const Scenario s = shipped("across-the-plains.json");
    Plan p = planAlong(s, {{s.start.e, s.start.n}, s.goal});
    p.site.dtm.sha256 = std::string(64, '0');
    CHECK_THROWS_WITH(scoreScenario(s, p, "other.plan.json"),
                      Catch::StartsWith("other.plan.json: the plan was made on another DTM"));
    p.route.segments.clear();
    CHECK_THROWS_WITH(scoreScenario(s, p, "empty.plan.json"), Catch::Contains("no route"));
}

TEST_CASE("score arithmetic on made-up metrics") {
    twin::RoverConfig rover;
    RouteMetrics ref;
    ref.available = ref.arrives = ref.completed = true;
    ref.lengthM = 100.0;
    ref.timeS = 1000.0;
    ref.energyWh = 50.0;
    ref.minClearanceM = 0.6;
    scoreRoute(ref, &ref, 90.0, rover, 1.0);
    CHECK(ref.score == 100.0);
    CHECK(ref.penalties.empty());

    RouteMetrics m = ref;
    m.lengthM = 150.0;                  // +50 %: 15 points
    m.timeS = 1200.0;                   // +20 %: 2
    m.energyWh = 50.0;
    m.maxTiltDeg = 27.0;                // half-way from 24 (80 % of 30) to 30: 5
    m.minClearanceM = 0.15;             // half-way below 0.3 (half the nominal 0.6): 5
    m.nearHazardM = 15.0;               // 10 % of the path: 2
    m.segmentsWarned = 1, m.warnedM = 30.0;  // 20 % of the path: 2
    scoreRoute(m, &ref, 90.0, rover, 1.0);
    CHECK(m.score == Approx(100.0 - 15.0 - 2.0 - 5.0 - 5.0 - 2.0 - 2.0));
    m.arrives = false;
    m.endToGoalM = 12.0;
    m.rulesBroken = {"tilt"};
    scoreRoute(m, &ref, 90.0, rover, 1.0);
    CHECK(m.score == Approx(100.0 - 31.0 - 25.0 - 15.0));
    // Without a reference route the length is measured against the straight line alone.
    RouteMetrics alone = ref;
    scoreRoute(alone, nullptr, 80.0, rover, 1.0);
    CHECK(alone.score == Approx(100.0 - 30.0 * 0.25));
}
