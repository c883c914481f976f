#include "planner/segment_checker.hpp"
#include "terrain/hazard_maps.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace traverse;
using namespace traverse::planner;
using traverse::terrain::GeoTransform;
using traverse::terrain::Grid;
using traverse::terrain::MapPoint;

namespace {

// 100 m x 100 m at 1 m, origin (0, 100) top-left: gentle 3 degree plane, a 40 degree ramp in
// e 60..70, a nodata hole around (30, 80).
terrain::HazardMaps site() {
    Grid<float> z(100, 100);
    for (int r = 0; r < 100; ++r)
        for (int c = 0; c < 100; ++c) {
            const double e = c + 0.5, n = 100 - (r + 0.5);
            double h = std::tan(3.0 * M_PI / 180.0) * n;
            if (e > 60) h += std::tan(40.0 * M_PI / 180.0) * (std::min(e, 70.0) - 60.0);
            z.at(c, r) = float(h);
            if (std::hypot(e - 30, n - 80) < 2.0) z.at(c, r) = -9999.0f;
        }
    terrain::HazardParams p;
    return terrain::HazardMaps::compute(z, GeoTransform::northUp({0, 100}, 1, 1), -9999.0, p);
}

const twin::RoverConfig kRover;

bool hasRule(const SegmentCheck& c, const std::string& rule, CheckStatus st) {
    for (const auto& f : c.findings)
        if (f.rule == rule && f.status == st) return true;
    return false;
}

}  // namespace

TEST_CASE("a short segment on gentle ground passes") {
    const auto maps = site();
    const SegmentChecker checker(maps, kRover, {}, CheckLimits::fromRover(kRover));
    const auto c = checker.check({20, 20}, {20, 29});
    CHECK(c.status == CheckStatus::Pass);
    CHECK(c.summary() == "pass");
}

TEST_CASE("too long, not finite, outside the site") {
    const auto maps = site();
    const SegmentChecker checker(maps, kRover, {}, CheckLimits::fromRover(kRover));
    auto c = checker.check({20, 20}, {20, 31});
    CHECK(c.status == CheckStatus::Fail);
    CHECK(hasRule(c, "length", CheckStatus::Fail));
    CHECK(c.summary().find("11.00 m long") != std::string::npos);
    c = checker.check({20, 20}, {std::numeric_limits<double>::quiet_NaN(), 25});
    CHECK(hasRule(c, "not_finite", CheckStatus::Fail));
    c = checker.check({5, 50}, {-3, 50});
    CHECK(hasRule(c, "outside_site", CheckStatus::Fail));
}

TEST_CASE("a segment onto a 40 degree ramp fails on slope and tilt where the ramp starts") {
    const auto maps = site();
    const SegmentChecker checker(maps, kRover, {}, CheckLimits::fromRover(kRover));
    const auto c = checker.check({50, 40}, {59, 40});
    REQUIRE(c.status == CheckStatus::Fail);
    const CheckFinding* slope = nullptr;
    for (const auto& f : c.findings)
        if (f.rule == "slope") slope = &f;
    REQUIRE(slope);
    CHECK(slope->status == CheckStatus::Fail);
    // The footprint's front edge (1.5 m ahead) reaches the ramp's first steep cells at e ~ 59.
    CHECK(slope->at.e == Approx(59.0 - 1.5).margin(1.0));
    CHECK(slope->reason.find("limit 30.0 deg") != std::string::npos);
}

TEST_CASE("unknown terrain fails; a nearby hazard warns") {
    const auto maps = site();
    const SegmentChecker checker(maps, kRover, {}, CheckLimits::fromRover(kRover));
    auto c = checker.check({25, 80}, {34, 80});
    CHECK(hasRule(c, "unknown_terrain", CheckStatus::Fail));
    // Alongside the ramp (its first hazard cells at e 59..60), the footprint's edge at e 58.35:
    // a warning, not a failure.
    c = checker.check({57, 10}, {57, 19});
    CHECK(c.status == CheckStatus::Warn);
    CHECK(hasRule(c, "hazard_margin", CheckStatus::Warn));
}

TEST_CASE("keep-out and keep-in zones") {
    const auto maps = site();
    twin::Zone out{"dune", false, {{40, 10}, {45, 10}, {45, 15}, {40, 15}}};
    const SegmentChecker checker(maps, kRover, {out}, CheckLimits::fromRover(kRover));
    auto c = checker.check({35, 12}, {44, 12});
    REQUIRE(hasRule(c, "keep_out", CheckStatus::Fail));
    CHECK(c.summary().find("keep-out zone 'dune'") != std::string::npos);
    twin::Zone in{"corridor", true, {{10, 10}, {30, 10}, {30, 30}, {10, 30}}};
    const SegmentChecker inside(maps, kRover, {in}, CheckLimits::fromRover(kRover));
    CHECK(inside.check({20, 15}, {20, 24}).status == CheckStatus::Pass);
    // Heading east to e 29, the body's front edge (1.5 m ahead) crosses the corridor's side at e 30.
    CHECK(hasRule(inside.check({20, 20}, {29, 20}), "keep_in", CheckStatus::Fail));
}

TEST_CASE("a route is checked segment by segment") {
    const auto maps = site();
    const SegmentChecker checker(maps, kRover, {}, CheckLimits::fromRover(kRover));
    Route r;
    r.start = {20, 20, 0};
    Provenance builtin, byHand;
    builtin.source = "builtin";
    byHand.source = "planner";
    r.segments = {{{20, 29}, builtin}, {{20, 38}, builtin}, {{20, 50}, byHand}};
    const auto checks = checker.checkRoute(r);
    REQUIRE(checks.size() == 3);
    CHECK(checks[0].status == CheckStatus::Pass);
    CHECK(checks[2].status == CheckStatus::Fail);
    CHECK(r.lengthM() == Approx(30.0));
}
