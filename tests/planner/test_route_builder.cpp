#include "planner/builtin_proposer.hpp"
#include "planner/route_builder.hpp"
#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "terrain/raster.hpp"
#include "twin/rover_config.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace traverse;
using namespace traverse::planner;
using traverse::terrain::GeoTransform;
using traverse::terrain::Grid;
using traverse::terrain::MapPoint;

namespace {

// 200 m x 200 m at 1 m: a gentle plane with a steep-walled crater (radius 25 m) at (100, 100).
terrain::HazardMaps craterSite() {
    Grid<float> z(200, 200);
    for (int r = 0; r < 200; ++r)
        for (int c = 0; c < 200; ++c) {
            const double e = c + 0.5, n = 200 - (r + 0.5);
            const double d = std::hypot(e - 100, n - 100);
            double h = 0.02 * e;
            if (d < 25) h -= 12.0 * (1.0 - (d / 25) * (d / 25));  // a bowl whose rim is ~44 degrees
            z.at(c, r) = float(h);
        }
    return terrain::HazardMaps::compute(z, GeoTransform::northUp({0, 200}, 1, 1), std::nullopt,
                                        twin::hazardParamsFor(twin::RoverConfig{}));
}

// A proposer that always heads straight for the goal, 10 m at a time: it drives into craters.
class StraightLiner : public Proposer {
public:
    std::string source() const override { return "straight-liner"; }
    Proposal propose(const ProposalContext& c) override {
        ++calls;
        const double de = c.goal.e - c.pose.e, dn = c.goal.n - c.pose.n, d = std::hypot(de, dn);
        const double step = std::min(d, c.maxSegmentM);
        seenRejections = c.rejections;
        return {{{c.pose.e + de / d * step, c.pose.n + dn / d * step}}, "", "straight at the goal"};
    }
    int calls = 0;
    std::vector<std::string> seenRejections;
};

// Every 0.25 m along the route: not on a hard-hazard cell, not in a keep-out.
void requireClear(const terrain::HazardMaps& maps, const Route& route, const std::vector<twin::Zone>& zones) {
    const auto pts = route.points();
    for (std::size_t i = 1; i < pts.size(); ++i) {
        const double len = std::hypot(pts[i].e - pts[i - 1].e, pts[i].n - pts[i - 1].n);
        REQUIRE(len <= kDefaultMaxSegmentM + 1e-9);
        for (int k = 0, n = std::max(1, int(std::ceil(len / 0.25))); k <= n; ++k) {
            const MapPoint p{pts[i - 1].e + (pts[i].e - pts[i - 1].e) * k / n, pts[i - 1].n + (pts[i].n - pts[i - 1].n) * k / n};
            const auto px = maps.geoTransform.toPixel(p);
            INFO("E " << p.e << " N " << p.n);
            REQUIRE(maps.hazard.at(int(px.col), int(px.row)) == 0);
            for (const auto& z : zones) REQUIRE_FALSE(twin::insidePolygon(z.polygon, p));
        }
    }
}

// The nearest point to p with no hard hazard within `clear` metres: where a planner would put a start
// or a goal on real terrain.
MapPoint nearestClear(const terrain::HazardMaps& maps, MapPoint p, double clear) {
    const int k = int(std::ceil(clear));
    for (int ring = 0; ring < 200; ++ring)
        for (int dy = -ring; dy <= ring; ++dy)
            for (int dx = -ring; dx <= ring; ++dx) {
                if (std::max(std::abs(dx), std::abs(dy)) != ring) continue;
                const auto px = maps.geoTransform.toPixel({p.e + dx, p.n + dy});
                const int c = int(px.col), r = int(px.row);
                bool ok = true;
                for (int v = -k; v <= k && ok; ++v)
                    for (int u = -k; u <= k && ok; ++u)
                        if (u * u + v * v <= k * k) ok = maps.hazard.at(c + u, r + v) == 0;
                if (ok) return {p.e + dx, p.n + dy};
            }
    FAIL("no clear ground near the requested point");
    return p;
}

}  // namespace

TEST_CASE("a proposer that keeps driving into a crater is refused with the reason, and the loop ends") {
    const auto maps = craterSite();
    const twin::RoverConfig rover;
    const SegmentChecker checker(maps, rover, {}, CheckLimits::fromRover(rover));
    StraightLiner liner;
    BuildRequest req;
    req.start = {30, 100, 90};
    req.goal = {170, 100};
    BuildOptions opt;
    opt.maxRetries = 2;
    const BuildResult r = buildRoute(maps, rover, checker, req, liner, nullptr, opt);
    CHECK_FALSE(r.reachedGoal);
    CHECK(r.outcome.find("no acceptable proposal") != std::string::npos);
    CHECK(r.outcome.find("slope") != std::string::npos);
    // It got as far as the rim, then three refusals: the first and two retries, each told why.
    CHECK(r.route.end().e < 75.0);
    CHECK(r.route.end().e > 55.0);
    REQUIRE(r.decisions.size() >= 3);
    CHECK_FALSE(r.decisions.back().accepted);
    CHECK(r.decisions.back().attempt == 3);
    REQUIRE(liner.seenRejections.size() == 2);
    CHECK(liner.seenRejections[0].find("refused") != std::string::npos);
    requireClear(maps, r.route, {});
}

TEST_CASE("the built-in proposer repairs the stretch and the route reaches the goal around the crater") {
    const auto maps = craterSite();
    const twin::RoverConfig rover;
    const SegmentChecker checker(maps, rover, {}, CheckLimits::fromRover(rover));
    StraightLiner liner;
    BuiltinProposer builtin;
    BuildRequest req;
    req.start = {30, 100, 90};
    req.goal = {170, 100};
    // The route as it grows, one call per decision (what a window shows while the loop runs).
    std::vector<std::size_t> sizes;
    std::size_t accepted = 0;
    BuildOptions opt;
    opt.onDecision = [&](const Route& route, const Decision& d) {
        sizes.push_back(route.segments.size());
        accepted += d.accepted;
    };
    const BuildResult r = buildRoute(maps, rover, checker, req, liner, &builtin, opt);
    CHECK(r.reachedGoal);
    CHECK(r.outcome == "goal reached");
    REQUIRE(sizes.size() == r.decisions.size());
    CHECK(std::is_sorted(sizes.begin(), sizes.end()));
    CHECK(sizes.back() == r.route.segments.size());
    CHECK(accepted > 0);
    bool repaired = false;
    for (const auto& s : r.route.segments) repaired = repaired || s.provenance.repaired;
    CHECK(repaired);
    requireClear(maps, r.route, {});
    for (const auto& c : checker.checkRoute(r.route)) CHECK(c.status != CheckStatus::Fail);
}

TEST_CASE("the built-in proposer alone: around a keep-out, every segment within 10 m") {
    const auto maps = craterSite();
    const twin::RoverConfig rover;
    std::vector<twin::Zone> zones = {{"dunes", false, {{40, 60}, {60, 60}, {60, 140}, {40, 140}}}};
    const SegmentChecker checker(maps, rover, zones, CheckLimits::fromRover(rover));
    BuiltinProposer builtin;
    BuildRequest req;
    req.start = {20, 100, 90};
    req.goal = {180, 110};
    req.zones = zones;
    int progressCalls = 0;
    BuildOptions opt;
    opt.progress = [&](double, std::string_view) { ++progressCalls; };
    const BuildResult r = buildRoute(maps, rover, checker, req, builtin, nullptr, opt);
    REQUIRE(r.reachedGoal);
    CHECK(progressCalls > 1);
    CHECK(std::hypot(r.route.end().e - 180, r.route.end().n - 110) <= req.goalToleranceM);
    requireClear(maps, r.route, zones);
    for (const auto& s : r.route.segments) CHECK(s.provenance.source == "builtin");
}

TEST_CASE("budgets and cancellation end the loop cleanly") {
    const auto maps = craterSite();
    const twin::RoverConfig rover;
    const SegmentChecker checker(maps, rover, {}, CheckLimits::fromRover(rover));
    StraightLiner liner;
    BuildRequest req;
    req.start = {20, 180, 90};
    req.goal = {180, 180};
    BuildOptions opt;
    opt.maxSegments = 4;
    auto r = buildRoute(maps, rover, checker, req, liner, nullptr, opt);
    CHECK(r.outcome.find("segment budget") != std::string::npos);
    CHECK(r.route.segments.size() == 4);
    opt.maxSegments = 1000;
    opt.maxRequests = 3;
    r = buildRoute(maps, rover, checker, req, liner, nullptr, opt);
    CHECK(r.outcome.find("request budget") != std::string::npos);
    CHECK(r.requests == 3);
    std::stop_source stop;
    stop.request_stop();
    opt.stop = stop.get_token();
    CHECK_THROWS_AS(buildRoute(maps, rover, checker, req, liner, nullptr, opt), Error);
}

TEST_CASE("on the sample site: the built-in route reaches the goal clear of hazards and a keep-out") {
    const terrain::Raster dtm = terrain::Raster::open(test::sampleDir() / "sample_dtm.tif");
    const twin::RoverConfig rover;
    const auto maps = terrain::HazardMaps::compute(dtm, twin::hazardParamsFor(rover));
    // A keep-out square across the straight line between start and goal.
    const std::vector<twin::Zone> zones = {
        {"no-go", false, {{2760, 1093560}, {2840, 1093560}, {2840, 1093640}, {2760, 1093640}}}};
    const SegmentChecker checker(maps, rover, zones, CheckLimits::fromRover(rover));
    BuiltinProposer builtin;
    BuildRequest req;
    const MapPoint start = nearestClear(maps, {2600, 1093400}, 3.0), goal = nearestClear(maps, {3000, 1093800}, 3.0);
    req.start = {start.e, start.n, 45};
    req.goal = goal;
    req.zones = zones;
    const BuildResult r = buildRoute(maps, rover, checker, req, builtin, nullptr);
    INFO(r.outcome);
    REQUIRE(r.reachedGoal);
    requireClear(maps, r.route, zones);
    CHECK(r.route.lengthM() < 1.5 * std::hypot(goal.e - start.e, goal.n - start.n));
    for (const auto& c : checker.checkRoute(r.route)) CHECK(c.status != CheckStatus::Fail);
}

TEST_CASE("via-points drawn by the planner are passed in order") {
    const auto maps = craterSite();
    const twin::RoverConfig rover;
    const SegmentChecker checker(maps, rover, {}, CheckLimits::fromRover(rover));
    BuiltinProposer builtin;
    BuildRequest req;
    req.start = {20, 20, 0};
    req.goal = {180, 20};
    req.via = {{100, 160}, {160, 100}};  // a detour north around the crater, then back south
    const BuildResult r = buildRoute(maps, rover, checker, req, builtin, nullptr);
    REQUIRE(r.reachedGoal);
    std::size_t next = 0;
    for (const auto& p : r.route.points())
        if (next < req.via.size() && std::hypot(p.e - req.via[next].e, p.n - req.via[next].n) <= req.goalToleranceM) ++next;
    CHECK(next == req.via.size());
    CHECK(r.route.lengthM() > 300.0);  // far longer than the 160 m straight line
    requireClear(maps, r.route, {});
}
