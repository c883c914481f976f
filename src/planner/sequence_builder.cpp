#include "planner/sequence_builder.hpp"

#include <algorithm>
#include <cmath>

namespace traverse::planner {

namespace {

// Steepest slope and roughness of the cells along a segment's centre line: slip on any part of a
// leg leaves a blind drive short, so the worst part decides.
void terrainAlong(const terrain::HazardMaps& maps, terrain::MapPoint a, terrain::MapPoint b, double& maxSlope,
                  double& maxRough) {
    const double len = std::hypot(b.e - a.e, b.n - a.n);
    const int n = std::max(1, int(std::ceil(len / 0.5)));
    maxSlope = 0.0;
    maxRough = 0.0;
    for (int k = 0; k <= n; ++k) {
        const terrain::MapPoint p{a.e + (b.e - a.e) * k / n, a.n + (b.n - a.n) * k / n};
        const auto px = maps.geoTransform.toPixel(p);
        const int c = int(std::floor(px.col)), r = int(std::floor(px.row));
        if (c < 0 || r < 0 || c >= maps.slope.cols || r >= maps.slope.rows) continue;
        const float s = maps.slope.at(c, r), ro = maps.roughness.at(c, r);
        if (s != terrain::kNoData) maxSlope = std::max(maxSlope, double(s));
        if (ro != terrain::kNoData) maxRough = std::max(maxRough, double(ro));
    }
}

}  // namespace

twin::Sequence routeToSequence(const Route& route, const terrain::HazardMaps& maps, const twin::RoverConfig& rover,
                               const SegmentChecker& checker, const SequenceOptions& o) {
    twin::Sequence seq;
    seq.header.name = o.name;
    seq.header.sol = o.sol;
    seq.header.start = route.start;
    seq.header.rover = rover.name;
    const double totalTime = o.timeLimitFactor * route.lengthM() / rover.topSpeedMps + 600.0;
    seq.commands.push_back(twin::StopConditions{rover.maxTiltPlanningDeg, std::clamp(totalTime, 60.0, 86400.0)});
    double heading = route.start.headingDeg;
    terrain::MapPoint from{route.start.e, route.start.n};
    for (const auto& s : route.segments) {
        const double len = std::hypot(s.to.e - from.e, s.to.n - from.n);
        if (len < 1e-6) continue;
        const double h = terrain::bearingDeg(from, s.to);
        double turn = std::fmod(h - heading + 540.0, 360.0) - 180.0;
        if (std::abs(turn) > 1.0) seq.commands.push_back(twin::TurnTo{h});
        heading = h;
        double slope = 0.0, rough = 0.0;
        terrainAlong(maps, from, s.to, slope, rough);
        const SegmentCheck c = checker.check(from, s.to);
        bool nearHazard = false;
        for (const auto& f : c.findings) nearHazard = nearHazard || f.rule == "hazard_margin";
        const bool benign = slope < o.voSlopeDeg && rough < o.voRoughnessM;
        twin::DriveMode mode = (benign && o.blindOnBenign) ? twin::DriveMode::Blind : twin::DriveMode::VisualOdometry;
        if (nearHazard) mode = twin::DriveMode::AutoNav;
        twin::GoToWaypoint g;
        g.e = s.to.e;
        g.n = s.to.n;
        g.toleranceM = o.waypointToleranceM;
        g.timeLimitS = std::clamp(o.timeLimitFactor * len / rover.topSpeedMps, 60.0, 86400.0);
        g.mode = mode;
        seq.commands.push_back(g);
        from = s.to;
    }
    return seq;
}

}  // namespace traverse::planner
