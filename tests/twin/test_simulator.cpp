// The simulator on terrain with known answers.
#include "terrain/error.hpp"
#include "twin/monte_carlo.hpp"
#include "twin/simulator.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

using namespace traverse;
using namespace traverse::twin;
using traverse::terrain::ElevationModel;
using traverse::terrain::GeoTransform;
using traverse::terrain::Grid;

namespace {

constexpr double kDeg = M_PI / 180.0;
constexpr double kRes = 0.1;  // metres per cell: fine enough for blocks and ridges

// A site of 40 m x 60 m with its south-west corner at (1000, 5000), heights from a function.
ElevationModel site(const std::function<double(double e, double n)>& z, double width = 40, double height = 60) {
    const int cols = int(width / kRes), rows = int(height / kRes);
    Grid<float> g(cols, rows);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const double e = 1000.0 + (c + 0.5) * kRes, n = 5000.0 + height - (r + 0.5) * kRes;
            g.at(c, r) = float(z(e, n));
        }
    return ElevationModel(std::move(g), GeoTransform::northUp({1000.0, 5000.0 + height}, kRes, kRes), -9999.0);
}

Sequence drive(double e, double n, double heading, std::vector<Command> cmds) {
    Sequence s;
    s.header.name = "test";
    s.header.start = {e, n, heading};
    s.commands = std::move(cmds);
    return s;
}

double channelMax(const Telemetry& t, int c, std::size_t from = 0) {
    double m = -1e300;
    for (std::size_t i = from; i < t.size(); ++i) m = std::max(m, t.at(i, std::size_t(c)));
    return m;
}
double channelMin(const Telemetry& t, int c, std::size_t from = 0) {
    double m = 1e300;
    for (std::size_t i = from; i < t.size(); ++i) m = std::min(m, t.at(i, std::size_t(c)));
    return m;
}

}  // namespace

TEST_CASE("on a flat plane: level, nominal clearance, every rule kept") {
    const auto dtm = site([](double, double) { return -2500.0; });
    const RoverConfig rover;
    const auto r = simulate(dtm, rover, drive(1020, 5010, 0, {DriveStraight{20.0}}));
    const auto& t = r.telemetry;
    REQUIRE(t.size() > 400);  // 20 m at <= 5 cm
    CHECK(channelMax(t, kRollDeg) == Approx(0.0).margin(1e-6));
    CHECK(channelMin(t, kPitchDeg) == Approx(0.0).margin(1e-6));
    CHECK(channelMin(t, kMinBellyClearanceM) == Approx(rover.bellyClearanceM).margin(1e-4));
    CHECK(r.verdict.pass);
    CHECK(r.completed);
    CHECK(r.verdict.valuesChecked > 0);
    // Blind drive on flat ground: the base slip shortens the true distance.
    CHECK(r.distanceM == Approx(20.0 * (1.0 - rover.slipBase)).epsilon(1e-6));
    CHECK(r.endPose.n == Approx(5010 + r.distanceM).epsilon(1e-9));
    CHECK(r.estimatedEndPose.n == Approx(5030.0).epsilon(1e-9));
    CHECK(r.elapsedS == Approx(20.0 / rover.topSpeedMps).epsilon(1e-6));
    CHECK(r.energyWh == Approx(rover.drivePowerW * r.elapsedS / 3600.0).epsilon(1e-6));
}

TEST_CASE("on a plane tilted by theta: pitch = theta driving up-slope, roll = theta across it") {
    const double theta = 14.0;
    const auto dtm = site([&](double, double n) { return (n - 5000.0) * std::tan(theta * kDeg); });
    const RoverConfig rover;
    const auto up = simulate(dtm, rover, drive(1020, 5010, 0, {DriveStraight{10.0}}));
    CHECK(channelMin(up.telemetry, kPitchDeg) == Approx(theta).margin(0.1));
    CHECK(channelMax(up.telemetry, kPitchDeg) == Approx(theta).margin(0.1));
    CHECK(channelMax(up.telemetry, kRollDeg) == Approx(0.0).margin(0.1));
    // Heading east, north (up-slope) is on the left: left side up, roll +theta.
    const auto across = simulate(dtm, rover, drive(1010, 5030, 90, {DriveStraight{10.0}}));
    CHECK(channelMin(across.telemetry, kRollDeg) == Approx(theta).margin(0.1));
    CHECK(channelMax(across.telemetry, kPitchDeg) == Approx(0.0).margin(0.1));
    // Up-slope slip exceeds the flat-ground base; across-slope it does not.
    CHECK(channelMax(up.telemetry, kSlip) > rover.slipBase + 0.1);
    CHECK(channelMax(across.telemetry, kSlip) == Approx(rover.slipBase).margin(1e-3));
}

TEST_CASE("a block higher than the belly clearance, between the wheels: a clearance violation at it") {
    // 0.8 m block, 0.6 m wide, centred on the path, its south face at n = 5025.
    const auto dtm = site([](double e, double n) {
        return (std::abs(e - 1020.0) < 0.3 && n > 5025.0 && n < 5026.0) ? 0.8 : 0.0;
    });
    const RoverConfig rover;
    const auto r = simulate(dtm, rover, drive(1020, 5010, 0, {DriveStraight{20.0}}));
    const Violation* v = r.verdict.find(Rule::BellyClearance);
    REQUIRE(v);
    CHECK_FALSE(r.verdict.pass);
    CHECK(v->commandIndex == 0);
    // It first breaks when the belly's front edge (1.1 m ahead of the origin) reaches the block.
    CHECK(v->n + rover.bellyLengthM / 2 == Approx(5025.0).margin(0.15));
    CHECK(v->e == Approx(1020.0).margin(1e-6));
    CHECK(v->value < 0.0);
    CHECK(r.verdict.find(Rule::WheelStep) == nullptr);  // the wheels pass either side
}

TEST_CASE("a ridge under the left wheels only: roll atan(h / track), rockers level") {
    const double h = 0.2;
    // Heading north, left is west: the ridge spans e 1018.3 .. 1019.5 under the left wheels (e 1018.9).
    const auto dtm = site([&](double e, double) { return (e > 1018.3 && e < 1019.5) ? h : 0.0; });
    const RoverConfig rover;
    const auto r = simulate(dtm, rover, drive(1020, 5010, 0, {DriveStraight{5.0}}));
    const double roll = std::atan(h / rover.trackWidthM) / kDeg;
    CHECK(channelMin(r.telemetry, kRollDeg) == Approx(roll).margin(0.01));
    CHECK(channelMax(r.telemetry, kRollDeg) == Approx(roll).margin(0.01));
    CHECK(channelMax(r.telemetry, kRockerLeftDeg) == Approx(0.0).margin(0.01));
    CHECK(channelMax(r.telemetry, kBogieRightDeg) == Approx(0.0).margin(0.01));
    CHECK(channelMin(r.telemetry, kContactLmM) == Approx(h).margin(1e-6));
    CHECK(channelMax(r.telemetry, kContactRmM) == Approx(0.0).margin(1e-6));
}

TEST_CASE("a step taller than the rock limit under a wheel breaks the wheel-step rule") {
    const auto dtm = site([](double e, double n) { return (e < 1019.5 && n > 5020.0) ? 0.5 : 0.0; });
    const auto r = simulate(dtm, RoverConfig{}, drive(1020, 5010, 0, {DriveStraight{15.0}}));
    const Violation* v = r.verdict.find(Rule::WheelStep);
    REQUIRE(v);
    CHECK(v->value == Approx(0.5).margin(0.01));
    // The left front wheel's patch reaches n = 5020 first: origin 1.1 + 0.2625 m behind.
    CHECK(v->n == Approx(5020.0 - 1.10 - 0.2625).margin(0.1));
}

TEST_CASE("a sequence leaving the DTM fails on nodata and on leaving the site") {
    const auto dtm = site([](double, double) { return 0.0; });
    const auto r = simulate(dtm, RoverConfig{}, drive(1020, 5050, 0, {DriveStraight{20.0}}));
    const Violation* nd = r.verdict.find(Rule::NoData);
    REQUIRE(nd);
    CHECK_FALSE(r.verdict.pass);
    // The front wheels' patches leave the grid (cell centres end at n = 5059.95) first.
    CHECK(nd->n == Approx(5059.95 - 1.10 - 0.2625).margin(0.1));
    REQUIRE(r.verdict.find(Rule::LeftSite));
    CHECK(r.verdict.find(Rule::LeftSite)->n >= 5059.9);
}

TEST_CASE("keep-out zones, time and energy budgets") {
    const auto dtm = site([](double, double) { return 0.0; });
    SimulationOptions o;
    o.zones.push_back({"crater rim", false, {{1015, 5030}, {1025, 5030}, {1025, 5035}, {1015, 5035}}});
    RuleLimits limits = RuleLimits::fromRover(RoverConfig{});
    limits.timeBudgetS = 300.0;
    limits.energyBudgetWh = 5.0;
    o.limits = limits;
    const auto r = simulate(dtm, RoverConfig{}, drive(1020, 5010, 0, {DriveStraight{30.0}}), o);
    REQUIRE(r.verdict.find(Rule::KeepOut));
    CHECK(r.verdict.find(Rule::KeepOut)->n + 1.5 == Approx(5030.0).margin(0.1));  // body front edge
    REQUIRE(r.verdict.find(Rule::TimeBudget));
    CHECK(r.verdict.find(Rule::TimeBudget)->timeS == Approx(300.0).margin(2.0));
    REQUIRE(r.verdict.find(Rule::EnergyBudget));
    const std::string json = r.verdict.toJson();
    CHECK(json.find("\"rule\": \"keep_out\"") != std::string::npos);
}

TEST_CASE("turns, arcs and go-to-waypoint") {
    const auto dtm = site([](double, double) { return 0.0; });
    const RoverConfig rover;
    const auto t = simulate(dtm, rover, drive(1020, 5010, 0, {TurnTo{90.0}, TurnBy{-45.0}}));
    CHECK(t.endPose.headingDeg == Approx(45.0));
    CHECK(t.elapsedS == Approx(135.0 / rover.turnRateDegps));
    CHECK(t.endPose.e == 1020.0);
    // A quarter circle of radius 10 m turning right: ends 10 m east and 10 m north, heading east.
    const auto a = simulate(dtm, rover, drive(1010, 5010, 0, {DriveArc{10.0, 10.0 * M_PI / 2}}));
    CHECK(a.estimatedEndPose.headingDeg == Approx(90.0).margin(1e-6));
    CHECK(a.estimatedEndPose.e == Approx(1020.0).margin(1e-3));
    CHECK(a.estimatedEndPose.n == Approx(5020.0).margin(1e-3));
    // Visual odometry: the waypoint is reached on the ground, not just in the rover's belief.
    const auto g = simulate(dtm, rover, drive(1010, 5010, 0, {GoToWaypoint{1025, 5040, 0.3, 3600, DriveMode::VisualOdometry}}));
    CHECK(std::hypot(g.endPose.e - 1025, g.endPose.n - 5040) < 0.3 + 0.01 * 34);
    REQUIRE_FALSE(g.events.empty());
    CHECK(g.events.back().what == "waypoint reached");
    CHECK(g.events.back().kind == EventKind::Waypoint);
    // Blind: the rover believes it arrived; slip leaves it short.
    const auto b = simulate(dtm, rover, drive(1010, 5010, 0, {GoToWaypoint{1025, 5040, 0.3, 3600, DriveMode::Blind}}));
    CHECK(std::hypot(b.estimatedEndPose.e - 1025, b.estimatedEndPose.n - 5040) <= 0.3);
    CHECK(std::hypot(b.endPose.e - 1025, b.endPose.n - 5040) > 0.5);
    CHECK(b.telemetry.at(b.telemetry.size() - 1, kOdometryErrorM) > 0.5);
}

TEST_CASE("the rover's own stop conditions end the sequence") {
    const auto dtm = site([](double, double n) { return std::max(0.0, n - 5020.0) * std::tan(20 * kDeg); });
    const auto r = simulate(dtm, RoverConfig{},
                            drive(1020, 5010, 0, {StopConditions{15.0, 86400}, DriveStraight{20.0}, TurnBy{90}}));
    CHECK_FALSE(r.completed);
    REQUIRE_FALSE(r.events.empty());
    CHECK(r.events.back().what.find("tilt") != std::string::npos);
    CHECK(r.events.back().kind == EventKind::Stop);
    CHECK(r.endPose.headingDeg == 0.0);  // the turn never ran
}

TEST_CASE("bad options are refused") {
    const auto dtm = site([](double, double) { return 0.0; });
    SimulationOptions o;
    o.stepM = 0.1;
    CHECK_THROWS_AS(simulate(dtm, RoverConfig{}, drive(1020, 5010, 0, {DriveStraight{1}}), o), Error);
}

TEST_CASE("Monte Carlo: same seed, same result, whatever the threads; dispersion grows with slip") {
    const auto dtm = site([](double, double n) { return (n - 5000.0) * 0.1; }, 60, 80);
    const Sequence s = drive(1030, 5005, 0, {DriveStraight{25.0}, DriveArc{-20.0, 15.0}, DriveStraight{15.0}});
    MonteCarloOptions mc;
    mc.runs = 64;
    mc.seed = 42;
    mc.threads = 1;
    const auto a = runMonteCarlo(dtm, RoverConfig{}, s, {}, mc);
    mc.threads = 3;
    const auto b = runMonteCarlo(dtm, RoverConfig{}, s, {}, mc);
    CHECK(a.meanEnd.e == b.meanEnd.e);
    CHECK(a.meanEnd.n == b.meanEnd.n);
    CHECK(a.ellipse.semiMajorM == b.ellipse.semiMajorM);
    for (std::size_t i = 0; i < a.ends.size(); ++i) CHECK(a.ends[i].e == b.ends[i].e);
    CHECK(a.runsPassing == 64);
    CHECK(a.passShare == 1.0);
    CHECK(a.runsViolating == std::array<int, kRuleCount>{});
    CHECK(describeViolations(a).empty());
    CHECK(a.ellipse.semiMajorM > a.ellipse.semiMinorM);
    CHECK(a.ellipse.semiMinorM > 0.0);
    mc.seed = 43;
    const auto c = runMonteCarlo(dtm, RoverConfig{}, s, {}, mc);
    CHECK(c.meanEnd.e != a.meanEnd.e);
    mc.slipSigma = 1.0;
    const auto d = runMonteCarlo(dtm, RoverConfig{}, s, {}, mc);
    CHECK(d.ellipse.semiMajorM > a.ellipse.semiMajorM);
    // 95 % ellipse: about 95 % of the runs fall inside it.
    int inside = 0;
    const double det = d.covEE * d.covNN - d.covEN * d.covEN;
    for (const auto& p : d.ends) {
        const double de = p.e - d.meanEnd.e, dn = p.n - d.meanEnd.n;
        const double m2 = (d.covNN * de * de - 2 * d.covEN * de * dn + d.covEE * dn * dn) / det;
        inside += m2 <= -2.0 * std::log(1.0 - 0.95);
    }
    CHECK(inside >= 55);
}

TEST_CASE("Monte Carlo counts the runs that broke each rule") {
    // Drives 30 m north towards a keep-out zone whose edge lies where the nominal rover stops: the
    // runs that slip less than nominal, or veer, run into it; none leaves the time budget.
    const auto dtm = site([](double, double) { return 0.0; });
    SimulationOptions o;
    const RoverConfig rover;
    const auto nominal = simulate(dtm, rover, drive(1020, 5010, 0, {DriveStraight{30.0}}), o);
    REQUIRE(nominal.verdict.pass);
    const double front = nominal.endPose.n + rover.bodyLengthM / 2.0;
    o.zones.push_back({"rock", false, {{1000, front + 0.05}, {1040, front + 0.05}, {1040, front + 5}, {1000, front + 5}}});
    MonteCarloOptions mc;
    mc.runs = 40;
    mc.seed = 5;
    mc.slipSigma = 1.0;
    const auto r = runMonteCarlo(dtm, rover, drive(1020, 5010, 0, {DriveStraight{30.0}}), o, mc);
    const int failing = r.runs - r.runsPassing;
    CHECK(failing > 0);
    CHECK(failing < r.runs);
    CHECK(r.runsViolating[std::size_t(Rule::KeepOut)] == failing);
    CHECK(r.runsViolating[std::size_t(Rule::TimeBudget)] == 0);
    CHECK(describeViolations(r) == "keep_out " + std::to_string(failing));
    const std::string json = simulationReportJson(drive(1020, 5010, 0, {DriveStraight{30.0}}), nominal, &r);
    CHECK(json.find("\"keep_out\": " + std::to_string(failing)) != std::string::npos);
}

TEST_CASE("zones read from GeoJSON: kinds, names, closing vertex, errors naming the feature") {
    const std::string fc = R"({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "crater", "kind": "keep-out"},
         "geometry": {"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,10],[0,10],[0,0]]]}},
        {"type": "Feature", "properties": {"kind": "keep-in"},
         "geometry": {"type": "MultiPolygon", "coordinates": [[[[0,0],[5,0],[5,5]]], [[[6,6],[9,6],[9,9]]]]}}]})";
    const auto zones = parseZonesGeoJson(fc, "zones.geojson");
    REQUIRE(zones.size() == 3);
    CHECK(zones[0].name == "crater");
    CHECK_FALSE(zones[0].keepIn);
    CHECK(zones[0].polygon.size() == 4);
    CHECK(zones[1].keepIn);
    CHECK(insidePolygon(zones[0].polygon, {5, 5}));
    CHECK_FALSE(insidePolygon(zones[0].polygon, {11, 5}));
    CHECK_THROWS_WITH(parseZonesGeoJson(R"({"type": "FeatureCollection", "features": [{"type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[0,0],[1,1]]}}]})", "z.geojson"),
                      Catch::Contains("z.geojson: features[0]") && Catch::Contains("LineString"));
    CHECK_THROWS_WITH(parseZonesGeoJson("{nope", "z.geojson"), Catch::Contains("not valid JSON"));
    CHECK_THROWS_AS(loadZonesGeoJson("/nonexistent/zones.geojson"), Error);
}
