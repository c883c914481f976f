#pragma once
// Validation of a plan's route: the segment checker over the whole route, then the command sequence
// generated from it driven in the digital twin (optionally with Monte Carlo dispersion). It passes
// when no segment fails, the route ends at the goal, the twin keeps every flight rule and completes
// the sequence, and the twin's rover ends near the goal (ValidationOptions). The report
// is bound by hash to the exact terrain, plan and rover configuration (ValidationRecord), so that
// export can refuse a report that no longer matches.
#include "planner/plan.hpp"
#include "planner/segment_checker.hpp"
#include "planner/sequence_builder.hpp"
#include "terrain/elevation_model.hpp"
#include "twin/monte_carlo.hpp"

#include <optional>
#include <stop_token>
#include <string>

namespace traverse::planner {

struct ValidationOptions {
    int monteCarloRuns = 0;        // 0: no dispersion
    // Where the twin's rover may end: within the goal tolerance plus this fraction of the route's
    // length (the position error navigation accumulates: VO drift, slip).
    double navigationErrorFraction = 0.02;
    std::uint64_t seed = 1;
    SequenceOptions sequence;
    // Optional: stops a validation part-way (reading the terrain, hazard maps, Monte Carlo runs);
    // the validation then throws Error (Cancelled).
    std::stop_token stop;
};

struct ValidationOutcome {
    bool pass = false;
    std::string summary;                   // one line for a person
    std::vector<SegmentCheck> checks;      // per segment
    twin::Sequence sequence;
    twin::SimulationResult simulation;
    std::optional<twin::MonteCarloResult> dispersion;
    ValidationRecord record;               // the report and the hashes it holds for
};

// Throws Error when the route is empty or the twin cannot run (e.g. the start lies outside the DTM).
ValidationOutcome validateRoute(const Plan& plan, const terrain::HazardMaps& maps, const terrain::ElevationModel& dtm,
                                const ValidationOptions& options = {});

// The same against the plan's DTM on disk: the part of it around the route and the goal (50 m
// margin) is read, its hazard maps computed and the route validated. Validation and export both call
// this, so that a report recomputed for export is the stored one. `dtmCrsWkt`, when given, receives
// the DTM's CRS. Throws Error naming the DTM when it cannot be read or is not a usable DTM.
ValidationOutcome validatePlanOnDisk(const Plan& plan, const ValidationOptions& options = {},
                                     std::string* dtmCrsWkt = nullptr);

}  // namespace traverse::planner
