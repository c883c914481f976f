// traverse: the command-line face of Traverse. Thin: parse input, call src/, print results.
#include "args.hpp"
#include "commands.hpp"
#include "terrain/error.hpp"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

namespace {

constexpr const char* kUsage =
    "usage: traverse COMMAND [OPTIONS]\n"
    "\n"
    "Traverse: route planning and validation for Mars rover drives.\n"
    "\n"
    "commands:\n"
    "  info FILE...                     describe rasters: size, pixel size, CRS, extent, nodata,\n"
    "                                   elevation range, overviews\n"
    "  hazards --dtm F [--ortho F] --out DIR\n"
    "                                   compute slope, roughness, step, unknown-terrain, hazard and\n"
    "                                   cost maps and write them as tiled GeoTIFFs\n"
    "  simulate --dtm F --sequence S --out DIR\n"
    "                                   run a drive sequence in the digital twin: telemetry,\n"
    "                                   flight-rule verdict, optional Monte Carlo dispersion\n"
    "  plan --dtm F --start E,N[,H] --goal E,N --out PLAN.json\n"
    "                                   build a checked route in segments of at most 10 m\n"
    "  validate PLAN.json               check the route and drive it in the twin; store the report\n"
    "  export PLAN.json --out DIR       write a validated route for uplink: SeqJSON sequence, listing,\n"
    "                                   GeoJSON and KML, checksums (refused unless validated)\n"
    "  replay LOG [--plan PLAN.json] --summary\n"
    "                                   play back a drive log: distance, duration, max tilt, min\n"
    "                                   clearance, slip, deviation from the plan; states over time\n"
    "  score SCENARIO.json PLAN.json    score a trainee's plan against the actual traverse and the\n"
    "                                   built-in proposer's route\n"
    "\n"
    "Run 'traverse COMMAND --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string cmd = argv[1];
    try {
        if (cmd == "info") return traverse::cli::runInfo(argc, argv);
        if (cmd == "hazards") return traverse::cli::runHazards(argc, argv);
        if (cmd == "simulate") return traverse::cli::runSimulate(argc, argv);
        if (cmd == "plan") return traverse::cli::runPlan(argc, argv);
        if (cmd == "validate") return traverse::cli::runValidate(argc, argv);
        if (cmd == "export") return traverse::cli::runExport(argc, argv);
        if (cmd == "replay") return traverse::cli::runReplay(argc, argv);
        if (cmd == "score") return traverse::cli::runScore(argc, argv);
        std::fprintf(stderr, "traverse: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
        return 2;
    } catch (const traverse::cli::UsageError& e) {
        std::fprintf(stderr, "traverse %s: %s (see 'traverse %s --help')\n", cmd.c_str(), e.what(), cmd.c_str());
        return 2;
    } catch (const traverse::Error& e) {
        std::fprintf(stderr, "traverse %s: error: %s\n", cmd.c_str(), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "traverse %s: error: %s\n", cmd.c_str(), e.what());
        return 1;
    }
}
