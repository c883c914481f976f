#include "planner/route_builder.hpp"

#include "terrain/error.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace traverse::planner {

namespace {

double distance(terrain::MapPoint a, terrain::MapPoint b) { return std::hypot(a.e - b.e, a.n - b.n); }

}  // namespace

terrain::MapExtent planningArea(const twin::Pose& start, terrain::MapPoint goal,
                                const std::vector<terrain::MapPoint>& via) {
    std::vector<terrain::MapPoint> pts = {{start.e, start.n}, goal};
    pts.insert(pts.end(), via.begin(), via.end());
    return terrain::MapExtent::around(pts, std::max(200.0, 0.5 * distance({start.e, start.n}, goal)));
}

BuildResult buildRoute(const terrain::HazardMaps& maps, const twin::RoverConfig& rover, const SegmentChecker& checker,
                       const BuildRequest& req, Proposer& proposer, Proposer* repair, const BuildOptions& opt) {
    const auto t0 = std::chrono::steady_clock::now();
    BuildResult out;
    out.route.start = req.start;
    twin::Pose pose = req.start;
    // The targets in order: the via-points, then the goal.
    std::vector<terrain::MapPoint> targets = req.via;
    targets.push_back(req.goal);
    std::size_t target = 0;
    double total = 0.0;
    {
        terrain::MapPoint p{pose.e, pose.n};
        for (const auto& t : targets) {
            total += distance(p, t);
            p = t;
        }
        total = std::max(total, 1e-9);
    }
    // Straight-line distance still to cover: to the current target, then between the later ones.
    auto remaining = [&] {
        double d = distance({pose.e, pose.n}, targets[target]);
        for (std::size_t i = target + 1; i < targets.size(); ++i) d += distance(targets[i - 1], targets[i]);
        return d;
    };

    auto record = [&](const Decision& d) {
        out.decisions.push_back(d);
        if (opt.onDecision) opt.onDecision(out.route, out.decisions.back());
    };
    // Asks one proposer once and adds what passes; returns how many segments it added.
    auto tryProposer = [&](Proposer& p, int step, int attempt, std::vector<std::string>& rejections, bool repairing) {
        if (out.requests >= opt.maxRequests) return -1;
        ++out.requests;
        ProposalContext ctx{maps, rover, req.zones, out.route, pose, targets[target], req.goalToleranceM,
                            req.maxSegmentM, rejections, attempt, opt.stop};
        Decision d;
        d.time = isoTimestampUtc();
        d.step = step;
        d.attempt = attempt;
        d.source = p.source() + (repairing ? " (repair)" : "");
        Proposal prop;
        try {
            prop = p.propose(ctx);
        } catch (const Error& e) {
            // A proposer that throws has already retried what it could (an unreachable server, a
            // refused key, a replay that diverged): asking again would only repeat it.
            if (e.kind() == Error::Kind::Cancelled) throw;
            d.reason = std::string("the proposer failed: ") + e.what();
            record(d);
            out.proposerError = e.what();
            return -2;
        }
        d.points = prop.waypoints;
        d.transcript = prop.transcript;
        if (prop.waypoints.empty()) {
            d.reason = "no waypoint proposed" + (prop.note.empty() ? std::string() : ": " + prop.note);
            record(d);
            rejections.push_back(d.reason);
            return 0;
        }
        int added = 0;
        terrain::MapPoint from{pose.e, pose.n};
        std::string warnings;
        for (std::size_t i = 0; i < prop.waypoints.size(); ++i) {
            const terrain::MapPoint to = prop.waypoints[i];
            const SegmentCheck c = checker.check(from, to, out.route.segments.empty());
            if (c.status == CheckStatus::Fail) {
                d.reason = "waypoint " + std::to_string(i + 1) + " refused: " + c.summary();
                rejections.push_back(d.reason);
                break;
            }
            if (c.status == CheckStatus::Warn) warnings += (warnings.empty() ? "" : "; ") + c.summary();
            Segment s;
            s.to = to;
            s.provenance = {p.source(), prop.transcript, attempt, repairing};
            out.route.segments.push_back(s);
            pose.headingDeg = terrain::bearingDeg(from, to);
            pose.e = to.e;
            pose.n = to.n;
            from = to;
            ++added;
            if (distance(to, targets[target]) <= req.goalToleranceM) break;
        }
        d.accepted = added > 0;
        if (d.accepted && d.reason.empty()) d.reason = warnings.empty() ? "passed the checker" : "accepted with " + warnings;
        else if (d.accepted) d.reason = std::to_string(added) + " accepted, then " + d.reason;
        record(d);
        return added;
    };

    int step = 0;
    while (true) {
        if (opt.stop.stop_requested()) throw Error(Error::Kind::Cancelled, "route building cancelled");
        while (target + 1 < targets.size() && distance({pose.e, pose.n}, targets[target]) <= req.goalToleranceM)
            ++target;  // a via-point reached
        if (opt.progress) opt.progress(std::clamp(1.0 - remaining() / total, 0.0, 1.0), "route");
        if (target + 1 == targets.size() && distance({pose.e, pose.n}, targets[target]) <= req.goalToleranceM) {
            out.reachedGoal = true;
            out.outcome = "goal reached";
            break;
        }
        if (int(out.route.segments.size()) >= opt.maxSegments) {
            out.outcome = "segment budget of " + std::to_string(opt.maxSegments) + " spent";
            break;
        }
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > opt.timeBudgetS) {
            out.outcome = "time budget spent";
            break;
        }
        std::vector<std::string> rejections;
        int added = 0;
        for (int attempt = 1; attempt <= 1 + opt.maxRetries && added == 0; ++attempt) {
            added = tryProposer(proposer, step, attempt, rejections, false);
            if (added < 0) break;
        }
        if (added == 0 && repair) added = tryProposer(*repair, step, 1, rejections, true);
        if (added == -2) {
            out.outcome = "the proposer failed at step " + std::to_string(step) + ": " + out.proposerError;
            break;
        }
        if (added < 0) {
            out.outcome = "request budget of " + std::to_string(opt.maxRequests) + " spent";
            break;
        }
        if (added == 0) {
            out.outcome = "no acceptable proposal at step " + std::to_string(step) + ": " +
                          (rejections.empty() ? std::string("nothing proposed") : rejections.back());
            break;
        }
        step += added;
    }
    return out;
}

}  // namespace traverse::planner
