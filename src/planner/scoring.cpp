#include "planner/scoring.hpp"

#include "planner/builtin_proposer.hpp"
#include "planner/grid_planner.hpp"
#include "planner/route_builder.hpp"
#include "planner/segment_checker.hpp"
#include "planner/validation.hpp"
#include "terrain/error.hpp"
#include "terrain/raster.hpp"
#include "terrain/site.hpp"
#include "twin/flight_rules.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

namespace traverse::planner {

namespace {

using terrain::MapPoint;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kNavigationErrorFraction = 0.02;  // as validation: the twin may end 2 % of the length off
constexpr double kSimplifyToleranceM = 0.1;        // a track simplified for the checker and the twin

std::string fmt(const char* f, double a) {
    char b[160];
    std::snprintf(b, sizeof b, f, a);
    return b;
}
std::string fmt(const char* f, double a, double b2) {
    char b[160];
    std::snprintf(b, sizeof b, f, a, b2);
    return b;
}

bool within(const terrain::MapExtent& inner, const terrain::MapExtent& outer) {
    return inner.minE >= outer.minE && inner.minN >= outer.minN && inner.maxE <= outer.maxE && inner.maxN <= outer.maxN;
}

// A path fit to be cut into checked segments: consecutive points closer than 1 cm merged, then
// Douglas-Peucker within `toleranceM` (a logged or published track has a point every few centimetres
// to a metre; the checker and the twin judge straight segments, as a plan's).
std::vector<MapPoint> simplify(const std::vector<MapPoint>& path, double toleranceM) {
    std::vector<MapPoint> pts;
    for (const auto& p : path)
        if (pts.empty() || std::hypot(p.e - pts.back().e, p.n - pts.back().n) >= 0.01) pts.push_back(p);
    if (pts.size() < 3) return pts;
    std::vector<bool> keep(pts.size(), false);
    keep.front() = keep.back() = true;
    std::vector<std::pair<std::size_t, std::size_t>> stack = {{0, pts.size() - 1}};
    while (!stack.empty()) {
        const auto [a, b] = stack.back();
        stack.pop_back();
        double worst = -1.0;
        std::size_t at = a;
        for (std::size_t i = a + 1; i < b; ++i) {
            const double d = twin::distanceToPolyline(pts[i], {pts[a], pts[b]});
            if (d > worst) worst = d, at = i;
        }
        if (worst > toleranceM) {
            keep[at] = true;
            stack.push_back({a, at});
            stack.push_back({at, b});
        }
    }
    std::vector<MapPoint> out;
    for (std::size_t i = 0; i < pts.size(); ++i)
        if (keep[i]) out.push_back(pts[i]);
    return out;
}

// A route along a path: one segment per leg, legs longer than maxSegmentM cut into equal pieces.
Route routeAlong(const std::vector<MapPoint>& path, double headingDeg, double maxSegmentM, const std::string& source) {
    Route r;
    r.start = {path.front().e, path.front().n, headingDeg};
    for (std::size_t i = 1; i < path.size(); ++i) {
        const MapPoint a = path[i - 1], b = path[i];
        const double len = std::hypot(b.e - a.e, b.n - a.n);
        const int n = std::max(1, int(std::ceil(len / maxSegmentM - 1e-9)));
        for (int k = 1; k <= n; ++k)
            r.segments.push_back({{a.e + (b.e - a.e) * k / n, a.n + (b.n - a.n) * k / n}, {source, "", 1, false}});
    }
    return r;
}

struct Context {
    const Scenario& scenario;
    const twin::RoverConfig& rover;
    const terrain::HazardMaps& maps;
    const terrain::ElevationModel& dtm;
    double exposureR, swathR, steepDeg, stepM;
    twin::RuleLimits limits;
};

// Exposure of a path to hazard cells, sampled every stepM (each sample stands for its piece of path).
void measureExposure(RouteMetrics& m, const Context& c) {
    const auto& gt = c.maps.geoTransform;
    const double px = gt.pixelWidth(), py = gt.pixelHeight();
    const int cols = c.maps.hazard.cols, rows = c.maps.hazard.rows;
    const int k = int(std::ceil(std::max(c.exposureR, c.swathR) / std::min(px, py))) + 1;
    std::set<std::int64_t> cells;
    auto visit = [&](MapPoint p, double ds) {
        const auto pp = gt.toPixel(p);
        const int c0 = int(std::floor(pp.col)), r0 = int(std::floor(pp.row));
        const bool off = c0 < 0 || r0 < 0 || c0 >= cols || r0 >= rows;
        bool near = off;  // beyond the maps is unknown terrain
        for (int dr = -k; dr <= k; ++dr)
            for (int dc = -k; dc <= k; ++dc) {
                const int cc = c0 + dc, rr = r0 + dr;
                if (cc < 0 || rr < 0 || cc >= cols || rr >= rows || !c.maps.hazard.at(cc, rr)) continue;
                const MapPoint centre = gt.toMap({cc + 0.5, rr + 0.5});
                // Distance to the cell's square, not its centre.
                const double dx = std::max(0.0, std::abs(p.e - centre.e) - 0.5 * px);
                const double dy = std::max(0.0, std::abs(p.n - centre.n) - 0.5 * py);
                const double d = std::hypot(dx, dy);
                if (d <= c.exposureR) near = true;
                if (d <= c.swathR) cells.insert(std::int64_t(rr) * cols + cc);
            }
        if (near) m.nearHazardM += ds;
        if (!off) {
            const float s = c.maps.slope.at(c0, r0);
            if (s != terrain::kNoData && s > c.steepDeg) m.steepM += ds;
        }
    };
    const auto& path = m.path;
    if (path.size() == 1) visit(path[0], 0.0);
    for (std::size_t i = 1; i < path.size(); ++i) {
        const MapPoint a = path[i - 1], b = path[i];
        const double len = std::hypot(b.e - a.e, b.n - a.n);
        const int n = std::max(1, int(std::ceil(len / c.stepM)));
        visit(a, 0.0);
        for (int s = 0; s < n; ++s) {
            const double t = (s + 0.5) / n;
            visit({a.e + (b.e - a.e) * t, a.n + (b.n - a.n) * t}, len / n);
        }
    }
    if (path.size() > 1) visit(path.back(), 0.0);
    m.hazardCells = int(cells.size());
}

// Time, energy, attitude, clearance and flight-rule margins from a log (as driven, or as simulated).
void fromLog(RouteMetrics& m, const twin::DriveLog& log, const Context& c) {
    const twin::ReplaySummary s = twin::summarizeDriveLog(log);
    m.timeS = s.durationS;
    m.energyWh = s.energyWh.value_or(kNaN);
    m.maxTiltDeg = s.maxTiltDeg;
    m.minClearanceM = s.minClearanceM.value_or(kNaN);
    auto maxAbs = [&](std::initializer_list<const char*> names) {
        double worst = kNaN;
        for (const char* n : names)
            if (const auto col = log.channel(n))
                for (double v : log.samples.column(*col))
                    if (!std::isnan(v)) worst = std::isnan(worst) ? std::abs(v) : std::max(worst, std::abs(v));
        return worst;
    };
    m.maxRockerDeg = maxAbs({"rocker_left_deg", "rocker_right_deg"});
    m.maxBogieDeg = maxAbs({"bogie_left_deg", "bogie_right_deg"});
    m.maxWheelStepM = maxAbs({"max_wheel_step_m"});
    m.tiltMarginDeg = c.limits.maxTiltDeg - m.maxTiltDeg;
    m.clearanceMarginM = m.minClearanceM - c.limits.minBellyClearanceM;
    m.wheelStepMarginM = c.limits.maxWheelStepM - m.maxWheelStepM;
    m.rockerMarginDeg = c.limits.rockerLimitDeg - m.maxRockerDeg;
    m.bogieMarginDeg = c.limits.bogieLimitDeg - m.maxBogieDeg;
    std::set<std::string> broken(m.rulesBroken.begin(), m.rulesBroken.end());
    auto rule = [&](twin::Rule r, double margin) {
        if (margin < 0.0) broken.insert(std::string(twin::ruleName(r)));
    };
    rule(twin::Rule::Tilt, m.tiltMarginDeg);
    rule(twin::Rule::BellyClearance, m.clearanceMarginM);
    rule(twin::Rule::WheelStep, m.wheelStepMarginM);
    rule(twin::Rule::RockerLimit, m.rockerMarginDeg);
    rule(twin::Rule::BogieLimit, m.bogieMarginDeg);
    m.rulesBroken.assign(broken.begin(), broken.end());
    for (const auto& e : log.events)
        if (e.kind == twin::EventKind::Stop || e.kind == twin::EventKind::Fault) m.completed = false;
}

void checkerOn(RouteMetrics& m, const Route& route, const std::vector<SegmentCheck>& checks) {
    m.segments = int(checks.size());
    const auto pts = route.points();
    for (std::size_t i = 0; i < checks.size(); ++i) {
        const auto& ch = checks[i];
        const double len = i + 1 < pts.size() ? std::hypot(pts[i + 1].e - pts[i].e, pts[i + 1].n - pts[i].n) : 0.0;
        m.segmentsFailed += ch.status == CheckStatus::Fail;
        m.segmentsWarned += ch.status == CheckStatus::Warn;
        if (ch.status == CheckStatus::Fail) m.failedM += len;
        if (ch.status == CheckStatus::Warn) m.warnedM += len;
        if (ch.status != CheckStatus::Pass)
            m.checkerFindings.push_back("segment " + std::to_string(i) + " " + std::string(checkStatusName(ch.status)) +
                                        ": " + ch.summary());
    }
}

void arrival(RouteMetrics& m, MapPoint end, const Context& c) {
    m.endToGoalM = std::hypot(end.e - c.scenario.goal.e, end.n - c.scenario.goal.n);
    m.arrives = m.endToGoalM <= c.scenario.goalToleranceM + kNavigationErrorFraction * m.lengthM;
    m.startOffsetM = m.path.empty() ? 0.0
                                    : std::hypot(m.path.front().e - c.scenario.start.e, m.path.front().n - c.scenario.start.n);
}

// A route driven by the twin on the scenario's terrain, as validation drives it. `endFromPath`: where
// the drive ended is the path's end (a published traverse: where the rover really stopped), not the twin's.
RouteMetrics simulated(const std::string& label, const Route& route, const Context& c, bool endFromPath = false) {
    RouteMetrics m;
    m.label = label;
    m.available = true;
    m.source = "twin";
    m.path = route.points();
    m.lengthM = route.lengthM();
    Plan p;
    p.name = label;
    p.rover = c.rover;
    p.route = route;
    p.goal = c.scenario.goal;
    p.goalToleranceM = c.scenario.goalToleranceM;
    const ValidationOutcome out = validateRoute(p, c.maps, c.dtm);
    checkerOn(m, route, out.checks);
    for (const auto& v : out.simulation.verdict.violations) m.rulesBroken.push_back(std::string(twin::ruleName(v.rule)));
    m.completed = out.simulation.completed;
    fromLog(m, twin::driveLogFromSimulation(out.simulation, out.sequence), c);
    arrival(m, endFromPath ? m.path.back() : MapPoint{out.simulation.endPose.e, out.simulation.endPose.n}, c);
    measureExposure(m, c);
    return m;
}

// The actual traverse as logged: the rover's own values, the checker on its track.
RouteMetrics logged(const twin::DriveLog& log, const std::vector<MapPoint>& path, const Context& c) {
    RouteMetrics m;
    m.label = "actual";
    m.available = true;
    m.source = "drive log";
    m.path = path;
    m.lengthM = twin::polylineLength(path);
    m.completed = true;
    fromLog(m, log, c);
    const auto pts = simplify(path, kSimplifyToleranceM);
    if (pts.size() >= 2) {
        CheckLimits limits = CheckLimits::fromRover(c.rover);
        const SegmentChecker checker(c.maps, c.rover, {}, limits);
        const Route route = routeAlong(pts, c.scenario.start.headingDeg, kDefaultMaxSegmentM, "actual");
        checkerOn(m, route, checker.checkRoute(route));
    }
    arrival(m, path.back(), c);
    measureExposure(m, c);
    return m;
}

void throwIfStopped(const ScoringOptions& o) {
    if (o.stop.stop_requested()) throw Error(Error::Kind::Cancelled, "scoring cancelled");
}

std::string num(double v, const char* f = "%.1f") { return std::isnan(v) ? "-" : fmt(f, v); }

}  // namespace

void scoreRoute(RouteMetrics& m, const RouteMetrics* ref, double straightLineM, const twin::RoverConfig& rover,
                double goalToleranceM) {
    m.penalties.clear();
    m.score = 0.0;
    if (!m.available) return;
    auto add = [&](const std::string& what, double points) {
        if (points >= 0.05) m.penalties.push_back({what, std::round(points * 10.0) / 10.0});
    };
    auto clamp01 = [](double v) { return std::isnan(v) ? 0.0 : std::clamp(v, 0.0, 1.0); };
    // Safety.
    // Checker findings by the share of the path they cover (segment counts depend on how a route is
    // cut); any failed segment costs at least 20.
    if (m.segmentsFailed && m.lengthM > 0.0)
        add(fmt("%.0f segment(s) fail the checker (", m.segmentsFailed) + fmt("%.1f %% of the path)", 100.0 * m.failedM / m.lengthM),
            20.0 + 20.0 * clamp01(m.failedM / m.lengthM));
    if (m.segmentsWarned && m.lengthM > 0.0)
        add(fmt("%.0f segment(s) warned by the checker (", m.segmentsWarned) + fmt("%.1f %% of the path)", 100.0 * m.warnedM / m.lengthM),
            10.0 * clamp01(m.warnedM / m.lengthM));
    if (!m.rulesBroken.empty()) {
        std::string names;
        for (const auto& r : m.rulesBroken) names += (names.empty() ? "" : ", ") + r;
        add("flight rules broken: " + names, std::min(45.0, 15.0 * double(m.rulesBroken.size())));
    }
    if (!m.completed) add("the drive stops before its end", 25.0);
    else if (!m.arrives) add(fmt("ends %.1f m from the goal", m.endToGoalM), 25.0);
    if (m.startOffsetM > std::max(1.0, goalToleranceM)) add(fmt("starts %.1f m from the scenario's start", m.startOffsetM), 25.0);
    if (m.hazardCells) add(std::to_string(m.hazardCells) + " hard-hazard cell(s) under the rover", std::min(20.0, 1.0 * m.hazardCells));
    if (m.lengthM > 0.0) {
        const double near = m.nearHazardM / m.lengthM, steep = m.steepM / m.lengthM;
        add(fmt("%.1f %% of the path near hard hazards", 100.0 * near), 20.0 * near);
        add(fmt("%.1f %% of the path on steep ground", 100.0 * steep), 10.0 * steep);
    }
    // Margins: from 80 % of the tilt limit, and below half the nominal belly clearance.
    const double tiltLimit = rover.maxTiltPlanningDeg, tiltWarn = 0.8 * tiltLimit;
    add(fmt("max tilt %.1f deg, %.1f deg from the limit", m.maxTiltDeg, tiltLimit - m.maxTiltDeg),
        10.0 * clamp01((m.maxTiltDeg - tiltWarn) / (tiltLimit - tiltWarn)));
    const double half = 0.5 * rover.bellyClearanceM;
    add(fmt("belly clearance down to %.2f m", m.minClearanceM), 10.0 * clamp01((half - m.minClearanceM) / half));
    // Efficiency, against the built-in route when it arrives, else the straight line (length only).
    if (ref && ref->available && ref->arrives && ref->lengthM > 0.0) {
        const double l = m.lengthM / ref->lengthM - 1.0;
        add(fmt("%.1f %% longer than the built-in route", 100.0 * l), 30.0 * clamp01(l));
        if (ref->timeS > 0.0) {
            const double t = m.timeS / ref->timeS - 1.0;
            add(fmt("%.1f %% more time than the built-in route", 100.0 * t), 10.0 * clamp01(t));
        }
        if (ref->energyWh > 0.0 && !std::isnan(m.energyWh)) {
            const double e = m.energyWh / ref->energyWh - 1.0;
            add(fmt("%.1f %% more energy than the built-in route", 100.0 * e), 10.0 * clamp01(e));
        }
    } else if (straightLineM > 0.0) {
        const double l = m.lengthM / straightLineM - 1.0;
        add(fmt("%.1f %% longer than the straight line", 100.0 * l), 30.0 * clamp01(l));
    }
    double total = 100.0;
    for (const auto& p : m.penalties) total -= p.points;
    m.score = std::max(0.0, std::round(total * 10.0) / 10.0);
}

ScoreCard scoreScenario(const Scenario& s, const Plan& plan, const std::string& planSource, const ScoringOptions& o) {
    if (plan.route.segments.empty()) throw Error(Error::Kind::InvalidArgument, planSource + ": the plan has no route to score");
    auto progress = [&](double f, const char* stage) {
        if (o.progress) o.progress(f, stage);
        throwIfStopped(o);
    };
    ScoreCard card;
    card.scenarioName = s.name;
    card.difficulty = s.difficulty;
    card.scenarioFile = s.file.string();
    card.planFile = planSource;
    card.planName = plan.name;
    card.straightLineM = std::hypot(s.goal.e - s.start.e, s.goal.n - s.start.n);

    progress(0.0, "reading the terrain");
    const std::string dtmHash = sha256File(s.dtm);
    if (!plan.site.dtm.sha256.empty() && plan.site.dtm.sha256 != dtmHash)
        throw Error(Error::Kind::InvalidArgument, planSource + ": the plan was made on another DTM (" +
                                                      plan.site.dtm.path.string() + ", SHA-256 " +
                                                      plan.site.dtm.sha256.substr(0, 12) + "...) than the scenario's " +
                                                      s.dtm.string() + " (" + dtmHash.substr(0, 12) + "...)");
    const twin::RoverConfig rover = s.rover ? twin::loadRoverConfig(*s.rover) : twin::RoverConfig{};
    if (roverHash(rover) != roverHash(plan.rover))
        card.notes.push_back("the plan's rover configuration differs from the scenario's; every route is driven with "
                             "the scenario's (" + rover.name + ")");
    const terrain::Raster dtm = terrain::Raster::open(s.dtm);
    terrain::requireUsableDtm(dtm);
    for (const MapPoint p : {MapPoint{s.start.e, s.start.n}, s.goal})
        if (!dtm.info().extent().contains(p))
            throw Error(Error::Kind::InvalidArgument, card.scenarioFile + ": the start or goal (E " + std::to_string(p.e) +
                                                          " N " + std::to_string(p.n) + ") lies outside the DTM " +
                                                          s.dtm.string());
    const ActualPath actual = loadActualPath(s, dtm.info());
    card.notes.push_back("actual traverse: " + std::to_string(actual.path.size()) + " points from " +
                         s.actual.path.filename().string() + " (" + actual.crsNote + ")");
    if (!actual.outside.empty()) {
        card.notes.push_back(std::to_string(actual.outside.size()) + " point(s) of the actual traverse lie outside the site:");
        for (std::size_t i = 0; i < actual.outside.size() && i < 10; ++i) {
            const auto& p = actual.outside[i];
            char line[200];
            std::snprintf(line, sizeof line, "  sol %s drive %s: E %.1f N %.1f (as written %.6f, %.6f)",
                          p.sol ? std::to_string(*p.sol).c_str() : "?", p.drive ? std::to_string(*p.drive).c_str() : "?",
                          p.at.e, p.at.n, p.x, p.y);
            card.notes.push_back(line);
        }
        if (actual.outside.size() > 10)
            card.notes.push_back("  ... and " + std::to_string(actual.outside.size() - 10) + " more");
    }

    // The built-in route, planned on terrain chosen by the scenario alone (so that it does not depend on
    // the plan being scored), as 'traverse plan' chooses it.
    progress(0.1, "hazard maps");
    std::vector<MapPoint> scenarioPts = {{s.start.e, s.start.n}, s.goal};
    scenarioPts.insert(scenarioPts.end(), actual.path.begin(), actual.path.end());
    const terrain::MapExtent planArea = terrain::MapExtent::around(scenarioPts, std::max(200.0, 0.5 * card.straightLineM));
    const terrain::HazardParams params = twin::hazardParamsFor(rover);
    terrain::HazardRunOptions hro;
    hro.stop = o.stop;
    const terrain::HazardMaps planMaps = terrain::HazardMaps::compute(dtm, planArea, params, hro);
    progress(0.25, "built-in route");
    CheckLimits limits = CheckLimits::fromRover(rover);
    const SegmentChecker checker(planMaps, rover, {}, limits);
    BuiltinProposer builtin, repairer;
    BuildRequest req{s.start, s.goal, {}, s.goalToleranceM, kDefaultMaxSegmentM, {}};
    BuildOptions bo;
    bo.stop = o.stop;
    const BuildResult built = buildRoute(planMaps, rover, checker, req, builtin, &repairer, bo);

    // Terrain for measuring every route: the planning maps when they hold every path with 50 m to spare.
    std::vector<MapPoint> all = scenarioPts;
    const auto planPts = plan.route.points();
    const auto builtPts = built.route.points();
    all.insert(all.end(), planPts.begin(), planPts.end());
    all.insert(all.end(), builtPts.begin(), builtPts.end());
    const terrain::MapExtent need = terrain::MapExtent::around(all, 50.0);
    std::optional<terrain::HazardMaps> wider;
    terrain::MapExtent measureArea = planArea;
    if (!within(need, planArea)) {
        measureArea = {std::min(need.minE, planArea.minE), std::min(need.minN, planArea.minN),
                       std::max(need.maxE, planArea.maxE), std::max(need.maxN, planArea.maxN)};
        wider = terrain::HazardMaps::compute(dtm, measureArea, params, hro);
    }
    const terrain::HazardMaps& maps = wider ? *wider : planMaps;
    const terrain::ElevationModel model = terrain::ElevationModel::load(dtm, measureArea);
    Context c{s, rover, maps, model, 0.0, 0.5 * rover.bodyWidthM, o.steepFraction * rover.maxTiltPlanningDeg,
              o.sampleStepM, twin::RuleLimits::fromRover(rover)};
    c.exposureR = o.exposureRadiusM > 0.0 ? o.exposureRadiusM : 0.5 * rover.bodyWidthM + limits.hazardMarginM;
    if (!(c.stepM > 0.0 && c.stepM <= 1.0))
        throw Error(Error::Kind::InvalidArgument, "the scoring sample step must be in (0, 1] m");

    progress(0.4, "twin: the plan");
    card.plan = simulated("plan", plan.route, c);
    progress(0.6, "twin: the built-in route");
    if (!built.route.segments.empty()) {
        card.builtin = simulated("built-in", built.route, c);
        card.builtin.note = built.outcome;
    } else {
        card.builtin.label = "built-in";
        card.builtin.note = "no route: " + built.outcome;
    }
    if (!built.reachedGoal) card.notes.push_back("the built-in proposer did not reach the goal: " + built.outcome);
    progress(0.8, "the actual traverse");
    if (actual.log) {
        card.actual = logged(*actual.log, actual.path, c);
    } else {
        const auto pts = simplify(actual.path, kSimplifyToleranceM);
        if (pts.size() >= 2) {
            card.actual = simulated("actual", routeAlong(pts, s.start.headingDeg, kDefaultMaxSegmentM, "actual"), c, true);
            card.actual.source = "published traverse";
        } else {
            card.actual.label = "actual";
            card.actual.note = "the actual traverse does not move";
        }
    }
    for (RouteMetrics* m : {&card.plan, &card.builtin})
        if (m->available) m->deviationFromActual = twin::pathDeviation(m->path, actual.path);

    const RouteMetrics* ref = card.builtin.available && card.builtin.arrives ? &card.builtin : nullptr;
    for (RouteMetrics* m : {&card.plan, &card.builtin, &card.actual})
        scoreRoute(*m, ref, card.straightLineM, rover, s.goalToleranceM);
    progress(1.0, "done");
    return card;
}

// ---- output -------------------------------------------------------------------------------------------

std::string scoreCardTable(const ScoreCard& card) {
    const RouteMetrics* cols[] = {&card.plan, &card.builtin, &card.actual};
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "scenario  %s (%s): %s\n", card.scenarioName.c_str(),
                  std::string(difficultyName(card.difficulty)).c_str(), card.scenarioFile.c_str());
    out += line;
    out += "plan      " + card.planFile + (card.planName.empty() ? "" : " (\"" + card.planName + "\")") + "\n\n";
    auto row = [&](const char* label, auto cell) {
        std::snprintf(line, sizeof line, "%-30s", label);
        out += line;
        for (const RouteMetrics* m : cols) {
            const std::string v = m->available ? cell(*m) : std::string("-");
            std::snprintf(line, sizeof line, " %12s", v.c_str());
            out += line;
        }
        out += '\n';
    };
    std::snprintf(line, sizeof line, "%-30s %12s %12s %12s\n", "", "plan", "built-in", "actual");
    out += line;
    row("length (m)", [](const RouteMetrics& m) { return num(m.lengthM); });
    row("time (s)", [](const RouteMetrics& m) { return num(m.timeS, "%.0f"); });
    row("energy (Wh)", [](const RouteMetrics& m) { return num(m.energyWh); });
    row("max tilt (deg)", [](const RouteMetrics& m) { return num(m.maxTiltDeg); });
    row("min belly clearance (m)", [](const RouteMetrics& m) { return num(m.minClearanceM, "%.2f"); });
    row("tilt margin (deg)", [](const RouteMetrics& m) { return num(m.tiltMarginDeg); });
    row("clearance margin (m)", [](const RouteMetrics& m) { return num(m.clearanceMarginM, "%.2f"); });
    row("wheel step margin (m)", [](const RouteMetrics& m) { return num(m.wheelStepMarginM, "%.2f"); });
    row("rocker / bogie margin (deg)", [](const RouteMetrics& m) {
        return num(m.rockerMarginDeg, "%.0f") + " / " + num(m.bogieMarginDeg, "%.0f");
    });
    row("flight rules broken", [](const RouteMetrics& m) { return m.rulesBroken.empty() ? std::string("none") : std::to_string(m.rulesBroken.size()); });
    row("segments failed / warned", [](const RouteMetrics& m) {
        return std::to_string(m.segmentsFailed) + " / " + std::to_string(m.segmentsWarned);
    });
    row("hazard cells under the rover", [](const RouteMetrics& m) { return std::to_string(m.hazardCells); });
    row("near hard hazards (m)", [](const RouteMetrics& m) { return num(m.nearHazardM); });
    row("steep ground (m)", [](const RouteMetrics& m) { return num(m.steepM); });
    row("ends from goal (m)", [](const RouteMetrics& m) { return num(m.endToGoalM, "%.2f") + (m.arrives ? "" : " !"); });
    row("deviation mean / max (m)", [](const RouteMetrics& m) {
        return m.deviationFromActual ? num(m.deviationFromActual->meanM) + " / " + num(m.deviationFromActual->maxM)
                                     : std::string("-");
    });
    row("score (of 100)", [](const RouteMetrics& m) { return num(m.score); });
    for (const RouteMetrics* m : cols) {
        out += "\n" + m->label + ":";
        if (!m->available) {
            out += " " + m->note + "\n";
            continue;
        }
        out += m->source == "drive log"            ? " as logged"
               : m->source == "published traverse" ? " the published path; time, energy and attitude from the twin"
                                                   : " driven by the twin";
        if (!m->note.empty()) out += " (" + m->note + ")";
        out += m->penalties.empty() ? "; no deductions\n" : "; deductions:\n";
        for (const auto& p : m->penalties) {
            std::snprintf(line, sizeof line, "  -%5.1f  %s\n", p.points, p.what.c_str());
            out += line;
        }
        constexpr std::size_t kShown = 5;
        for (std::size_t i = 0; i < m->checkerFindings.size() && i < kShown; ++i)
            out += "  checker: " + m->checkerFindings[i] + "\n";
        if (m->checkerFindings.size() > kShown)
            out += "  checker: ... and " + std::to_string(m->checkerFindings.size() - kShown) + " more\n";
        for (const auto& r : m->rulesBroken) out += "  flight rule broken: " + r + "\n";
    }
    if (!card.notes.empty()) out += "\n";
    for (const auto& n : card.notes) out += n + "\n";
    return out;
}

std::string scoreCardJson(const ScoreCard& card) {
    using Json = nlohmann::ordered_json;
    auto number = [](double v) { return std::isnan(v) ? Json(nullptr) : Json(v); };
    auto route = [&](const RouteMetrics& m) {
        Json j;
        j["available"] = m.available;
        if (!m.note.empty()) j["note"] = m.note;
        if (!m.available) return j;
        j["source"] = m.source;
        j["score"] = m.score;
        j["length_m"] = m.lengthM;
        j["time_s"] = number(m.timeS);
        j["energy_wh"] = number(m.energyWh);
        j["max_tilt_deg"] = number(m.maxTiltDeg);
        j["min_belly_clearance_m"] = number(m.minClearanceM);
        j["max_wheel_step_m"] = number(m.maxWheelStepM);
        j["margins"] = {{"tilt_deg", number(m.tiltMarginDeg)},
                        {"belly_clearance_m", number(m.clearanceMarginM)},
                        {"wheel_step_m", number(m.wheelStepMarginM)},
                        {"rocker_deg", number(m.rockerMarginDeg)},
                        {"bogie_deg", number(m.bogieMarginDeg)}};
        j["flight_rules_broken"] = m.rulesBroken;
        j["checker"] = {{"segments", m.segments}, {"failed", m.segmentsFailed}, {"warned", m.segmentsWarned},
                        {"findings", m.checkerFindings}};
        j["exposure"] = {{"near_hazard_m", m.nearHazardM}, {"hazard_cells", m.hazardCells}, {"steep_m", m.steepM}};
        j["start_offset_m"] = m.startOffsetM;
        j["end_to_goal_m"] = m.endToGoalM;
        j["completed"] = m.completed;
        j["arrives"] = m.arrives;
        if (m.deviationFromActual)
            j["deviation_from_actual"] = {{"mean_m", m.deviationFromActual->meanM},
                                          {"max_m", m.deviationFromActual->maxM},
                                          {"end_offset_m", m.deviationFromActual->endOffsetM}};
        Json pen = Json::array();
        for (const auto& p : m.penalties) pen.push_back({{"what", p.what}, {"points", p.points}});
        j["penalties"] = pen;
        Json path = Json::array();
        for (const auto& p : m.path) path.push_back({p.e, p.n});
        j["path"] = path;
        return j;
    };
    Json j;
    j["format"] = "traverse-score";
    j["version"] = 1;
    j["scenario"] = {{"name", card.scenarioName},
                     {"difficulty", std::string(difficultyName(card.difficulty))},
                     {"file", card.scenarioFile}};
    j["plan"] = {{"file", card.planFile}, {"name", card.planName}};
    j["straight_line_m"] = card.straightLineM;
    j["routes"] = {{"plan", route(card.plan)}, {"builtin", route(card.builtin)}, {"actual", route(card.actual)}};
    j["notes"] = card.notes;
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace traverse::planner
