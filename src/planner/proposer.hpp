#pragma once
// The proposer seam (as OMPL's planners or nav2's planner plugins): given where the rover is, where it
// must go and why earlier proposals were refused, a proposer returns candidate next waypoints, each
// at most maxSegmentM from the previous point. Built-in, VLM and replay proposers are peers behind
// this interface; nothing they say is trusted before the segment checker has seen it.
#include "planner/route.hpp"
#include "terrain/hazard_maps.hpp"
#include "twin/flight_rules.hpp"
#include "twin/rover_config.hpp"

#include <stop_token>
#include <string>
#include <vector>

namespace traverse::planner {

struct ProposalContext {
    const terrain::HazardMaps& maps;
    const twin::RoverConfig& rover;
    const std::vector<twin::Zone>& zones;
    const Route& routeSoFar;
    twin::Pose pose;                       // the end of the route so far
    terrain::MapPoint goal;
    double goalToleranceM = 1.0;
    double maxSegmentM = kDefaultMaxSegmentM;
    std::vector<std::string> rejections;   // why earlier proposals for this step were refused
    int attempt = 1;                       // 1 for the first proposal of a step
    std::stop_token stop;
};

struct Proposal {
    std::vector<terrain::MapPoint> waypoints;  // in order; the first is at most maxSegmentM from pose
    std::string transcript;                    // reference to a recorded exchange, when there is one
    std::string note;                          // the proposer's own explanation, if any
};

class Proposer {
public:
    virtual ~Proposer() = default;
    // Provenance source, e.g. "builtin", "anthropic:claude-...".
    virtual std::string source() const = 0;
    // May throw traverse::Error (an unreachable server, cancellation); the loop records it.
    virtual Proposal propose(const ProposalContext& context) = 0;
};

}  // namespace traverse::planner
