#include "args.hpp"
#include "commands.hpp"
#include "planner/export.hpp"
#include "planner/plan.hpp"
#include "planner/validation.hpp"
#include "terrain/elevation_model.hpp"
#include "terrain/error.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/raster.hpp"
#include "terrain/site.hpp"
#include "twin/rover_config.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace traverse::cli {

namespace {

constexpr const char* kExportUsage =
    "usage: traverse export PLAN.json --out DIR [--name NAME]\n"
    "\n"
    "Exports a validated route for uplink and review. Refused, with the reason, unless the plan's\n"
    "validation report passes and still matches the terrain files, the plan and the rover (run\n"
    "'traverse validate PLAN.json' after any change). The sequence and the digital twin's simulation\n"
    "are recomputed and must pass again. Writes into DIR (docs/export.md):\n"
    "  NAME.seq.json     the command sequence as SeqJSON (NASA-AMMOS seq-json-schema 1.3.1), with the\n"
    "                    twin's predicted state at the end of each command in the step's models\n"
    "  NAME.txt          a listing for people: one line per command with its predicted end state\n"
    "  NAME.geojson      route, waypoints, start, goal, zones, predicted track (the DTM's map CRS)\n"
    "  NAME.kml          the same in longitude and latitude on the DTM's body (Mars)\n"
    "  checksums.sha256  SHA-256 of each file; check with: cd DIR && sha256sum -c checksums.sha256\n"
    "\n"
    "options:\n"
    "  --out DIR     the folder to write (created when missing; files of the same names are replaced)\n"
    "  --name NAME   base name of the files (default: the plan's name)\n"
    "  --help        this text\n";

}  // namespace

int runExport(int argc, char** argv) {
    const Args a = parseArgs(argc, argv, 2, {"out", "name"}, {"help"});
    if (a.has("help")) {
        std::fputs(kExportUsage, stdout);
        return 0;
    }
    if (a.positional.size() != 1) throw UsageError("give one PLAN.json");
    const std::string planPath = a.positional[0];
    const std::filesystem::path outDir = a.required("out");

    const planner::Plan plan = planner::loadPlan(planPath);
    if (auto why = planner::exportRefusal(plan))
        throw Error(Error::Kind::InvalidArgument, planPath + ": export refused: " + *why);
    const std::string name = planner::exportName(plan, a.value("name").value_or(""));

    // Recompute what the report says, exactly as 'traverse validate' computed it.
    std::string crsWkt;
    const planner::ValidationOutcome current = planner::validatePlanOnDisk(plan, {}, &crsWkt);
    if (!current.pass)
        throw Error(Error::Kind::InvalidArgument,
                    planPath + ": export refused: the validation recomputed now does not pass (" + current.summary +
                        "); run 'traverse validate " + planPath + "' and fix the route");

    planner::ExportInputs in{current, name, crsWkt};
    const planner::ExportResult r = planner::exportPlan(plan, in, outDir);
    std::printf("%s: exported %zu commands (%s)\n", planPath.c_str(), current.sequence.commands.size(),
                current.summary.c_str());
    for (const auto& f : r.files) std::printf("  %s\n", f.string().c_str());
    return 0;
}

}  // namespace traverse::cli
