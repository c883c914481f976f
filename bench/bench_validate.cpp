// Benchmark of route validation (issue "Planner"): validate a 1 km route (the segment checker over
// every segment + the command sequence driven in the digital twin) on one core; target under 1 s.
// Reference in the same run: the twin's simulation of the same sequence alone, so the ratio shows
// what the checker and the sequence generation add. Also times planning the route.
// usage: bench_validate [--runs K] (default 5; figures are medians)
#include "planner/builtin_proposer.hpp"
#include "planner/route_builder.hpp"
#include "planner/validation.hpp"
#include "terrain/elevation_model.hpp"
#include "twin/rover_config.hpp"
#include "twin/simulator.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace traverse;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// 1.2 km square at 1 m: rolling terrain with craters whose walls are hard hazards.
terrain::Grid<float> makeTerrain(int n) {
    terrain::Grid<float> g(n, n);
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) {
            double z = -2500.0 + 3.0 * std::sin(c * 0.013) * std::cos(r * 0.011) + 0.2 * std::sin(c * 0.21 + r * 0.17);
            const double cx = std::fmod(c + 40.0, 150.0) - 75.0, cy = std::fmod(r + 10.0, 170.0) - 85.0;
            const double d = std::sqrt(cx * cx + cy * cy) / 14.0;
            if (d < 1.0) z -= 9.0 * (1.0 - d * d);
            g.at(c, r) = float(z);
        }
    return g;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 5;
    for (int i = 1; i + 1 < argc; i += 2)
        if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    const int n = 1200;
    const auto gt = terrain::GeoTransform::northUp({0.0, double(n)}, 1.0, 1.0);
    const terrain::Grid<float> z = makeTerrain(n);
    const twin::RoverConfig rover;
    const auto maps = terrain::HazardMaps::compute(z, gt, std::nullopt, twin::hazardParamsFor(rover));
    const terrain::ElevationModel dtm(z, gt, std::nullopt);

    planner::Plan plan;
    plan.name = "bench";
    plan.rover = rover;
    plan.route.start = {60.0, 60.0, 45.0};
    plan.goal = {760.0, 760.0};  // ~990 m straight; the route is longer around the craters
    const planner::SegmentChecker checker(maps, rover, {}, planner::CheckLimits::fromRover(rover));
    std::vector<double> tPlan;
    planner::BuildResult built;
    for (int k = 0; k < runs; ++k) {
        planner::BuiltinProposer builtin;
        const auto t0 = Clock::now();
        built = planner::buildRoute(maps, rover, checker, {plan.route.start, plan.goal, {}, 1.0, 10.0, {}}, builtin,
                                    nullptr);
        tPlan.push_back(seconds(t0));
    }
    if (!built.reachedGoal) {
        std::fprintf(stderr, "the benchmark route did not reach its goal: %s\n", built.outcome.c_str());
        return 1;
    }
    plan.route = built.route;

    std::vector<double> tValidate, tTwin;
    planner::ValidationOutcome out;
    for (int k = 0; k < runs; ++k) {
        auto t0 = Clock::now();
        out = planner::validateRoute(plan, maps, dtm);
        tValidate.push_back(seconds(t0));
        t0 = Clock::now();
        const auto sim = twin::simulate(dtm, rover, out.sequence);
        tTwin.push_back(seconds(t0));
        if (sim.verdict.steps == 0) return 1;
    }
    const double mv = median(tValidate), mt = median(tTwin);
    std::printf("route of %zu segments, %.1f m, on a %d x %d DTM at 1 m (median of %d)\n", plan.route.segments.size(),
                plan.route.lengthM(), n, n, runs);
    std::printf("  plan (built-in proposer + checker)   %8.3f s\n", median(tPlan));
    std::printf("  validate (checker + sequence + twin) %8.3f s   (target < 1 s)   %s\n", mv, out.summary.c_str());
    std::printf("  the twin alone, same sequence        %8.3f s   ratio %.2f\n", mt, mv / mt);
    return 0;
}
