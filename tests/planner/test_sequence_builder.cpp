#include "planner/sequence_builder.hpp"
#include "planner/validation.hpp"
#include "terrain/error.hpp"
#include "twin/simulator.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <stop_token>
#include <tuple>

using namespace traverse;
using namespace traverse::planner;
using traverse::terrain::GeoTransform;
using traverse::terrain::Grid;

namespace {
// 100 m square at 1 m: flat in the west half, a 15 degree slope rising east in the east half.
Grid<float> heights() {
    Grid<float> z(100, 100);
    for (int r = 0; r < 100; ++r)
        for (int c = 0; c < 100; ++c) {
            const double e = c + 0.5;
            z.at(c, r) = float(e > 50 ? (e - 50) * std::tan(15.0 * M_PI / 180.0) : 0.0);
        }
    return z;
}
const GeoTransform kGt = GeoTransform::northUp({0, 100}, 1, 1);
}  // namespace

TEST_CASE("a route becomes turns and go-to-waypoints, with the mode chosen from the terrain") {
    const auto z = heights();
    const twin::RoverConfig rover;
    const auto maps = terrain::HazardMaps::compute(z, kGt, std::nullopt, twin::hazardParamsFor(rover));
    const SegmentChecker checker(maps, rover, {}, CheckLimits::fromRover(rover));
    Route route;
    route.start = {20, 20, 0};
    Provenance p;
    p.source = "builtin";
    route.segments = {{{20, 30}, p}, {{28, 36}, p}, {{36, 42}, p}, {{44, 48}, p}, {{60, 50}, p}, {{70, 50}, p}};
    SequenceOptions opt;
    opt.blindOnBenign = true;
    opt.name = "test_route";
    opt.sol = 12;
    const twin::Sequence seq = routeToSequence(route, maps, rover, checker, opt);
    twin::validateSequence(seq, "test");
    CHECK(seq.header.name == "test_route");
    CHECK(seq.header.sol == 12);
    REQUIRE(std::holds_alternative<twin::StopConditions>(seq.commands.front()));
    int gotos = 0, turns = 0, vo = 0, blind = 0;
    for (const auto& c : seq.commands) {
        if (const auto* g = std::get_if<twin::GoToWaypoint>(&c)) {
            ++gotos;
            vo += g->mode == twin::DriveMode::VisualOdometry;
            blind += g->mode == twin::DriveMode::Blind;
        }
        turns += std::holds_alternative<twin::TurnTo>(c);
    }
    CHECK(gotos == 6);
    CHECK(turns == 3);  // the first leg keeps the start heading; legs 2-4 share one heading
    CHECK(blind >= 3);  // the flat west half
    CHECK(vo >= 1);     // the 15 degree slope
    // The twin drives it to the end of the route.
    const terrain::ElevationModel dtm(z, kGt, std::nullopt);
    const auto sim = twin::simulate(dtm, rover, seq);
    CHECK(sim.completed);
    CHECK(std::hypot(sim.endPose.e - 70, sim.endPose.n - 50) < 2.0);
    CHECK(sim.verdict.pass);
}

TEST_CASE("by default every go-to uses visual odometry or AutoNav, never blind") {
    const auto z = heights();
    const twin::RoverConfig rover;
    const auto maps = terrain::HazardMaps::compute(z, kGt, std::nullopt, twin::hazardParamsFor(rover));
    const SegmentChecker checker(maps, rover, {}, CheckLimits::fromRover(rover));
    Route route;
    route.start = {20, 20, 0};
    Provenance p;
    p.source = "builtin";
    route.segments = {{{20, 30}, p}, {{20, 40}, p}};
    for (const auto& c : routeToSequence(route, maps, rover, checker).commands)
        if (const auto* g = std::get_if<twin::GoToWaypoint>(&c)) CHECK(g->mode != twin::DriveMode::Blind);
}

// An 80 m route north across the flat west half, in 10 m segments, with the terrain to validate it on.
struct FlatDrive {
    Grid<float> z = heights();
    twin::RoverConfig rover;
    terrain::HazardMaps maps = terrain::HazardMaps::compute(z, kGt, std::nullopt, twin::hazardParamsFor(rover));
    terrain::ElevationModel dtm{z, kGt, std::nullopt};
    Plan plan;
    FlatDrive() {
        plan.name = "flat";
        plan.rover = rover;
        plan.route.start = {10, 10, 0};
        Provenance p;
        p.source = "builtin";
        for (int i = 1; i <= 8; ++i) plan.route.segments.push_back({{10, 10.0 + 10 * i}, p});
        plan.goal = {10, 90};
    }
};

TEST_CASE("validation requires the twin's rover to end near the goal") {
    const FlatDrive f;
    const auto& [maps, dtm, plan] = std::tie(f.maps, f.dtm, f.plan);
    ValidationOptions vo;
    auto out = validateRoute(plan, maps, dtm, vo);
    CHECK(out.pass);
    CHECK(out.summary.find("ends") != std::string::npos);
    // Blind drives leave the base slip uncorrected: 2 % of 80 m short, more than a 1 m tolerance.
    vo.sequence.blindOnBenign = true;
    vo.navigationErrorFraction = 0.0;
    out = validateRoute(plan, maps, dtm, vo);
    CHECK_FALSE(out.pass);
    CHECK(out.record.reportJson.find("\"arrives\":false") != std::string::npos);
}

TEST_CASE("a validation stopped part-way throws Cancelled, in the twin or in its Monte Carlo runs") {
    const FlatDrive f;
    const auto& [maps, dtm, plan, rover] = std::tie(f.maps, f.dtm, f.plan, f.rover);
    std::stop_source stop;
    ValidationOptions vo;
    vo.monteCarloRuns = 50;
    vo.stop = stop.get_token();
    CHECK(validateRoute(plan, maps, dtm, vo).dispersion->runs == 50);  // not stopped: as before
    stop.request_stop();
    try {
        validateRoute(plan, maps, dtm, vo);
        FAIL("not cancelled");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::Cancelled);
    }
    // The Monte Carlo runs stop between runs.
    twin::MonteCarloOptions mc;
    mc.runs = 50;
    mc.stop = stop.get_token();
    const twin::Sequence seq = validateRoute(plan, maps, dtm, {}).sequence;
    try {
        twin::runMonteCarlo(dtm, rover, seq, {}, mc);
        FAIL("not cancelled");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::Cancelled);
    }
}
