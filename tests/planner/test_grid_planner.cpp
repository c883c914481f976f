// The built-in proposer's global planner (planner/grid_planner.hpp), on hazard maps built by hand: cases
// with known answers (an open grid, a wall with a gap, a ring around the goal) and properties checked
// independently of the planner (clearance sampled every 0.25 m by brute force, zones, cost).
#include "planner/grid_planner.hpp"

#include "terrain/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stop_token>
#include <string>
#include <vector>

using namespace traverse;
using planner::GridPlanRequest;
using planner::GridPlanResult;
using planner::GridSearch;
using terrain::MapPoint;

namespace {

// A north-up grid of cols x rows cells of `pixel` metres, its top-left corner at (1000, 2000 + rows *
// pixel), every cost `cost`, no hazards.
terrain::HazardMaps openMaps(int cols, int rows, float cost = 0.1f, double pixel = 1.0) {
    terrain::HazardMaps m;
    m.geoTransform = terrain::GeoTransform::northUp({1000.0, 2000.0 + rows * pixel}, pixel, pixel);
    m.cost = terrain::Grid<float>(cols, rows, cost);
    m.hazard = terrain::Grid<std::uint8_t>(cols, rows, 0);
    return m;
}

MapPoint centre(const terrain::HazardMaps& m, double c, double r) { return m.geoTransform.toMap({c + 0.5, r + 0.5}); }

void setHazard(terrain::HazardMaps& m, int c, int r) {
    m.hazard.at(c, r) = terrain::kHazardStep;
    m.cost.at(c, r) = 1.0f;
}

double dist(MapPoint a, MapPoint b) { return std::hypot(a.e - b.e, a.n - b.n); }

double segmentDistance(MapPoint p, MapPoint a, MapPoint b) {
    const double dx = b.e - a.e, dy = b.n - a.n, l2 = dx * dx + dy * dy;
    const double t = l2 > 0 ? std::clamp(((p.e - a.e) * dx + (p.n - a.n) * dy) / l2, 0.0, 1.0) : 0.0;
    return std::hypot(a.e + t * dx - p.e, a.n + t * dy - p.n);
}

double polygonBoundaryDistance(const std::vector<MapPoint>& poly, MapPoint p) {
    double d = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++)
        d = std::min(d, segmentDistance(p, poly[j], poly[i]));
    return d;
}

// Points along the path every `step` metres (and every vertex).
std::vector<MapPoint> samples(const std::vector<MapPoint>& path, double step = 0.25) {
    std::vector<MapPoint> out;
    for (std::size_t i = 1; i < path.size(); ++i) {
        const double len = dist(path[i - 1], path[i]);
        const int n = std::max(1, int(std::ceil(len / step)));
        for (int k = 0; k < n; ++k) {
            const double t = double(k) / n;
            const MapPoint a = path[i - 1], b = path[i];
            out.push_back({a.e + t * (b.e - a.e), a.n + t * (b.n - a.n)});
        }
    }
    if (!path.empty()) out.push_back(path.back());
    return out;
}

// The centres of the hazard cells.
std::vector<MapPoint> hazardCentres(const terrain::HazardMaps& m) {
    std::vector<MapPoint> out;
    for (int r = 0; r < m.hazard.rows; ++r)
        for (int c = 0; c < m.hazard.cols; ++c)
            if (m.hazard.at(c, r)) out.push_back(centre(m, c, r));
    return out;
}

// Distance from p to the nearest hazard cell's centre (brute force).
double hazardDistance(const std::vector<MapPoint>& hazards, MapPoint p) {
    double d = std::numeric_limits<double>::infinity();
    for (const MapPoint& h : hazards) d = std::min(d, dist(p, h));
    return d;
}

GridPlanRequest request(MapPoint start, MapPoint goal, GridSearch search = GridSearch::Guided, double radius = 1.5) {
    GridPlanRequest req;
    req.start = start;
    req.goal = goal;
    req.roverRadiusM = radius;
    req.search = search;
    return req;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("grid planner: an open grid gives the straight line", "[grid_planner]") {
    const GridSearch search = GENERATE(GridSearch::Guided, GridSearch::Optimal);
    const auto maps = openMaps(200, 160, 0.1f);
    const MapPoint start = centre(maps, 20.3, 30.1), goal = centre(maps, 171.6, 140.8);
    const GridPlanResult res = planner::planOnGrid(maps, request(start, goal, search));
    REQUIRE(res.found);
    REQUIRE(res.path.size() == 2);
    CHECK(res.path.front().e == start.e);
    CHECK(res.path.front().n == start.n);
    CHECK(res.path.back().e == goal.e);
    CHECK(res.path.back().n == goal.n);
    const double euclid = dist(start, goal);
    CHECK(res.lengthM == Approx(euclid).epsilon(0.01));
    CHECK(res.costOfPath == Approx(euclid * (1.0 + 10.0 * 0.1)).epsilon(1e-6));
    CHECK(res.costOfPath <= res.searchCost * (1.0 + 1e-9));
    CHECK(res.expanded > 0);
}

TEST_CASE("grid planner: the start and the goal in one cell", "[grid_planner]") {
    const auto maps = openMaps(20, 20);
    const MapPoint p = centre(maps, 10.2, 10.3);
    const GridPlanResult res = planner::planOnGrid(maps, request(p, p));
    REQUIRE(res.found);
    REQUIRE(res.path.size() == 2);
    CHECK(res.lengthM == 0.0);
}

TEST_CASE("grid planner: rectangular cells", "[grid_planner]") {
    const GridSearch search = GENERATE(GridSearch::Guided, GridSearch::Optimal);
    terrain::HazardMaps maps = openMaps(120, 60, 0.1f);
    maps.geoTransform = terrain::GeoTransform({500.0, 1.0, 0.0, 800.0, 0.0, -2.0});  // 1 m x 2 m cells
    const MapPoint start = centre(maps, 3.2, 4.7), goal = centre(maps, 110.4, 51.1);
    const GridPlanResult res = planner::planOnGrid(maps, request(start, goal, search));
    REQUIRE(res.found);
    CHECK(res.path.size() == 2);
    CHECK(res.lengthM == Approx(dist(start, goal)));
}

TEST_CASE("grid planner: a wall with a gap is passed through the gap", "[grid_planner]") {
    const GridSearch search = GENERATE(GridSearch::Guided, GridSearch::Optimal);
    // Gap rows [140, gapEnd): wide, and just wide enough for the rover (free cell centres in rows
    // 141..144 once the wall is inflated by 1.5 m).
    const int gapEnd = GENERATE(160, 146);
    auto maps = openMaps(200, 200, 0.05f);
    // A wall two cells thick along columns 100..101.
    for (int r = 0; r < 200; ++r)
        if (r < 140 || r >= gapEnd) {
            setHazard(maps, 100, r);
            setHazard(maps, 101, r);
        }
    const MapPoint start = centre(maps, 30, 30), goal = centre(maps, 170, 40);
    const GridPlanResult res = planner::planOnGrid(maps, request(start, goal, search));
    REQUIRE(res.found);
    // Where the path crosses the wall's middle, it is in the gap, with the rover's radius to spare.
    bool crossed = false;
    for (std::size_t i = 1; i < res.path.size(); ++i) {
        const MapPoint a = res.path[i - 1], b = res.path[i];
        const double x = maps.geoTransform.toMap({101.0, 0.0}).e;
        if ((a.e - x) * (b.e - x) > 0) continue;
        const double t = (x - a.e) / (b.e - a.e);
        const double row = maps.geoTransform.toPixel({x, a.n + t * (b.n - a.n)}).row;
        CHECK(row >= 141.0);
        CHECK(row <= gapEnd - 1.0);
        crossed = true;
    }
    CHECK(crossed);
    const auto hazards = hazardCentres(maps);
    for (const MapPoint& p : samples(res.path)) CHECK(hazardDistance(hazards, p) >= 1.5);
}

TEST_CASE("grid planner: the path keeps the rover's radius from every hazard cell", "[grid_planner]") {
    const GridSearch search = GENERATE(GridSearch::Guided, GridSearch::Optimal);
    const double radius = GENERATE(0.0, 1.5, 2.2, 3.0);
    auto maps = openMaps(160, 120, 0.2f);
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> U(0.0, 1.0);
    for (int r = 0; r < 120; ++r)
        for (int c = 0; c < 160; ++c) maps.cost.at(c, r) = float(0.1 + 0.3 * U(rng));
    // Rocks: small blobs, a few single cells.
    for (int k = 0; k < 70; ++k) {
        const int cx = int(U(rng) * 160), cy = int(U(rng) * 120), size = int(U(rng) * 3);
        for (int r = cy - size; r <= cy + size; ++r)
            for (int c = cx - size; c <= cx + size; ++c)
                if (c >= 0 && r >= 0 && c < 160 && r < 120 && std::hypot(c - cx, r - cy) <= size) setHazard(maps, c, r);
    }
    const MapPoint start = centre(maps, 5, 5), goal = centre(maps, 154, 114);
    for (int r = 0; r < 120; ++r)
        for (int c = 0; c < 160; ++c)
            if (std::min(dist(centre(maps, c, r), start), dist(centre(maps, c, r), goal)) < radius + 3.0) {
                maps.hazard.at(c, r) = 0;
                maps.cost.at(c, r) = 0.2f;
            }
    const GridPlanResult res = planner::planOnGrid(maps, request(start, goal, search, radius));
    INFO("radius " << radius);
    REQUIRE(res.found);
    const auto hazards = hazardCentres(maps);
    for (const MapPoint& p : samples(res.path)) {
        // The point itself, and the centre of the cell it is in (no inflated cell is entered).
        CHECK(hazardDistance(hazards, p) >= radius);
        const auto px = maps.geoTransform.toPixel(p);
        const MapPoint cell = centre(maps, std::floor(px.col), std::floor(px.row));
        CHECK(maps.hazard.at(int(std::floor(px.col)), int(std::floor(px.row))) == 0);
        CHECK(hazardDistance(hazards, cell) >= radius);
    }
    CHECK(res.costOfPath <= res.searchCost * (1.0 + 1e-9));
}

TEST_CASE("grid planner: keep-out and keep-in zones", "[grid_planner]") {
    const GridSearch search = GENERATE(GridSearch::Guided, GridSearch::Optimal);
    const auto maps = openMaps(200, 200, 0.1f);
    const MapPoint start = centre(maps, 20, 100), goal = centre(maps, 180, 100);
    GridPlanRequest req = request(start, goal, search);

    SECTION("a keep-out across the straight line is avoided by the footprint") {
        twin::Zone z{"crater rim", false,
                     {centre(maps, 80, 60), centre(maps, 120, 60), centre(maps, 125, 140), centre(maps, 85, 135)}};
        req.keepOuts = {z};
        const GridPlanResult res = planner::planOnGrid(maps, req);
        REQUIRE(res.found);
        CHECK(res.path.size() >= 3);
        for (const MapPoint& p : samples(res.path)) {
            CHECK_FALSE(twin::insidePolygon(z.polygon, p));
            CHECK(polygonBoundaryDistance(z.polygon, p) >= 1.5);
        }
    }
    SECTION("a keep-in corridor is never left") {
        // A bent corridor: the straight line leaves it.
        twin::Zone z{"corridor", true,
                     {centre(maps, 10, 90), centre(maps, 100, 150), centre(maps, 190, 90), centre(maps, 190, 112),
                      centre(maps, 100, 172), centre(maps, 10, 112)}};
        req.keepOuts = {z};
        const GridPlanResult res = planner::planOnGrid(maps, req);
        REQUIRE(res.found);
        for (const MapPoint& p : samples(res.path)) {
            CHECK(twin::insidePolygon(z.polygon, p));
            CHECK(polygonBoundaryDistance(z.polygon, p) >= 1.5);
        }
    }
}

TEST_CASE("grid planner: blocked starts and goals are refused with the reason", "[grid_planner]") {
    auto maps = openMaps(100, 100, 0.1f);
    setHazard(maps, 50, 50);
    const MapPoint free1 = centre(maps, 10, 10), free2 = centre(maps, 90, 90);

    SECTION("start on a hazard cell") {
        const GridPlanResult res = planner::planOnGrid(maps, request(centre(maps, 50, 50), free2));
        CHECK_FALSE(res.found);
        CHECK(contains(res.reason, "start"));
        CHECK(contains(res.reason, "hard-hazard cell"));
    }
    SECTION("goal within the rover's radius of a hazard") {
        const GridPlanResult res = planner::planOnGrid(maps, request(free1, centre(maps, 51, 50.2)));
        CHECK_FALSE(res.found);
        CHECK(contains(res.reason, "goal"));
        CHECK(contains(res.reason, "radius"));
    }
    SECTION("outside the grid") {
        const GridPlanResult res = planner::planOnGrid(maps, request(free1, {0.0, 0.0}));
        CHECK_FALSE(res.found);
        CHECK(contains(res.reason, "goal is outside"));
    }
    SECTION("in a keep-out zone") {
        GridPlanRequest req = request(free1, free2);
        req.keepOuts = {twin::Zone{
            "dune", false, {centre(maps, 5, 5), centre(maps, 15, 5), centre(maps, 15, 15), centre(maps, 5, 15)}}};
        const GridPlanResult res = planner::planOnGrid(maps, req);
        CHECK_FALSE(res.found);
        CHECK(contains(res.reason, "start is inside keep-out zone 'dune'"));
    }
    SECTION("outside a keep-in zone") {
        GridPlanRequest req = request(free1, free2);
        req.keepOuts = {twin::Zone{
            "site", true, {centre(maps, 20, 20), centre(maps, 95, 20), centre(maps, 95, 95), centre(maps, 20, 95)}}};
        const GridPlanResult res = planner::planOnGrid(maps, req);
        CHECK_FALSE(res.found);
        CHECK(contains(res.reason, "start is outside keep-in zone 'site'"));
    }
    SECTION("an enclosed goal") {
        const GridSearch search = GENERATE(GridSearch::Guided, GridSearch::Optimal);
        for (int r = 70; r <= 94; ++r)
            for (int c = 70; c <= 94; ++c)
                if (r == 70 || r == 94 || c == 70 || c == 94) setHazard(maps, c, r);
        const GridPlanResult res = planner::planOnGrid(maps, request(free1, centre(maps, 82, 82), search));
        CHECK_FALSE(res.found);
        CHECK(contains(res.reason, "no path"));
        CHECK(res.path.empty());
    }
}

TEST_CASE("grid planner: a costly area is avoided when a cheap detour exists", "[grid_planner]") {
    const GridSearch search = GENERATE(GridSearch::Guided, GridSearch::Optimal);
    auto maps = openMaps(200, 120, 0.02f);
    // A band of rough ground across the straight line, with easy ground around its ends.
    for (int r = 20; r < 100; ++r)
        for (int c = 90; c < 110; ++c) maps.cost.at(c, r) = 0.9f;
    const MapPoint start = centre(maps, 10, 60), goal = centre(maps, 190, 60);
    const GridPlanResult res = planner::planOnGrid(maps, request(start, goal, search));
    REQUIRE(res.found);
    for (const MapPoint& p : samples(res.path)) {
        const auto px = maps.geoTransform.toPixel(p);
        CHECK(maps.cost.at(int(px.col), int(px.row)) < 0.5f);
    }
    const double straight = planner::costOfPolyline(maps, {start, goal}, 10.0);
    CHECK(res.costOfPath < straight);
    CHECK(res.costOfPath <= res.searchCost * (1.0 + 1e-9));
}

TEST_CASE("grid planner: the guided search stays close to the optimum", "[grid_planner]") {
    auto maps = openMaps(300, 240, 0.1f);
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> U(0.0, 1.0);
    // A smooth random cost field (a few sines) with rock fields.
    double a[6];
    for (double& x : a) x = U(rng) * 6.28;
    for (int r = 0; r < 240; ++r)
        for (int c = 0; c < 300; ++c)
            maps.cost.at(c, r) = float(0.25 + 0.12 * std::sin(c * 0.05 + a[0]) * std::cos(r * 0.04 + a[1]) +
                                       0.1 * std::sin((c + r) * 0.021 + a[2]));
    for (int k = 0; k < 300; ++k) {
        const int cx = int(U(rng) * 300), cy = int(U(rng) * 240);
        if (cx < 20 && cy < 20) continue;
        if (cx > 280 && cy > 220) continue;
        setHazard(maps, cx, cy);
    }
    const MapPoint start = centre(maps, 5, 5), goal = centre(maps, 294, 234);
    const GridPlanResult guided = planner::planOnGrid(maps, request(start, goal, GridSearch::Guided));
    const GridPlanResult optimal = planner::planOnGrid(maps, request(start, goal, GridSearch::Optimal));
    REQUIRE(guided.found);
    REQUIRE(optimal.found);
    CHECK(guided.searchCost <= optimal.searchCost * 1.005);
    CHECK(guided.costOfPath <= optimal.searchCost * 1.005);
    CHECK(guided.expanded < optimal.expanded);
    CHECK(guided.costOfPath <= guided.searchCost * (1.0 + 1e-9));
    CHECK(optimal.costOfPath <= optimal.searchCost * (1.0 + 1e-9));
    // Smoothing leaves short, straight legs: far fewer vertices than cells.
    CHECK(guided.path.size() < 60);
}

TEST_CASE("grid planner: the search graph has symmetric moves priced by costOfPolyline", "[grid_planner]") {
    auto maps = openMaps(30, 30, 0.0f);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> U(0.0f, 1.0f);
    for (float& v : maps.cost.values) v = U(rng);
    setHazard(maps, 15, 15);
    setHazard(maps, 20, 8);
    GridPlanRequest req = request(centre(maps, 1, 1), centre(maps, 28, 28));
    req.roverRadiusM = 2.2;  // a radius whose diagonal moves need more than their own cells
    const planner::GridGraph g = planner::buildGridGraph(maps, req);
    const auto hazards = hazardCentres(maps);
    REQUIRE(g.cols == 30);
    int edges = 0;
    for (int r = 0; r < 30; ++r)
        for (int c = 0; c < 30; ++c)
            for (int k = 0; k < planner::kGridMoveCount; ++k) {
                if (!(g.moves[g.node(c, r)] >> k & 1)) continue;
                ++edges;
                const int c2 = c + planner::kGridMoves[k].dc, r2 = r + planner::kGridMoves[k].dr;
                REQUIRE(c2 >= 0);
                REQUIRE(r2 < 30);
                // The reverse move is an edge too.
                int back = -1;
                for (int j = 0; j < planner::kGridMoveCount; ++j)
                    if (planner::kGridMoves[j].dc == -planner::kGridMoves[k].dc &&
                        planner::kGridMoves[j].dr == -planner::kGridMoves[k].dr)
                        back = j;
                CHECK((g.moves[g.node(c2, r2)] >> back & 1));
                const double leg = planner::costOfPolyline(maps, {centre(maps, c, r), centre(maps, c2, r2)}, 10.0);
                CHECK(g.edgeCost(g.node(c, r), k) == Approx(leg).epsilon(1e-5));
                CHECK(g.heuristic(g.node(c, r), g.node(c2, r2)) <= g.edgeCost(g.node(c, r), k));
                // Clear by the contract: every point of the leg at least the radius from the hazards.
                for (const MapPoint& p : samples({centre(maps, c, r), centre(maps, c2, r2)}, 0.05))
                    CHECK(hazardDistance(hazards, p) >= 2.2);
            }
    CHECK(edges > 30 * 30 * 10);
}

TEST_CASE("grid planner: cutIntoSegments", "[grid_planner]") {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> U(-50.0, 50.0);
    for (int trial = 0; trial < 20; ++trial) {
        std::vector<MapPoint> path;
        for (int i = 0; i < 2 + trial % 5; ++i) path.push_back({U(rng), U(rng)});
        const double maxSeg = 0.5 + trial;
        const auto cut = planner::cutIntoSegments(path, maxSeg);
        REQUIRE(cut.size() >= path.size());
        CHECK(cut.front().e == path.front().e);
        CHECK(cut.front().n == path.front().n);
        CHECK(cut.back().e == path.back().e);
        CHECK(cut.back().n == path.back().n);
        for (std::size_t i = 1; i < cut.size(); ++i) CHECK(dist(cut[i - 1], cut[i]) <= maxSeg);
        // Every vertex is kept, in order.
        std::size_t j = 0;
        for (const MapPoint& v : path)
            while (j < cut.size() && !(cut[j].e == v.e && cut[j].n == v.n)) ++j;
        CHECK(j < cut.size());
        CHECK(planner::polylineLength(cut) == Approx(planner::polylineLength(path)).epsilon(1e-9));
    }
    CHECK(planner::cutIntoSegments({}, 10.0).empty());
    CHECK(planner::cutIntoSegments({{1.0, 2.0}}, 10.0).size() == 1);
    // A leg of 2.5 x max: three even pieces.
    const auto three = planner::cutIntoSegments({{0.0, 0.0}, {25.0, 0.0}}, 10.0);
    REQUIRE(three.size() == 4);
    CHECK(three[1].e == Approx(25.0 / 3.0));
    CHECK_THROWS_AS(planner::cutIntoSegments({{0.0, 0.0}, {1.0, 0.0}}, 0.0), Error);
}

TEST_CASE("grid planner: costOfPolyline integrates the cost cell by cell", "[grid_planner]") {
    auto maps = openMaps(10, 3, 0.0f);
    for (int c = 5; c < 10; ++c) maps.cost.at(c, 1) = 1.0f;
    // Along the middle row from x = 2.5 to 7.5 (cells): 2.5 m at cost 0, 2.5 m at cost 1.
    CHECK(planner::costOfPolyline(maps, {centre(maps, 2, 1), centre(maps, 7, 1)}, 10.0) == Approx(2.5 + 2.5 * 11.0));
    // The same back and forth: additive per leg.
    CHECK(planner::costOfPolyline(maps, {centre(maps, 2, 1), centre(maps, 7, 1), centre(maps, 2, 1)}, 10.0) ==
          Approx(2.0 * (2.5 + 2.5 * 11.0)));
    CHECK(planner::costOfPolyline(maps, {centre(maps, 2, 1)}, 10.0) == 0.0);
}

TEST_CASE("grid planner: inflateObstacles uses exact Euclidean distances", "[grid_planner]") {
    terrain::Grid<std::uint8_t> g(21, 21, 0);
    g.at(10, 10) = 1;
    SECTION("square cells") {
        const auto out = planner::inflateObstacles(g, 1.0, 1.0, 2.0);
        int n = 0;
        for (int r = 0; r < 21; ++r)
            for (int c = 0; c < 21; ++c) {
                const bool expect = std::hypot(c - 10, r - 10) < 2.0;
                CHECK(bool(out.at(c, r)) == expect);
                n += out.at(c, r);
            }
        CHECK(n == 9);  // the cell, its 4 neighbours at 1 m and 4 diagonals at 1.41 m; 2 m is not closer than 2 m
    }
    SECTION("rectangular cells") {
        const auto out = planner::inflateObstacles(g, 0.5, 2.0, 2.1);
        for (int r = 0; r < 21; ++r)
            for (int c = 0; c < 21; ++c)
                CHECK(bool(out.at(c, r)) == (std::hypot(0.5 * (c - 10), 2.0 * (r - 10)) < 2.1));
    }
    SECTION("radius zero keeps the obstacles only") {
        const auto out = planner::inflateObstacles(g, 1.0, 1.0, 0.0);
        CHECK(std::count(out.values.begin(), out.values.end(), 1) == 1);
    }
}

TEST_CASE("grid planner: cancellation and bad arguments", "[grid_planner]") {
    auto maps = openMaps(600, 600, 0.3f);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> U(0.0f, 0.6f);
    for (float& v : maps.cost.values) v = U(rng);
    GridPlanRequest req = request(centre(maps, 5, 5), centre(maps, 590, 590), GridSearch::Optimal);
    SECTION("stopped before it starts") {
        std::stop_source stop;
        stop.request_stop();
        req.stop = stop.get_token();
        try {
            planner::planOnGrid(maps, req);
            FAIL("no exception");
        } catch (const Error& e) {
            CHECK(e.kind() == Error::Kind::Cancelled);
        }
    }
    SECTION("stopped while searching") {
        std::stop_source stop;
        req.stop = stop.get_token();
        // Stop from inside the search loop (its first report after the start of the stage).
        req.progress = [&](double fraction, std::string_view stage) {
            if (stage == "searching" && fraction > 0.1) stop.request_stop();
        };
        try {
            planner::planOnGrid(maps, req);
            FAIL("no exception");
        } catch (const Error& e) {
            CHECK(e.kind() == Error::Kind::Cancelled);
        }
    }
    SECTION("bad arguments") {
        req.roverRadiusM = -1.0;
        CHECK_THROWS_AS(planner::planOnGrid(maps, req), Error);
        req.roverRadiusM = 1.5;
        req.start.e = std::numeric_limits<double>::quiet_NaN();
        CHECK_THROWS_AS(planner::planOnGrid(maps, req), Error);
    }
}
