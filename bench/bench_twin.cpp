// Benchmark of the digital twin (issue "Digital twin"), in one invocation:
//  1. one simulation of a 1 km sequence at 5 cm steps with the full suspension model, on one core
//     (target: under 0.1 s; the rover itself needs about 6.6 hours), against a reference in the same
//     run: the terrain lookups alone (the same number of bilinear height queries);
//  2. 1000 Monte Carlo runs of a 250 m drive on all cores (target: under 5 s on 2 cores).
// usage: bench_twin [--runs K] (default 5; figures are medians)
#include "terrain/elevation_model.hpp"
#include "twin/monte_carlo.hpp"
#include "twin/simulator.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

using namespace traverse;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// 1.2 km x 1.2 km of rolling terrain at 1 m with small craters: a 1 m DTM like HiRISE's.
terrain::ElevationModel makeSite() {
    const int n = 1200;
    terrain::Grid<float> g(n, n);
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) {
            double z = -2500.0 + 3.0 * std::sin(c * 0.013) * std::cos(r * 0.011) + 0.3 * std::sin(c * 0.21 + r * 0.17);
            const double cx = std::fmod(c, 90.0) - 45.0, cy = std::fmod(r, 90.0) - 45.0;
            const double d = std::sqrt(cx * cx + cy * cy) / 6.0;
            if (d < 1.0) z -= 0.8 * (1.0 - d * d);
            g.at(c, r) = float(z);
        }
    return terrain::ElevationModel(std::move(g), terrain::GeoTransform::northUp({0.0, double(n)}, 1.0, 1.0), std::nullopt);
}

twin::Sequence zigzag(double lengthM) {
    twin::Sequence s;
    s.header.name = "bench";
    s.header.start = {100.0, 100.0, 45.0};
    double done = 0.0;
    for (int i = 0; done < lengthM; ++i) {
        const double leg = std::min(40.0, lengthM - done);
        s.commands.push_back(twin::DriveStraight{leg});
        done += leg;
        if (done < lengthM) {
            const double arc = std::min(10.0, lengthM - done);
            s.commands.push_back(twin::DriveArc{i % 2 ? 30.0 : -30.0, arc});
            done += arc;
        }
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 5;
    for (int i = 1; i + 1 < argc; i += 2)
        if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    const auto site = makeSite();
    const twin::RoverConfig rover;

    // 1. One simulation of 1 km on one core.
    const twin::Sequence km = zigzag(1000.0);
    std::vector<double> tSim, tRef;
    twin::SimulationResult last;
    for (int k = 0; k < runs; ++k) {
        auto t0 = Clock::now();
        last = twin::simulate(site, rover, km);
        tSim.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
        // Reference: the same number of height queries the simulator makes per step (6 wheels x 5
        // patch points + 9 belly points), along the same path.
        const auto& e = last.telemetry.column(twin::kEastM);
        const auto& n = last.telemetry.column(twin::kNorthM);
        t0 = Clock::now();
        double sink = 0.0;
        for (std::size_t i = 0; i < e.size(); ++i)
            for (int q = 0; q < 39; ++q) sink += site.heightAt({e[i] + 0.05 * (q % 7), n[i] + 0.05 * (q / 7)}).value_or(0.0);
        tRef.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
        if (sink == 42.0) std::puts("");  // keep the loop
    }
    const double ms = median(tSim), mr = median(tRef);
    std::printf("1 km sequence, %zu steps of <= 5 cm, one core (median of %d)\n", last.telemetry.size(), runs);
    std::printf("  simulate                     %8.4f s   (target < 0.1 s)\n", ms);
    std::printf("  terrain lookups alone        %8.4f s   ratio %.1f\n", mr, ms / mr);
    std::printf("  the rover would need         %8.1f h   (%.0fx faster than real time)\n", last.elapsedS / 3600.0,
                last.elapsedS / ms);
    std::printf("  (verdict %s, %lld values checked)\n", last.verdict.pass ? "pass" : "fail",
                static_cast<long long>(last.verdict.valuesChecked));

    // 2. Monte Carlo: 1000 runs of 250 m on all cores.
    const twin::Sequence quarter = zigzag(250.0);
    twin::MonteCarloOptions mc;
    mc.runs = 1000;
    mc.seed = 7;
    std::vector<double> tMc;
    twin::MonteCarloResult res;
    for (int k = 0; k < std::max(1, runs / 2); ++k) {
        const auto t0 = Clock::now();
        res = twin::runMonteCarlo(site, rover, quarter, {}, mc);
        tMc.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::printf("\nMonte Carlo, 1000 runs of 250 m, %u threads (median of %zu)\n", std::thread::hardware_concurrency(),
                tMc.size());
    std::printf("  runMonteCarlo                %8.3f s   (target < 5 s)\n", median(tMc));
    std::printf("  per run                      %8.2f ms\n", 1000.0 * median(tMc) / mc.runs);
    std::printf("  (95%% ellipse %.2f x %.2f m, %.1f%% of runs keep every rule)\n", res.ellipse.semiMajorM,
                res.ellipse.semiMinorM, 100.0 * res.passShare);
    return 0;
}
