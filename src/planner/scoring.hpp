#pragma once
// Scoring a trainee's plan for a training scenario, side by side with the traverse the rover actually
// drove and with the built-in proposer's route: length, time, energy, tilt, belly clearance, flight-
// rule margins, exposure to hazard cells, checker findings, arrival, deviation from the actual
// traverse, and a total score out of 100. Deterministic for a given scenario, plan and terrain. The
// weights are documented in docs/training.md. Map frame, metres; angles degrees; time seconds.
#include "planner/plan.hpp"
#include "planner/scenario.hpp"
#include "terrain/elevation_model.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/progress.hpp"
#include "twin/drive_log.hpp"
#include "twin/drive_replay.hpp"
#include "twin/rover_config.hpp"

#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace traverse::planner {

struct ScoringOptions {
    // A hard-hazard cell within this distance of the path's centre line counts as exposure; <= 0:
    // half the rover's body width plus the checker's hazard margin (1.35 + 1.0 m for the default rover).
    double exposureRadiusM = 0.0;
    double steepFraction = 0.8;    // slope above this fraction of the rover's limit counts as steep
    double sampleStepM = 0.25;     // path sampling for exposure
    ProgressFn progress;           // optional
    std::stop_token stop;          // throws Error (Cancelled)
};

// One deduction from the score, for a person to see why.
struct Penalty {
    std::string what;
    double points = 0.0;
};

// What one route did: by the twin (plan and built-in route, a published traverse's path) or as logged
// (an actual traverse given as a drive log). NaN where a value is not known.
struct RouteMetrics {
    std::string label;           // "plan", "built-in", "actual"
    bool available = false;      // false when there is no such route (e.g. the built-in proposer failed)
    std::string note;            // why not available, or what the values come from
    std::string source;          // "twin", "drive log", or "published traverse" (the path as published;
                                 // time, energy and attitude from the twin driving it)
    std::vector<terrain::MapPoint> path;

    double lengthM = 0.0;
    double timeS = 0.0, energyWh = 0.0;
    double maxTiltDeg = 0.0, minClearanceM = 0.0, maxWheelStepM = 0.0, maxRockerDeg = 0.0, maxBogieDeg = 0.0;
    // Flight-rule margins: limit minus worst value (clearance: worst minus the required minimum).
    double tiltMarginDeg = 0.0, clearanceMarginM = 0.0, wheelStepMarginM = 0.0, rockerMarginDeg = 0.0,
           bogieMarginDeg = 0.0;
    std::vector<std::string> rulesBroken;  // flight-rule names (twin/flight_rules.hpp)
    int segments = 0, segmentsFailed = 0, segmentsWarned = 0;  // the segment checker on the path
    double failedM = 0.0, warnedM = 0.0;                       // path length in failed / warned segments
    std::vector<std::string> checkerFindings;                  // one line per failed or warned segment
    double nearHazardM = 0.0;    // metres of path within the exposure radius of a hard-hazard cell
    int hazardCells = 0;         // distinct hard-hazard cells within half the body width of the path
    double steepM = 0.0;         // metres of path where the slope under the rover is steep
    double startOffsetM = 0.0;   // from the scenario's start to the path's start
    double endToGoalM = 0.0;     // from where the drive ended (twin or log) to the goal
    bool completed = false;      // the drive ran to its end (no stop, no fault)
    bool arrives = false;        // ended within the goal tolerance plus 2 % of the length
    std::optional<twin::PathDeviation> deviationFromActual;  // not for the actual traverse itself
    double score = 0.0;          // 0..100
    std::vector<Penalty> penalties;
};

struct ScoreCard {
    std::string scenarioName;
    Difficulty difficulty = Difficulty::Easy;
    std::string scenarioFile, planFile, planName;
    double straightLineM = 0.0;  // start to goal
    RouteMetrics plan, builtin, actual;
    std::vector<std::string> notes;  // for a person: the actual traverse's placement, points outside, ...
};

// The total score of a route's metrics, given the reference for efficiency (the built-in route when it
// arrives, otherwise the straight line from start to goal for length alone). Fills `m.score` and
// `m.penalties`. Deterministic; see docs/training.md for the weights.
void scoreRoute(RouteMetrics& m, const RouteMetrics* reference, double straightLineM, const twin::RoverConfig& rover,
                double goalToleranceM);

// Scores `plan` (its route; its rover and zones are not used: the scenario's rover drives every route on
// bare terrain) for a loaded scenario; `planSource` names the plan in errors and on the card. Throws
// Error naming the file: the scenario's files, a plan made on another DTM (its SHA-256 differs), a plan
// with no route, a start or goal outside the DTM, Cancelled.
ScoreCard scoreScenario(const Scenario& scenario, const Plan& plan, const std::string& planSource,
                        const ScoringOptions& options = {});

// The score card as a table for a terminal, and as JSON.
std::string scoreCardTable(const ScoreCard& card);
std::string scoreCardJson(const ScoreCard& card);

}  // namespace traverse::planner
