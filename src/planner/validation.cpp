#include "planner/validation.hpp"

#include "terrain/error.hpp"
#include "terrain/raster.hpp"
#include "terrain/site.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace traverse::planner {

ValidationOutcome validateRoute(const Plan& plan, const terrain::HazardMaps& maps, const terrain::ElevationModel& dtm,
                                const ValidationOptions& o) {
    if (plan.route.segments.empty()) throw Error(Error::Kind::InvalidArgument, "the plan has no route to validate");
    ValidationOutcome out;
    CheckLimits limits = CheckLimits::fromRover(plan.rover);
    limits.maxSegmentM = plan.maxSegmentM;
    const SegmentChecker checker(maps, plan.rover, plan.zones, limits);
    out.checks = checker.checkRoute(plan.route);
    int fails = 0, warns = 0;
    for (const auto& c : out.checks) {
        fails += c.status == CheckStatus::Fail;
        warns += c.status == CheckStatus::Warn;
    }
    const double toGoal = std::hypot(plan.route.end().e - plan.goal.e, plan.route.end().n - plan.goal.n);
    const bool reachesGoal = toGoal <= plan.goalToleranceM;

    SequenceOptions so = o.sequence;
    if (so.name.empty() || so.name == "route") so.name = plan.name.empty() ? "route" : plan.name;
    out.sequence = routeToSequence(plan.route, maps, plan.rover, checker, so);
    if (o.stop.stop_requested()) throw Error(Error::Kind::Cancelled, "validation cancelled");
    twin::SimulationOptions sim;
    sim.zones = plan.zones;
    out.simulation = twin::simulate(dtm, plan.rover, out.sequence, sim);
    if (o.monteCarloRuns > 0) {
        twin::MonteCarloOptions mc;
        mc.runs = o.monteCarloRuns;
        mc.seed = o.seed;
        mc.stop = o.stop;
        out.dispersion = twin::runMonteCarlo(dtm, plan.rover, out.sequence, sim, mc);
    }
    const bool twinPass = out.simulation.verdict.pass && out.simulation.completed;
    const double twinToGoal = std::hypot(out.simulation.endPose.e - plan.goal.e, out.simulation.endPose.n - plan.goal.n);
    const double allowance = plan.goalToleranceM + o.navigationErrorFraction * plan.route.lengthM();
    const bool twinArrives = twinToGoal <= allowance;
    out.pass = fails == 0 && reachesGoal && twinPass && twinArrives;

    nlohmann::json j;
    j["pass"] = out.pass;
    j["route"] = {{"segments", plan.route.segments.size()},
                  {"length_m", plan.route.lengthM()},
                  {"end_to_goal_m", toGoal},
                  {"reaches_goal", reachesGoal}};
    j["checker"] = {{"segments_failed", fails}, {"segments_warned", warns}, {"segments", nlohmann::json::array()}};
    for (std::size_t i = 0; i < out.checks.size(); ++i) {
        const auto& c = out.checks[i];
        nlohmann::json cj = {{"index", i}, {"status", std::string(checkStatusName(c.status))}};
        if (c.status != CheckStatus::Pass) cj["reasons"] = c.summary();
        j["checker"]["segments"].push_back(cj);
    }
    j["twin_end"] = {{"to_goal_m", twinToGoal}, {"allowed_m", allowance}, {"arrives", twinArrives}};
    j["twin"] = nlohmann::json::parse(twin::simulationReportJson(out.sequence, out.simulation,
                                                                 out.dispersion ? &*out.dispersion : nullptr));
    out.record.reportJson = j.dump();
    out.record.hashes = validationHashesFor(plan);

    char line[512];
    std::snprintf(line, sizeof line,
                  "%s: %zu segments, %.1f m; checker %d failed, %d warned; goal %s (%.2f m); twin %s (%zu rule%s "
                  "violated)%s; the twin's rover ends %.2f m from the goal (allowed %.2f m)",
                  out.pass ? "PASS" : "FAIL", plan.route.segments.size(), plan.route.lengthM(), fails, warns,
                  reachesGoal ? "reached" : "not reached", toGoal, twinPass ? "pass" : "fail",
                  out.simulation.verdict.violations.size(), out.simulation.verdict.violations.size() == 1 ? "" : "s",
                  out.simulation.completed ? "" : ", the drive stopped early", twinToGoal, allowance);
    out.summary = line;
    return out;
}

ValidationOutcome validatePlanOnDisk(const Plan& plan, const ValidationOptions& options, std::string* dtmCrsWkt) {
    if (plan.route.segments.empty()) throw Error(Error::Kind::InvalidArgument, "the plan has no route to validate");
    const terrain::Raster dtm = terrain::Raster::open(plan.site.dtm.path);
    terrain::requireUsableDtm(dtm);
    auto pts = plan.route.points();
    pts.push_back(plan.goal);
    const terrain::MapExtent area = terrain::MapExtent::around(pts, 50.0);
    terrain::HazardRunOptions run;
    run.stop = options.stop;
    const terrain::HazardMaps maps = terrain::HazardMaps::compute(dtm, area, twin::hazardParamsFor(plan.rover), run);
    if (options.stop.stop_requested()) throw Error(Error::Kind::Cancelled, "validation cancelled");
    const terrain::ElevationModel model = terrain::ElevationModel::load(dtm, area);
    if (dtmCrsWkt) *dtmCrsWkt = dtm.info().crsWkt;
    return validateRoute(plan, maps, model, options);
}

}  // namespace traverse::planner
