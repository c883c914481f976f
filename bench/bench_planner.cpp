// Benchmark of the built-in proposer's global planner (issue "Planner", performance): plan across a
// 4000 x 4000 cost grid at 1 m, corner to corner (about 5.6 km), and in the same invocation solve the
// same graph with Boost Graph Library's astar_search as the reference.
//
// The grid is generated (deterministic from --seed): a smooth fractal cost field, rough patches and
// ripple fields, craters with a power-law size distribution (steep walls as hard hazards, blocky
// ejecta), boulder fields (clusters of small hard-hazard blobs) and a few long scarps with narrow gaps
// that force detours.
//
// The reference is a faithful astar_search on the very graph planOnGrid searches (buildGridGraph: the
// same 16-connected moves, the same free cells, the same float edge costs, the same admissible
// heuristic), stored as a compressed_sparse_row_graph, the most compact BGL graph. Its graph build
// and its search are timed separately; the speed-up is planOnGrid's whole call (inflation, search,
// smoothing) against the reference's search alone. Both paths are priced with costOfPolyline.
//
// usage: bench_planner [--runs K] [--size N] [--seed S]   (defaults 3, 4000, 2025; figures are medians)
#include "planner/grid_planner.hpp"

#include <boost/graph/astar_search.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/property_map/property_map.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <numbers>
#include <random>
#include <string>
#include <vector>

using namespace traverse;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

long peakRssMb() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6) / 1024;
    return -1;
}

// ---- The terrain -------------------------------------------------------------------------------

std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

double lattice(long x, long y, std::uint64_t seed) {
    return double(mix(seed ^ mix(std::uint64_t(x) * 0x9E3779B97F4A7C15ULL ^ std::uint64_t(y))) >> 11) * 0x1.0p-53;
}

// Smooth value noise in [0, 1): bilinear over a lattice of spacing `period`, with smootherstep weights.
double valueNoise(double x, double y, double period, std::uint64_t seed) {
    const double fx = x / period, fy = y / period;
    const long ix = long(std::floor(fx)), iy = long(std::floor(fy));
    double tx = fx - double(ix), ty = fy - double(iy);
    tx = tx * tx * tx * (tx * (tx * 6 - 15) + 10);
    ty = ty * ty * ty * (ty * (ty * 6 - 15) + 10);
    const double a = lattice(ix, iy, seed), b = lattice(ix + 1, iy, seed);
    const double c = lattice(ix, iy + 1, seed), d = lattice(ix + 1, iy + 1, seed);
    return (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
}

double fbm(double x, double y, double period, int octaves, std::uint64_t seed) {
    double sum = 0.0, amp = 1.0, norm = 0.0;
    for (int o = 0; o < octaves; ++o) {
        sum += amp * valueNoise(x, y, period, seed + std::uint64_t(o) * 7919);
        norm += amp;
        amp *= 0.5;
        period *= 0.5;
    }
    return sum / norm;
}

struct Terrain {
    terrain::HazardMaps maps;
    terrain::MapPoint start, goal;
    std::int64_t hazardCells = 0;
};

Terrain makeTerrain(int n, std::uint64_t seed) {
    Terrain t;
    auto& m = t.maps;
    m.geoTransform = terrain::GeoTransform::northUp({0.0, double(n)}, 1.0, 1.0);
    m.cost = terrain::Grid<float>(n, n);
    m.hazard = terrain::Grid<std::uint8_t>(n, n);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> U(0.0, 1.0);

    // Smooth cost: gentle plains with slopes and undulations, rough patches, ripple fields.
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) {
            const double base = fbm(c, r, 700.0, 5, seed + 1);
            const double rough = fbm(c, r, 300.0, 3, seed + 2);
            const double ripple = fbm(c, r, 500.0, 2, seed + 3);
            double cost = 0.02 + 0.30 * base * base;
            cost += 0.35 * std::clamp((rough - 0.62) / 0.15, 0.0, 1.0);                      // rough patches
            cost += 0.45 * std::clamp((ripple - 0.70) / 0.08, 0.0, 1.0) *
                    (0.8 + 0.2 * std::sin(c * 0.9 + r * 0.35));                              // ripple fields
            m.cost.at(c, r) = float(std::clamp(cost, 0.0, 0.99));
        }
    auto disc = [&](double cx, double cy, double rad, auto&& fn) {
        const int c0 = std::max(0, int(cx - rad - 1)), c1 = std::min(n - 1, int(cx + rad + 1));
        const int r0 = std::max(0, int(cy - rad - 1)), r1 = std::min(n - 1, int(cy + rad + 1));
        for (int r = r0; r <= r1; ++r)
            for (int c = c0; c <= c1; ++c) {
                const double d = std::hypot(c + 0.5 - cx, r + 0.5 - cy);
                if (d <= rad) fn(c, r, d);
            }
    };
    auto hard = [&](int c, int r) { m.hazard.at(c, r) = terrain::kHazardSlope; };

    // Craters: cumulative size-frequency N(>R) ~ R^-2, from 4 m to 180 m in radius. Walls are hard
    // hazards, the blocky ejecta around the rim costly.
    const double area = double(n) * n / 16e6;
    const int craters = int(450 * area);
    for (int i = 0; i < craters; ++i) {
        const double rad = std::min(180.0, 4.0 / std::sqrt(std::max(1e-9, U(rng))));
        const double cx = U(rng) * n, cy = U(rng) * n;
        disc(cx, cy, 1.7 * rad, [&](int c, int r, double d) {
            if (d <= rad && (d >= 0.7 * rad || rad < 15.0)) hard(c, r);
            else if (d > rad) {
                float& v = m.cost.at(c, r);
                v = std::min(0.99f, v + float(0.35 * (1.0 - (d - rad) / (0.7 * rad))));
            }
        });
    }
    // Boulder fields: clusters of rocks too big to drive over.
    const int fields = int(45 * area);
    for (int i = 0; i < fields; ++i) {
        const double fx = U(rng) * n, fy = U(rng) * n, frad = 60.0 + 200.0 * U(rng);
        const int rocks = int(frad * frad * (0.002 + 0.004 * U(rng)));
        disc(fx, fy, frad, [&](int c, int r, double) {
            float& v = m.cost.at(c, r);
            v = std::min(0.99f, v + 0.12f);
        });
        for (int k = 0; k < rocks; ++k) {
            const double a = 2.0 * std::numbers::pi * U(rng), d = frad * std::sqrt(U(rng));
            disc(fx + d * std::cos(a), fy + d * std::sin(a), 0.6 + 2.2 * U(rng) * U(rng),
                 [&](int c, int r, double) { hard(c, r); });
        }
    }
    // Scarps: long walls with one or two narrow gaps.
    const int scarps = std::max(1, int(7 * std::sqrt(area)));
    for (int i = 0; i < scarps; ++i) {
        double x = U(rng) * n, y = U(rng) * n, heading = 2.0 * std::numbers::pi * U(rng);
        const double length = (0.35 + 0.4 * U(rng)) * n, width = 3.0 + 5.0 * U(rng);
        const double gap1 = length * (0.2 + 0.6 * U(rng)), gap2 = U(rng) < 0.5 ? length * U(rng) : -1e9;
        const double gapW = 12.0 + 25.0 * U(rng);
        for (double s = 0.0; s < length; s += 1.0) {
            heading += 0.01 * (U(rng) - 0.5);
            x += std::cos(heading);
            y += std::sin(heading);
            if (std::abs(s - gap1) < gapW / 2 || std::abs(s - gap2) < gapW / 2) continue;
            disc(x, y, width / 2, [&](int c, int r, double) { hard(c, r); });
        }
    }
    // Start and goal near opposite corners, on clear ground.
    const int a = 10, b = n - 11;
    t.start = m.geoTransform.toMap({a + 0.5, a + 0.5});
    t.goal = m.geoTransform.toMap({b + 0.5, b + 0.5});
    for (auto [cx, cy] : {std::pair{a + 0.5, a + 0.5}, std::pair{b + 0.5, b + 0.5}})
        disc(cx, cy, 15.0, [&](int c, int r, double) { m.hazard.at(c, r) = 0; });
    for (std::size_t i = 0; i < m.hazard.values.size(); ++i)
        if (m.hazard.values[i]) {
            m.cost.values[i] = 1.0f;
            ++t.hazardCells;
        }
    return t;
}

// ---- The reference: BGL astar_search on the same graph ------------------------------------------

struct EdgeWeight {
    float w = 0.0f;
};
using Graph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, EdgeWeight,
                                                 boost::no_property, std::uint32_t, std::uint32_t>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;

struct FoundGoal {};
struct GoalVisitor : boost::default_astar_visitor {
    Vertex goal;
    std::size_t* examined;
    template <class G>
    void examine_vertex(Vertex u, const G&) {
        ++*examined;
        if (u == goal) throw FoundGoal{};
    }
};

struct Heuristic : boost::astar_heuristic<Graph, float> {
    const planner::GridGraph* gg = nullptr;
    std::int32_t goal = 0;
    float operator()(Vertex u) const { return gg->heuristic(std::int32_t(u), goal); }
};

Graph buildCsr(const planner::GridGraph& gg) {
    const std::size_t n = std::size_t(gg.cols) * gg.rows;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
    std::vector<EdgeWeight> weights;
    std::size_t m = 0;
    for (std::uint16_t mv : gg.moves) m += std::size_t(std::popcount(mv));
    edges.reserve(m);
    weights.reserve(m);
    for (std::size_t u = 0; u < n; ++u) {
        const int r = int(u / gg.cols), c = int(u % gg.cols);
        for (int k = 0; k < planner::kGridMoveCount; ++k)
            if (gg.moves[u] >> k & 1) {
                edges.emplace_back(std::uint32_t(u), std::uint32_t(gg.node(c + planner::kGridMoves[k].dc,
                                                                            r + planner::kGridMoves[k].dr)));
                weights.push_back({gg.edgeCost(std::int32_t(u), k)});
            }
    }
    return Graph(boost::edges_are_sorted, edges.begin(), edges.end(), weights.begin(), n);
}

struct ReferenceRun {
    bool found = false;
    float distance = 0.0f;
    std::vector<std::uint32_t> cells;
    std::size_t examined = 0;
};

ReferenceRun runReference(const Graph& g, const planner::GridGraph& gg, std::uint32_t s, std::uint32_t t) {
    const std::size_t n = num_vertices(g);
    std::vector<Vertex> pred(n);
    std::vector<float> dist(n), rank(n);
    std::vector<boost::default_color_type> color(n);
    ReferenceRun run;
    GoalVisitor vis;
    vis.goal = t;
    vis.examined = &run.examined;
    Heuristic h;
    h.gg = &gg;
    h.goal = std::int32_t(t);
    const auto index = get(boost::vertex_index, g);
    try {
        boost::astar_search(g, s, h,
                            boost::visitor(vis)
                                .predecessor_map(boost::make_iterator_property_map(pred.begin(), index))
                                .distance_map(boost::make_iterator_property_map(dist.begin(), index))
                                .rank_map(boost::make_iterator_property_map(rank.begin(), index))
                                .color_map(boost::make_iterator_property_map(color.begin(), index))
                                .weight_map(get(&EdgeWeight::w, g)));
    } catch (const FoundGoal&) {
        run.found = true;
        run.distance = dist[t];
        for (Vertex v = t;; v = pred[v]) {
            run.cells.push_back(v);
            if (v == s || pred[v] == v) break;
        }
        std::reverse(run.cells.begin(), run.cells.end());
    }
    return run;
}

struct Timed {
    planner::GridPlanResult result;
    std::vector<double> total;
    std::map<std::string, std::vector<double>> stages;
};

// planOnGrid `runs` times, with its stages timed through the progress callback.
Timed timePlan(const terrain::HazardMaps& maps, planner::GridPlanRequest req, int runs) {
    Timed t;
    for (int k = 0; k < runs; ++k) {
        std::string stage;
        Clock::time_point stageStart;
        req.progress = [&](double, std::string_view s) {
            if (s == stage) return;
            if (!stage.empty()) t.stages[stage].push_back(seconds(stageStart));
            stage = std::string(s);
            stageStart = Clock::now();
        };
        const auto t0 = Clock::now();
        t.result = planner::planOnGrid(maps, req);
        t.total.push_back(seconds(t0));
    }
    return t;
}

void printPlan(const char* name, const Timed& t) {
    std::printf("%-44s %9.3f s  (%zu nodes expanded)\n", name, median(t.total), t.result.expanded);
    for (const char* st : {"inflating obstacles", "guiding", "searching", "smoothing"})
        if (t.stages.count(st)) std::printf("    %-40s %9.3f s\n", st, median(t.stages.at(st)));
}

planner::GridPlanRequest requestFor(const Terrain& t) {
    planner::GridPlanRequest req;
    req.start = t.start;
    req.goal = t.goal;
    req.roverRadiusM = 1.5;
    req.costWeight = 10.0;
    return req;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 3, size = 4000, check = 0;
    std::uint64_t seed = 2025;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--runs")) runs = std::max(1, std::atoi(argv[i + 1]));
        else if (!std::strcmp(argv[i], "--size")) size = std::max(100, std::atoi(argv[i + 1]));
        else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
        else if (!std::strcmp(argv[i], "--check")) check = std::max(0, std::atoi(argv[i + 1]));
        else {
            std::fprintf(stderr, "usage: bench_planner [--runs K] [--size N] [--seed S] [--check M]\n");
            return 2;
        }
    }

    auto t0 = Clock::now();
    const Terrain terrainData = makeTerrain(size, seed);
    const auto& maps = terrainData.maps;
    std::printf("grid %d x %d at 1 m, seed %llu: %.1f %% hard-hazard cells (generated in %.1f s)\n", size, size,
                (unsigned long long)seed, 100.0 * double(terrainData.hazardCells) / (double(size) * size), seconds(t0));
    planner::GridPlanRequest req = requestFor(terrainData);
    std::printf("start (%.1f, %.1f), goal (%.1f, %.1f): %.0f m apart; rover radius %.1f m, cost weight %.0f\n",
                req.start.e, req.start.n, req.goal.e, req.goal.n,
                std::hypot(req.goal.e - req.start.e, req.goal.n - req.start.n), req.roverRadiusM, req.costWeight);

    const Timed guided = timePlan(maps, req, runs);
    req.search = planner::GridSearch::Optimal;
    const Timed optimal = timePlan(maps, req, runs);
    req.search = planner::GridSearch::Guided;
    if (!guided.result.found || !optimal.result.found) {
        std::printf("planOnGrid found no path: %s\n", guided.result.reason.c_str());
        return 1;
    }

    // The reference.
    t0 = Clock::now();
    const planner::GridGraph gg = planner::buildGridGraph(maps, req);
    const double tDescribe = seconds(t0);
    t0 = Clock::now();
    const Graph g = buildCsr(gg);
    const double tCsr = seconds(t0);
    const auto sPx = maps.geoTransform.toPixel(req.start), gPx = maps.geoTransform.toPixel(req.goal);
    const std::uint32_t s = std::uint32_t(gg.node(int(sPx.col), int(sPx.row)));
    const std::uint32_t t = std::uint32_t(gg.node(int(gPx.col), int(gPx.row)));
    std::vector<double> tRef;
    ReferenceRun ref;
    for (int k = 0; k < runs; ++k) {
        auto tr = Clock::now();
        ref = runReference(g, gg, s, t);
        tRef.push_back(seconds(tr));
    }
    if (!ref.found) {
        std::printf("the reference found no path\n");
        return 1;
    }
    std::vector<terrain::MapPoint> refPath;
    for (std::uint32_t v : ref.cells)
        refPath.push_back(maps.geoTransform.toMap({double(v % gg.cols) + 0.5, double(v / gg.cols) + 0.5}));
    const double refCost = planner::costOfPolyline(maps, refPath, req.costWeight);
    const double ref_s = median(tRef);
    auto rel = [&](double c) { return 100.0 * (c / refCost - 1.0); };

    std::printf("\n%-44s %10s\n", "", "median");
    std::printf("%-44s %9.3f s\n", "BGL: graph description (buildGridGraph)", tDescribe);
    std::printf("%-44s %9.3f s  (%zu edges)\n", "BGL: CSR graph build", tCsr, std::size_t(num_edges(g)));
    std::printf("%-44s %9.3f s  (%zu vertices examined)\n", "BGL: astar_search", ref_s, ref.examined);
    printPlan("planOnGrid, Guided (the default), whole call", guided);
    printPlan("planOnGrid, Optimal, whole call", optimal);
    std::printf("%-44s %9.1f x   (target >= 10)\n", "speed-up vs BGL's search, Guided", ref_s / median(guided.total));
    std::printf("%-44s %9.1f x\n", "speed-up vs BGL's search, Optimal", ref_s / median(optimal.total));

    std::printf("\npath costs (costOfPolyline, weight %.0f), relative to BGL's optimum:\n", req.costWeight);
    std::printf("  %-42s %12.1f  (%zu vertices, %.1f m; BGL's own distance %.1f)\n", "BGL optimum, cell path", refCost,
                refPath.size(), planner::polylineLength(refPath), double(ref.distance));
    for (auto [name, r] : {std::pair{"Optimal", &optimal.result}, std::pair{"Guided", &guided.result}}) {
        const std::string a = std::string(name) + ", search before smoothing", b = std::string(name) + ", smoothed";
        std::printf("  %-42s %12.1f  (%+.4f %%)\n", a.c_str(), r->searchCost, rel(r->searchCost));
        std::printf("  %-42s %12.1f  (%+.4f %%; %zu vertices, %.1f m)\n", b.c_str(), r->costOfPath,
                    rel(r->costOfPath), r->path.size(), r->lengthM);
    }
    std::printf("  %-42s %+11.4f %%  (target <= +0.5 %%)\n", "Guided, smoothed, vs BGL", rel(guided.result.costOfPath));

    if (check > 0) {
        // The guided search is not guaranteed optimal: its cost against the optimum on further terrains
        // (the optimum from the Optimal mode, which matches BGL's above).
        std::printf("\nGuided against the optimum on %d more seeds (relative cost, search / smoothed; times):\n",
                    check);
        double worstSearch = -1e9, worstSmoothed = -1e9;
        std::vector<double> speed;
        for (int i = 1; i <= check; ++i) {
            const Terrain other = makeTerrain(size, seed + std::uint64_t(i));
            planner::GridPlanRequest r = requestFor(other);
            const Timed gd = timePlan(other.maps, r, 1);
            r.search = planner::GridSearch::Optimal;
            const Timed op = timePlan(other.maps, r, 1);
            if (!gd.result.found || !op.result.found) {
                std::printf("  seed %llu: no path (%s)\n", (unsigned long long)(seed + i), op.result.reason.c_str());
                continue;
            }
            const double a = 100.0 * (gd.result.searchCost / op.result.searchCost - 1.0);
            const double b = 100.0 * (gd.result.costOfPath / op.result.searchCost - 1.0);
            worstSearch = std::max(worstSearch, a);
            worstSmoothed = std::max(worstSmoothed, b);
            speed.push_back(op.total[0] / gd.total[0]);
            std::printf("  seed %-6llu %+8.4f %% / %+8.4f %%   Guided %.3f s (%zu expanded), Optimal %.3f s\n",
                        (unsigned long long)(seed + i), a, b, gd.total[0], gd.result.expanded, op.total[0]);
        }
        std::printf("  worst: search %+.4f %%, smoothed %+.4f %% (target <= +0.5 %%); Guided is %.1fx faster than "
                    "Optimal (median)\n",
                    worstSearch, worstSmoothed, speed.empty() ? 0.0 : median(speed));
    }
    std::printf("\nruns %d; peak RSS %ld MB (the reference's graph dominates)\n", runs, peakRssMb());
    return 0;
}
