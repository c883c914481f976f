#pragma once
// Monte Carlo dispersion of a drive: N simulations with perturbed slip, heading, initial pose and
// wheel odometry scale (1 sigma = half the rover's blind odometry error fraction),
// seeded and reproducible (run i draws from its own generator, whatever the thread count), run in
// parallel. Gives the end positions' mean, covariance and an ellipse at a stated confidence, and the
// share of runs that keep every flight rule.
#include "twin/simulator.hpp"

#include <array>
#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

namespace traverse::twin {

struct MonteCarloOptions {
    int runs = 100;
    std::uint64_t seed = 1;
    double slipSigma = 0.3;             // relative: slip scale ~ N(1, sigma), at least 0
    double headingSigmaDeg = 1.0;       // heading knowledge error
    double startSigmaM = 0.1;           // initial position error, per axis
    double startHeadingSigmaDeg = 0.5;  // initial heading error
    double confidence = 0.95;           // of the reported ellipse
    int threads = 0;                    // 0: all hardware threads
    std::stop_token stop;               // optional; runMonteCarlo throws Error (Cancelled) when triggered
};

struct DispersionEllipse {
    double semiMajorM = 0.0, semiMinorM = 0.0;
    double orientationDeg = 0.0;  // direction of the major axis, clockwise from north (0..180)
    double confidence = 0.95;
};

struct MonteCarloResult {
    int runs = 0;
    int runsPassing = 0;           // runs that kept every flight rule
    double passShare = 0.0;
    terrain::MapPoint meanEnd;
    double covEE = 0.0, covEN = 0.0, covNN = 0.0;  // m^2
    DispersionEllipse ellipse;
    std::vector<terrain::MapPoint> ends;           // per run, in run order
    std::vector<bool> passed;
    std::array<int, kRuleCount> runsViolating{};   // per rule (index: Rule), the runs that broke it
};

// "tilt 20, belly_clearance 3": the rules dispersed runs broke, most often broken first; empty when
// every run kept every rule.
std::string describeViolations(const MonteCarloResult& result);

// The report of a simulation (and optionally its dispersion) as JSON: sequence, summary, events,
// flight-rule verdict, Monte Carlo statistics.
std::string simulationReportJson(const Sequence& sequence, const SimulationResult& result,
                                 const MonteCarloResult* dispersion);

// Throws Error (InvalidArgument) for bad options (runs < 1, sigmas negative, confidence outside
// (0, 1)), Cancelled when mc.stop is triggered (checked between runs), and whatever simulate throws.
MonteCarloResult runMonteCarlo(const terrain::ElevationModel& dtm, const RoverConfig& rover, const Sequence& sequence,
                               const SimulationOptions& options, const MonteCarloOptions& mc);

}  // namespace traverse::twin
