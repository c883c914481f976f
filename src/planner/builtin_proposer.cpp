#include "planner/builtin_proposer.hpp"

#include "planner/grid_planner.hpp"

#include <cmath>
#include <optional>

namespace traverse::planner {

namespace {

// The point nearest to p, within maxM, whose disc of `radius` holds no hard hazard: where the rover
// can head first when the map flags the ground it stands on (a 1 m map may mark a rock it sits on).
std::optional<terrain::MapPoint> nearestClear(const terrain::HazardMaps& maps, terrain::MapPoint p, double radius,
                                              double maxM) {
    const double px = maps.geoTransform.pixelWidth();
    const int k = int(std::ceil(radius / px));
    auto clear = [&](terrain::MapPoint q) {
        const auto c = maps.geoTransform.toPixel(q);
        const int c0 = int(std::floor(c.col)), r0 = int(std::floor(c.row));
        for (int dr = -k; dr <= k; ++dr)
            for (int dc = -k; dc <= k; ++dc) {
                if (std::hypot(dc * px, dr * px) > radius) continue;
                const int cc = c0 + dc, rr = r0 + dr;
                if (cc < 0 || rr < 0 || cc >= maps.hazard.cols || rr >= maps.hazard.rows || maps.hazard.at(cc, rr))
                    return false;
            }
        return true;
    };
    for (double d = 0.5; d <= maxM; d += 0.5)
        for (int a = 0; a < 32; ++a) {
            const double t = 2.0 * M_PI * a / 32;
            const terrain::MapPoint q{p.e + d * std::sin(t), p.n + d * std::cos(t)};
            if (clear(q)) return q;
        }
    return std::nullopt;
}

}  // namespace

Proposal BuiltinProposer::propose(const ProposalContext& ctx) {
    const terrain::MapPoint here{ctx.pose.e, ctx.pose.n};
    const bool onPlan = !cached_.empty() && ctx.attempt == 1 && cachedGoal_.e == ctx.goal.e &&
                        cachedGoal_.n == ctx.goal.n;
    if (!onPlan) {
        GridPlanRequest req;
        req.start = here;
        req.goal = ctx.goal;
        // The footprint turns with the route: keep half its diagonal clear, and more after each
        // refusal.
        req.roverRadiusM = 0.5 * std::hypot(ctx.rover.bodyLengthM, ctx.rover.bodyWidthM) + options_.extraMarginM +
                           0.5 * (ctx.attempt - 1);
        req.costWeight = options_.costWeight;
        req.keepOuts = ctx.zones;
        req.stop = ctx.stop;
        GridPlanResult plan = planOnGrid(ctx.maps, req);
        std::optional<terrain::MapPoint> escape;
        if (!plan.found && plan.reason.find("start") != std::string::npos) {
            // The rover stands on ground the map flags: first step off it to the nearest clear point.
            escape = nearestClear(ctx.maps, here, req.roverRadiusM, std::min(ctx.maxSegmentM, 5.0));
            if (escape) {
                req.start = *escape;
                plan = planOnGrid(ctx.maps, req);
            }
        }
        Proposal none;
        if (!plan.found) {
            cached_.clear();
            none.note = "no path on the cost grid: " + plan.reason;
            return none;
        }
        cached_ = cutIntoSegments(plan.path, ctx.maxSegmentM);
        if (!escape) cached_.erase(cached_.begin());  // the start itself; an escape point is the first waypoint
        cachedGoal_ = ctx.goal;
    }
    Proposal p;
    const int n = std::min<int>(options_.segmentsPerProposal, int(cached_.size()));
    p.waypoints.assign(cached_.begin(), cached_.begin() + n);
    cached_.erase(cached_.begin(), cached_.begin() + n);
    p.note = "global plan on the cost grid";
    return p;
}

}  // namespace traverse::planner
