#include "twin/monte_carlo.hpp"

#include "terrain/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

namespace traverse::twin {

namespace {

// splitmix64: a small, portable generator; every run gets its own stream from (seed, run index).
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double uniform() { return (double(next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }  // (0, 1)
    double normal() {  // Box-Muller, one value per call
        const double u1 = uniform(), u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    }
};

Perturbation draw(std::uint64_t seed, int run, const MonteCarloOptions& mc, const RoverConfig& rover) {
    Rng rng{seed * 0x9E3779B97F4A7C15ull + std::uint64_t(run) * 0xD1B54A32D192ED03ull + 1};
    Perturbation p;
    p.slipScale = std::max(0.0, 1.0 + mc.slipSigma * rng.normal());
    p.headingBiasDeg = mc.headingSigmaDeg * rng.normal();
    p.startOffsetE = mc.startSigmaM * rng.normal();
    p.startOffsetN = mc.startSigmaM * rng.normal();
    p.startHeadingOffsetDeg = mc.startHeadingSigmaDeg * rng.normal();
    // The rover's blind odometry error fraction taken as a 2-sigma bound.
    p.wheelOdometryError = 0.5 * rover.blindOdometryErrorFraction * rng.normal();
    return p;
}

}  // namespace

MonteCarloResult runMonteCarlo(const terrain::ElevationModel& dtm, const RoverConfig& rover, const Sequence& sequence,
                               const SimulationOptions& options, const MonteCarloOptions& mc) {
    if (mc.runs < 1) throw Error(Error::Kind::InvalidArgument, "Monte Carlo needs at least one run");
    if (!(mc.slipSigma >= 0 && mc.headingSigmaDeg >= 0 && mc.startSigmaM >= 0 && mc.startHeadingSigmaDeg >= 0))
        throw Error(Error::Kind::InvalidArgument, "Monte Carlo sigmas must be non-negative");
    if (!(mc.confidence > 0.0 && mc.confidence < 1.0))
        throw Error(Error::Kind::InvalidArgument, "Monte Carlo confidence must be in (0, 1)");

    SimulationOptions quiet = options;
    quiet.recordTelemetry = false;
    MonteCarloResult out;
    out.runs = mc.runs;
    out.ends.resize(std::size_t(mc.runs));
    std::vector<char> passed(std::size_t(mc.runs), 0);
    std::vector<std::uint32_t> broken(std::size_t(mc.runs), 0);  // per run, a bit per violated rule

    std::atomic<int> next{0};
    std::exception_ptr failure;
    std::mutex failureMutex;
    auto worker = [&] {
        for (int i = next++; i < mc.runs; i = next++) {
            if (mc.stop.stop_requested()) {
                next = mc.runs;
                break;
            }
            try {
                const SimulationResult r = simulate(dtm, rover, sequence, quiet, draw(mc.seed, i, mc, rover));
                out.ends[std::size_t(i)] = {r.endPose.e, r.endPose.n};
                passed[std::size_t(i)] = r.verdict.pass;
                for (const auto& v : r.verdict.violations) broken[std::size_t(i)] |= 1u << int(v.rule);
            } catch (...) {
                std::lock_guard lock(failureMutex);
                if (!failure) failure = std::current_exception();
                next = mc.runs;
            }
        }
    };
    const int threads = std::clamp(mc.threads > 0 ? mc.threads : int(std::thread::hardware_concurrency()), 1, mc.runs);
    {
        std::vector<std::jthread> pool;
        for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
        worker();
    }
    if (failure) std::rethrow_exception(failure);
    if (mc.stop.stop_requested()) throw Error(Error::Kind::Cancelled, "Monte Carlo dispersion cancelled");

    // Statistics in run order: the same whatever the thread count.
    double se = 0, sn = 0;
    for (const auto& p : out.ends) {
        se += p.e;
        sn += p.n;
    }
    out.meanEnd = {se / mc.runs, sn / mc.runs};
    for (const auto& p : out.ends) {
        const double de = p.e - out.meanEnd.e, dn = p.n - out.meanEnd.n;
        out.covEE += de * de;
        out.covEN += de * dn;
        out.covNN += dn * dn;
    }
    const double denom = mc.runs > 1 ? mc.runs - 1 : 1;
    out.covEE /= denom;
    out.covEN /= denom;
    out.covNN /= denom;
    for (char p : passed) {
        out.passed.push_back(p != 0);
        out.runsPassing += p != 0;
    }
    out.passShare = double(out.runsPassing) / mc.runs;
    for (const std::uint32_t bits : broken)
        for (int k = 0; k < kRuleCount; ++k) out.runsViolating[std::size_t(k)] += (bits >> k) & 1u;

    // Ellipse: eigen-decomposition of the 2x2 covariance, scaled by the chi-square quantile with two
    // degrees of freedom, k^2 = -2 ln(1 - p).
    const double tr = out.covEE + out.covNN, det = out.covEE * out.covNN - out.covEN * out.covEN;
    const double disc = std::sqrt(std::max(0.0, tr * tr / 4.0 - det));
    const double l1 = tr / 2.0 + disc, l2 = std::max(0.0, tr / 2.0 - disc);
    const double k = std::sqrt(-2.0 * std::log(1.0 - mc.confidence));
    out.ellipse.semiMajorM = k * std::sqrt(l1);
    out.ellipse.semiMinorM = k * std::sqrt(l2);
    out.ellipse.confidence = mc.confidence;
    // Major-axis direction (e, n) = (covEN, l1 - covEE) or (l1 - covNN, covEN); bearing from north.
    double ve = out.covEN, vn = l1 - out.covEE;
    if (std::abs(ve) + std::abs(vn) < 1e-30) {
        ve = l1 - out.covNN;
        vn = out.covEN;
    }
    if (std::abs(ve) + std::abs(vn) < 1e-30) {
        ve = 0.0;
        vn = 1.0;
    }
    double bearing = std::atan2(ve, vn) * 180.0 / M_PI;
    if (bearing < 0) bearing += 180.0;
    if (bearing >= 180.0) bearing -= 180.0;
    out.ellipse.orientationDeg = bearing;
    return out;
}

}  // namespace traverse::twin

namespace traverse::twin {

std::string describeViolations(const MonteCarloResult& mc) {
    std::vector<int> order;
    for (int k = 0; k < kRuleCount; ++k)
        if (mc.runsViolating[std::size_t(k)]) order.push_back(k);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return mc.runsViolating[std::size_t(a)] > mc.runsViolating[std::size_t(b)];
    });
    std::string out;
    for (const int k : order)
        out += (out.empty() ? "" : ", ") + std::string(ruleName(Rule(k))) + " " +
               std::to_string(mc.runsViolating[std::size_t(k)]);
    return out;
}

std::string simulationReportJson(const Sequence& seq, const SimulationResult& r, const MonteCarloResult* mc) {
    nlohmann::json j;
    j["format"] = "traverse-simulation";
    j["version"] = 1;
    j["sequence"] = {{"name", seq.header.name}, {"sol", seq.header.sol}, {"commands", seq.commands.size()}};
    j["pass"] = r.verdict.pass;
    j["completed"] = r.completed;
    j["summary"] = {{"distance_m", r.distanceM},
                    {"elapsed_s", r.elapsedS},
                    {"energy_wh", r.energyWh},
                    {"max_tilt_deg", r.maxTiltDeg},
                    {"min_belly_clearance_m", r.minBellyClearanceM},
                    {"max_slip", r.maxSlip},
                    {"end", {{"east_m", r.endPose.e}, {"north_m", r.endPose.n}, {"heading_deg", r.endPose.headingDeg}}},
                    {"believed_end",
                     {{"east_m", r.estimatedEndPose.e},
                      {"north_m", r.estimatedEndPose.n},
                      {"heading_deg", r.estimatedEndPose.headingDeg}}}};
    j["events"] = nlohmann::json::array();
    for (const auto& e : r.events)
        j["events"].push_back({{"time_s", e.timeS}, {"command_index", e.commandIndex}, {"what", e.what}});
    j["verdict"] = nlohmann::json::parse(r.verdict.toJson());
    if (mc) {
        j["monte_carlo"] = {{"runs", mc->runs},
                            {"runs_passing", mc->runsPassing},
                            {"pass_share", mc->passShare},
                            {"mean_end", {{"east_m", mc->meanEnd.e}, {"north_m", mc->meanEnd.n}}},
                            {"covariance_m2", {{"ee", mc->covEE}, {"en", mc->covEN}, {"nn", mc->covNN}}},
                            {"ellipse",
                             {{"confidence", mc->ellipse.confidence},
                              {"semi_major_m", mc->ellipse.semiMajorM},
                              {"semi_minor_m", mc->ellipse.semiMinorM},
                              {"major_axis_deg", mc->ellipse.orientationDeg}}}};
        nlohmann::json violating = nlohmann::json::object();
        for (int k = 0; k < kRuleCount; ++k)
            if (mc->runsViolating[std::size_t(k)])
                violating[std::string(ruleName(Rule(k)))] = mc->runsViolating[std::size_t(k)];
        j["monte_carlo"]["runs_violating"] = violating;
    }
    return j.dump(2);
}

}  // namespace traverse::twin
