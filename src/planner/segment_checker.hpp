#pragma once
// The segment checker: nothing a proposer says joins a route unchecked. It sweeps the rover's
// footprint along a segment at <= 0.25 m steps over the hazard maps and returns pass, warn or fail,
// with each reason and where it applies.
#include "planner/route.hpp"
#include "terrain/hazard_maps.hpp"
#include "twin/flight_rules.hpp"
#include "twin/rover_config.hpp"

#include <string>
#include <vector>

namespace traverse::planner {

enum class CheckStatus { Pass = 0, Warn = 1, Fail = 2 };
std::string_view checkStatusName(CheckStatus s);  // "pass", "warn", "fail"

struct CheckLimits {
    double maxSegmentM = kDefaultMaxSegmentM;
    double maxSlopeDeg = 30.0;      // any cell under the footprint
    double maxTiltDeg = 30.0;       // mean slope under the footprint: the body's tilt
    double maxStepM = 0.40;         // the smaller of the rock-height limit and the belly clearance
    double maxRoughnessM = 0.15;
    double hazardMarginM = 1.0;     // warn when a hard hazard is this close to the footprint
    double warnFraction = 0.8;      // warn above this fraction of a limit
    double sampleStepM = 0.25;      // footprint sweep step (at most 0.25)
    static CheckLimits fromRover(const twin::RoverConfig& rover);
};

struct CheckFinding {
    CheckStatus status = CheckStatus::Pass;
    std::string rule;     // "length", "not_finite", "outside_site", "keep_out", "keep_in", "unknown_terrain",
                          // "slope", "tilt", "step", "roughness", "hazard_margin"
    std::string reason;   // one line for a person (and for a model asked to try again)
    terrain::MapPoint at; // where it applies (the footprint's centre)
};

struct SegmentCheck {
    CheckStatus status = CheckStatus::Pass;
    std::vector<CheckFinding> findings;  // the first finding of each rule, worst first
    // One line: the failed (or warned) rules and where, for logs and for re-asking a proposer.
    std::string summary() const;
};

class SegmentChecker {
public:
    SegmentChecker(const terrain::HazardMaps& maps, const twin::RoverConfig& rover, std::vector<twin::Zone> zones,
                   CheckLimits limits);
    // `fromRoverPose`: the segment starts where the rover stands, so the ground under its footprint
    // there is known to hold it and is not judged again (a 1 m map may flag a rock the rover sits on).
    SegmentCheck check(terrain::MapPoint from, terrain::MapPoint to, bool fromRoverPose = false) const;
    // Every segment of a route, in order (the first from the rover's pose); the worst is the route's.
    std::vector<SegmentCheck> checkRoute(const Route& route) const;
    const CheckLimits& limits() const { return limits_; }

private:
    const terrain::HazardMaps& maps_;
    twin::RoverConfig rover_;
    std::vector<twin::Zone> zones_;
    CheckLimits limits_;
    terrain::MapExtent extent_;
};

}  // namespace traverse::planner
