#pragma once
// Route -> drive command sequence: for every segment a turn to its heading (when it changes by more
// than a degree) and a go-to-waypoint whose mode is chosen from the terrain under the segment:
// visual odometry by default (blind drives leave slip uncorrected, and the error stays with the
// rest of the route); AutoNav next to hard hazards; blind on benign ground only when asked for.
// The sequence opens with the rover's stop conditions.
#include "planner/route.hpp"
#include "planner/segment_checker.hpp"
#include "twin/sequence.hpp"

#include <string>

namespace traverse::planner {

struct SequenceOptions {
    std::string name = "route";
    int sol = 0;
    double waypointToleranceM = 0.5;
    bool blindOnBenign = false;        // drive blind where the terrain is benign (below both thresholds)
    double voSlopeDeg = 10.0;          // VO from this slope anywhere along the segment
    double voRoughnessM = 0.05;        // ... or this roughness
    double timeLimitFactor = 3.0;      // go-to time limit = factor * length / top speed (at least 60 s)
};

twin::Sequence routeToSequence(const Route& route, const terrain::HazardMaps& maps, const twin::RoverConfig& rover,
                               const SegmentChecker& checker, const SequenceOptions& options = {});

}  // namespace traverse::planner
