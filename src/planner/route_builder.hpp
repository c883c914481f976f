#pragma once
// The propose - check - repair loop: ask a proposer for the next waypoints, check every segment,
// accept it or ask again with the reason (a bounded number of times), optionally repair a refused
// stretch with the built-in proposer, and repeat until the goal is reached within its tolerance or
// a budget (segments, requests, time) runs out. Every decision is recorded.
#include "planner/plan.hpp"
#include "planner/proposer.hpp"
#include "planner/segment_checker.hpp"
#include "terrain/progress.hpp"

#include <functional>
#include <string>
#include <vector>

namespace traverse::planner {

struct BuildRequest {
    twin::Pose start;
    terrain::MapPoint goal;
    std::vector<terrain::MapPoint> via;  // drawn by the planner: reached in order (within the goal
                                         // tolerance) before the goal
    double goalToleranceM = 1.0;
    double maxSegmentM = kDefaultMaxSegmentM;
    std::vector<twin::Zone> zones;
};

struct BuildOptions {
    int maxRetries = 3;           // further proposals after a refusal, per step
    int maxSegments = 1000;
    int maxRequests = 5000;       // proposals asked for, all proposers together
    double timeBudgetS = 600.0;   // wall-clock time
    ProgressFn progress;          // fraction of the straight-line distance covered
    // After every decision, with the route as it stands (proposed segments appear as they arrive);
    // called on the loop's thread.
    std::function<void(const Route& route, const Decision& decision)> onDecision;
    std::stop_token stop;         // throws Error (Cancelled)
};

struct BuildResult {
    Route route;
    std::vector<Decision> decisions;  // planner::Decision (plan.hpp): what the plan's log records
    bool reachedGoal = false;
    std::string outcome;          // one line: "goal reached", or why the loop ended
    int requests = 0;
    std::string proposerError;    // set when the loop ended because the proposer threw (not Cancelled)
};

// The part of the DTM the loop may need for a route from `start` to `goal` through `via`: around
// those points with max(200 m, half the straight-line distance) to spare for detours.
terrain::MapExtent planningArea(const twin::Pose& start, terrain::MapPoint goal,
                                const std::vector<terrain::MapPoint>& via = {});

// `repair` may be null. The route's segments are all checked and none fails.
BuildResult buildRoute(const terrain::HazardMaps& maps, const twin::RoverConfig& rover, const SegmentChecker& checker,
                       const BuildRequest& request, Proposer& proposer, Proposer* repair,
                       const BuildOptions& options = {});

}  // namespace traverse::planner
