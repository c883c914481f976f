#include "args.hpp"
#include "commands.hpp"
#include "terrain/elevation_model.hpp"
#include "terrain/atomic_file.hpp"
#include "terrain/error.hpp"
#include "terrain/raster.hpp"
#include "terrain/site.hpp"
#include "twin/drive_log.hpp"
#include "twin/monte_carlo.hpp"
#include "twin/rover_config.hpp"
#include "twin/sequence.hpp"
#include "twin/simulator.hpp"
#include "twin/telemetry.hpp"

#include <cstdio>
#include <filesystem>
#include <string>

namespace traverse::cli {

namespace {

constexpr const char* kSimulateUsage =
    "usage: traverse simulate --dtm FILE --sequence FILE --out DIR [options]\n"
    "\n"
    "Executes a drive sequence (text or JSON, docs/commands.md) in the digital twin over the DTM:\n"
    "suspension settling at every 5 cm step, slip, odometry, time and energy, flight rules.\n"
    "Writes DIR/telemetry.csv (one line a step), DIR/drive_log.csv (the same as a drive log, with\n"
    "the events, for 'traverse replay') and DIR/verdict.json, prints a summary, and exits with\n"
    "status 3 when a flight rule is violated (0 when every rule holds).\n"
    "\n"
    "options:\n"
    "  --dtm FILE            the DTM (any raster GDAL reads, georeferenced)\n"
    "  --sequence FILE       the drive sequence (.json, or the text form)\n"
    "  --out DIR             output folder (created if missing)\n"
    "  --rover FILE          rover configuration JSON (default: Perseverance-like, docs/rover.md)\n"
    "  --monte-carlo N       also run N perturbed simulations (slip, heading, start pose)\n"
    "  --seed N              Monte Carlo seed (default 1)\n"
    "  --confidence P        Monte Carlo ellipse confidence (default 0.95)\n"
    "  --keep-out FILE       GeoJSON polygons the rover must stay out of (map frame)\n"
    "  --keep-in FILE        GeoJSON polygons the rover must stay inside (map frame)\n"
    "  --time-budget S       flight rule: drive time limit in seconds\n"
    "  --energy-budget WH    flight rule: energy limit in watt-hours\n"
    "  --min-clearance M     flight rule: belly clearance margin in metres (default 0)\n"
    "  --step M              distance step in metres (default 0.05, at most 0.05)\n"
    "  --help                this text\n";

}  // namespace

int runSimulate(int argc, char** argv) {
    const Args a = parseArgs(argc, argv, 2,
                             {"dtm", "sequence", "out", "rover", "monte-carlo", "seed", "confidence", "time-budget",
                              "energy-budget", "min-clearance", "step", "keep-out", "keep-in"},
                             {"help"});
    if (a.has("help")) {
        std::fputs(kSimulateUsage, stdout);
        return 0;
    }
    if (!a.positional.empty()) throw UsageError("unexpected argument '" + a.positional.front() + "'");
    const std::string dtmPath = a.required("dtm"), seqPath = a.required("sequence"), outDir = a.required("out");

    const twin::RoverConfig rover = a.value("rover") ? twin::loadRoverConfig(*a.value("rover")) : twin::RoverConfig{};
    const twin::Sequence seq = twin::loadSequence(seqPath);
    twin::validateSequence(seq, seqPath);
    twin::SimulationOptions opt;
    twin::RuleLimits limits = twin::RuleLimits::fromRover(rover);
    if (auto v = a.number("time-budget")) limits.timeBudgetS = *v;
    if (auto v = a.number("energy-budget")) limits.energyBudgetWh = *v;
    if (auto v = a.number("min-clearance")) limits.minBellyClearanceM = *v;
    if (auto v = a.number("step")) opt.stepM = *v;
    opt.limits = limits;
    for (const char* kind : {"keep-out", "keep-in"})
        if (auto f = a.value(kind))
            for (auto& z : twin::loadZonesGeoJson(*f, std::string(kind) == "keep-in")) opt.zones.push_back(std::move(z));
    twin::MonteCarloOptions mc;
    if (auto v = a.number("monte-carlo")) {
        if (*v < 1 || *v > 1e6) throw UsageError("--monte-carlo needs a run count from 1 to 1000000");
        mc.runs = int(*v);
    }
    if (auto v = a.number("seed")) mc.seed = std::uint64_t(*v);
    if (auto v = a.number("confidence")) mc.confidence = *v;

    const terrain::Raster dtm = terrain::Raster::open(dtmPath);
    terrain::requireUsableDtm(dtm);
    const terrain::MapExtent area = twin::reachableArea(seq, 10.0);
    if (!dtm.info().extent().contains({seq.header.start.e, seq.header.start.n}))
        throw Error(Error::Kind::InvalidArgument,
                    seqPath + ": the start pose (" + std::to_string(seq.header.start.e) + ", " +
                        std::to_string(seq.header.start.n) + ") is outside the DTM " + dtmPath);
    const terrain::ElevationModel model = terrain::ElevationModel::load(dtm, area);

    std::error_code ec;
    std::filesystem::create_directories(outDir, ec);
    if (ec) throw Error(Error::Kind::Io, outDir + ": cannot create output folder (" + ec.message() + ")");

    const twin::SimulationResult r = twin::simulate(model, rover, seq, opt);
    std::optional<twin::MonteCarloResult> dispersion;
    if (a.has("monte-carlo")) dispersion = twin::runMonteCarlo(model, rover, seq, opt, mc);

    const std::filesystem::path out(outDir);
    r.telemetry.writeCsv(out / "telemetry.csv");
    twin::DriveLogInfo logInfo;
    logInfo.source = "traverse simulate";
    logInfo.mapCrs = dtm.info().crsWkt;
    logInfo.crsNote = "the map frame of the DTM";
    logInfo.dtm = std::filesystem::path(dtmPath).filename().string();
    twin::writeDriveLog(twin::driveLogFromSimulation(r, seq, logInfo), out / "drive_log.csv");
    traverse::writeFileAtomically(out / "verdict.json", twin::simulationReportJson(seq, r, dispersion ? &*dispersion : nullptr));

    std::printf("sequence %s: %zu commands, %s\n", seq.header.name.c_str(), seq.commands.size(),
                r.completed ? "completed" : "stopped before its end");
    std::printf("  distance %.2f m, time %.0f s, energy %.1f Wh, max tilt %.1f deg, min belly clearance %.2f m, "
                "max slip %.2f\n",
                r.distanceM, r.elapsedS, r.energyWh, r.maxTiltDeg, r.minBellyClearanceM, r.maxSlip);
    std::printf("  end E %.2f N %.2f heading %.1f (believed E %.2f N %.2f)\n", r.endPose.e, r.endPose.n,
                r.endPose.headingDeg, r.estimatedEndPose.e, r.estimatedEndPose.n);
    for (const auto& e : r.events) std::printf("  event at %.0f s, command %d: %s\n", e.timeS, e.commandIndex, e.what.c_str());
    if (dispersion)
        std::printf("  Monte Carlo %d runs: %.1f%% keep every rule; end %.0f%% ellipse %.2f x %.2f m, major axis "
                    "%.0f deg\n",
                    dispersion->runs, 100.0 * dispersion->passShare, 100.0 * dispersion->ellipse.confidence,
                    dispersion->ellipse.semiMajorM, dispersion->ellipse.semiMinorM, dispersion->ellipse.orientationDeg);
    if (dispersion && dispersion->runsPassing < dispersion->runs)
        std::printf("    runs that broke each rule: %s\n", twin::describeViolations(*dispersion).c_str());
    std::printf("  flight rules: %lld values checked over %lld steps: %s\n",
                static_cast<long long>(r.verdict.valuesChecked), static_cast<long long>(r.verdict.steps),
                r.verdict.pass ? "all kept" : "VIOLATED");
    for (const auto& v : r.verdict.violations)
        std::printf("    %s: command %d at E %.2f N %.2f (t %.0f s), worst %.3f vs limit %.3f, %lld steps\n",
                    std::string(twin::ruleName(v.rule)).c_str(), v.commandIndex, v.e, v.n, v.timeS, v.value, v.limit,
                    static_cast<long long>(v.steps));
    std::printf("wrote %s, %s and %s\n", (out / "telemetry.csv").c_str(), (out / "drive_log.csv").c_str(),
                (out / "verdict.json").c_str());
    return r.verdict.pass ? 0 : 3;
}

}  // namespace traverse::cli
