#pragma once
// Validation of a plan's route: the segment checker over the whole route, then the command sequence
// generated from it driven in the digital twin (optionally with Monte Carlo dispersion). The report
// is bound by hash to the exact terrain, plan and rover configuration (ValidationRecord), so that
// export can refuse a report that no longer matches.
#include "planner/plan.hpp"
#include "planner/segment_checker.hpp"
#include "planner/sequence_builder.hpp"
#include "terrain/elevation_model.hpp"
#include "twin/monte_carlo.hpp"

#include <optional>
#include <string>

namespace traverse::planner {

struct ValidationOptions {
    int monteCarloRuns = 0;        // 0: no dispersion
    std::uint64_t seed = 1;
    SequenceOptions sequence;
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

}  // namespace traverse::planner
