#include "args.hpp"
#include "commands.hpp"
#include "planner/plan.hpp"
#include "planner/scenario.hpp"
#include "planner/scoring.hpp"
#include "terminal_progress.hpp"
#include "terrain/atomic_file.hpp"
#include "terrain/error.hpp"

#include <cstdio>
#include <string>

namespace traverse::cli {

namespace {

constexpr const char* kScoreUsage =
    "usage: traverse score SCENARIO.json PLAN.json [--json FILE] [--site-dir DIR] [--quiet]\n"
    "\n"
    "Scores a trainee's plan for a training scenario (docs/training.md), side by side with the traverse\n"
    "the rover actually drove and with the built-in proposer's route: length, time, energy, max tilt,\n"
    "min belly clearance, flight-rule margins, segment-checker findings, exposure to hard-hazard cells\n"
    "and steep ground, arrival at the goal, deviation from the actual traverse, and a score out of 100\n"
    "(deductions listed). The plan's route is driven in the digital twin with the scenario's rover;\n"
    "the plan must have been made on the scenario's DTM.\n"
    "\n"
    "options:\n"
    "  --json FILE      also write the scores as JSON\n"
    "  --site-dir DIR   look for the scenario's DTM and orthoimage by name in DIR (e.g. a generated\n"
    "                   copy of the sample site) instead of where the scenario says\n"
    "  --quiet          no progress display\n"
    "  --help           this text\n";

}  // namespace

int runScore(int argc, char** argv) {
    const Args a = parseArgs(argc, argv, 2, {"json", "site-dir"}, {"help", "quiet"});
    if (a.has("help")) {
        std::fputs(kScoreUsage, stdout);
        return 0;
    }
    if (a.positional.size() != 2) throw UsageError("give a SCENARIO.json and a PLAN.json");
    const std::string scenarioPath = a.positional[0], planPath = a.positional[1];
    planner::ScenarioLoadOptions so;
    if (auto d = a.value("site-dir")) so.siteDir = *d;
    const planner::Scenario scenario = planner::loadScenario(scenarioPath, so);
    planner::LoadOptions lo;
    lo.checkTerrainExists = false;  // scored on the scenario's terrain, checked by hash
    const planner::Plan plan = planner::loadPlan(planPath, lo);

    TerminalProgress progress(!a.has("quiet"));
    planner::ScoringOptions opt;
    opt.progress = [&](double f, std::string_view s) { progress.update(f, s); };
    const planner::ScoreCard card = planner::scoreScenario(scenario, plan, planPath, opt);
    progress.finish();
    std::fputs(planner::scoreCardTable(card).c_str(), stdout);
    if (auto j = a.value("json")) {
        traverse::writeFileAtomically(*j, planner::scoreCardJson(card));
        std::printf("wrote %s\n", j->c_str());
    }
    return 0;
}

}  // namespace traverse::cli
