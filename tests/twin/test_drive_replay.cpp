// Replay: the state at any time, a cursor driven forwards and backwards, and the summary of a
// constructed log against hand-computed values.
#include "terrain/error.hpp"
#include "twin/drive_replay.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

using namespace traverse;
using namespace traverse::twin;
using traverse::terrain::MapPoint;
using Catch::Detail::Approx;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kDeg = M_PI / 180.0;

// (0,0) -> (3,0) -> (3,4), a turn in place there, -> (6,8): 3 + 4 + 0 + 5 = 12 m in 40 s.
DriveLog constructedLog() {
    DriveLogInfo info;
    info.name = "constructed";
    DriveLog log = makeDriveLog(info, {"min_belly_clearance_m", "slip", "energy_wh"});
    struct S {
        double t, cmd, e, n, heading, roll, pitch, clearance, slip, energy;
    };
    const S s[] = {
        {0, 0, 0, 0, 90, 0, 0, 0.60, 0.9, 0.0},       // the first sample's slip is not counted
        {10, 0, 3, 0, 90, 1, -1, 0.50, 0.1, 1.0},
        {20, 1, 3, 4, 350, 3, 4, 0.35, 0.3, 2.5},     // the most tilted, the lowest clearance
        {30, 2, 3, 4, 350, 2, 1, 0.40, 0.8, 3.0},     // turned in place: did not move, slip not counted
        {40, 3, 6, 8, 10, -2, 2, kNaN, 0.2, 4.5},     // clearance not reported
    };
    for (const S& x : s) {
        const double row[] = {x.t, x.cmd, x.e, x.n, x.heading, x.roll, x.pitch, x.heading, 1.0, -1.0, 2.0, -2.0,
                              x.clearance, x.slip, x.energy};
        log.samples.append(row);
    }
    log.events = {{20.0, 1, EventKind::Stop, "stop", MapPoint{3, 4}},
                  {25.0, 2, EventKind::Fault, "fault", std::nullopt},
                  {40.0, 3, EventKind::Waypoint, "waypoint reached", MapPoint{6, 8}}};
    return log;
}

std::vector<std::string> texts(const std::vector<const DriveEvent*>& events) {
    std::vector<std::string> out;
    for (const auto* e : events) out.push_back(e->text);
    return out;
}

}  // namespace

TEST_CASE("polylines: length, distance and deviation with known answers") {
    const std::vector<MapPoint> plan = {{0, 0}, {6, 0}, {6, 8}};
    CHECK(polylineLength(plan) == Approx(14.0));
    CHECK(distanceToPolyline({3, 4}, plan) == Approx(3.0));
    CHECK(distanceToPolyline({-3, -4}, plan) == Approx(5.0));  // beyond the first end
    CHECK(distanceToPolyline({1, 1}, {{0, 0}}) == Approx(std::sqrt(2.0)));
    CHECK_THROWS_AS(distanceToPolyline({0, 0}, {}), Error);
    // A path straying 1 m to the side for its whole length.
    const auto d = pathDeviation({{0, 1}, {2, 1}, {4, 1}}, {{0, 0}, {4, 0}});
    CHECK(d.maxM == Approx(1.0));
    CHECK(d.meanM == Approx(1.0));
    CHECK(d.endOffsetM == Approx(1.0));
    // A path that does not move: the plain mean of its points.
    CHECK(pathDeviation({{0, 1}, {0, 1}}, {{0, 0}, {4, 0}}).meanM == Approx(1.0));
    CHECK_THROWS_AS(pathDeviation({}, plan), Error);
    CHECK_THROWS_AS(pathDeviation(plan, {}), Error);
}

TEST_CASE("the replay summary matches the log's hand-computed values") {
    const DriveLog log = constructedLog();
    const std::vector<MapPoint> plan = {{0, 0}, {6, 0}, {6, 8}};
    const ReplaySummary s = summarizeDriveLog(log, &plan);
    CHECK(s.samples == 5);
    CHECK(s.durationS == 40.0);
    CHECK(s.distanceM == Approx(12.0));
    CHECK(s.netDisplacementM == Approx(10.0));
    // Tilt from roll 3° and pitch 4°.
    const double tilt = std::atan(std::hypot(std::tan(3 * kDeg), std::tan(4 * kDeg))) / kDeg;
    CHECK(tilt == Approx(4.99417).epsilon(1e-5));  // atan(0.0873861) by hand
    CHECK(s.maxTiltDeg == Approx(tilt));
    CHECK(s.maxTiltTimeS == 20.0);
    CHECK(s.maxTiltAt.e == 3.0);
    CHECK(s.maxTiltAt.n == 4.0);
    REQUIRE(s.minClearanceM);
    CHECK(*s.minClearanceM == 0.35);
    CHECK(s.minClearanceTimeS == 20.0);
    // Slip over the samples that moved: 0.1, 0.3, 0.2.
    REQUIRE(s.slip);
    CHECK(s.slip->samples == 3);
    CHECK(s.slip->mean == Approx(0.2));
    CHECK(s.slip->max == 0.3);
    CHECK(s.slip->p95 == 0.3);  // nearest rank: the ceil(0.95 * 3) = 3rd smallest
    REQUIRE(s.energyWh);
    CHECK(*s.energyWh == 4.5);
    CHECK(s.eventCounts[std::size_t(EventKind::Stop)] == 1);
    CHECK(s.eventCounts[std::size_t(EventKind::Fault)] == 1);
    CHECK(s.eventCounts[std::size_t(EventKind::Waypoint)] == 1);
    // Deviation from the plan: 0, 0, 3, 3, 0 at the samples; trapezoids along 3, 4, 0 and 5 m give
    // (0 + 6 + 0 + 7.5) / 12.
    REQUIRE(s.deviation);
    CHECK(s.deviation->maxM == Approx(3.0));
    CHECK(s.deviation->maxAt.e == 3.0);
    CHECK(s.deviation->maxAt.n == 4.0);
    CHECK(s.deviation->meanM == Approx(13.5 / 12.0));
    CHECK(s.deviation->endOffsetM == Approx(0.0));

    const auto j = nlohmann::json::parse(replaySummaryJson(s));
    CHECK(j["distance_m"].get<double>() == Approx(12.0));
    CHECK(j["slip"]["p95"].get<double>() == 0.3);
    CHECK(j["deviation_from_plan"]["max_m"].get<double>() == Approx(3.0));
    CHECK(j["events"]["stop"].get<int>() == 1);

    // Without the optional channels the summary says so rather than inventing values.
    DriveLog bare = makeDriveLog({});
    for (std::size_t i = 0; i < log.size(); ++i) {
        std::vector<double> row(12);
        for (std::size_t c = 0; c < 12; ++c) row[c] = log.samples.at(i, c);
        bare.samples.append(row.data());
    }
    const ReplaySummary b = summarizeDriveLog(bare);
    CHECK_FALSE(b.minClearanceM);
    CHECK_FALSE(b.slip);
    CHECK_FALSE(b.energyWh);
    CHECK_FALSE(b.deviation);
    CHECK(b.distanceM == Approx(12.0));
    const std::vector<MapPoint> empty;
    CHECK_THROWS_AS(summarizeDriveLog(log, &empty), Error);
    CHECK_THROWS_AS(summarizeDriveLog(makeDriveLog({})), Error);
}

TEST_CASE("the state at any time is interpolated between samples") {
    const DriveLog log = constructedLog();
    ReplayState st = replayStateAt(log, 5.0);
    CHECK(st.sample == 0);
    CHECK(st.fraction == Approx(0.5));
    CHECK(st.position.e == Approx(1.5));
    CHECK(st.position.n == Approx(0.0));
    CHECK(st.headingDeg == Approx(90.0));
    CHECK(st.rollDeg == Approx(0.5));
    CHECK(st.clearanceM == Approx(0.55));
    CHECK(st.energyWh == Approx(0.5));
    CHECK(st.commandIndex == 0);
    CHECK(st.suspensionDeg[2] == 2.0);
    // The heading turns the short way round, through north.
    st = replayStateAt(log, 35.0);
    CHECK(st.position.e == Approx(4.5));
    CHECK(st.position.n == Approx(6.0));
    CHECK((st.headingDeg < 1e-9 || st.headingDeg > 360.0 - 1e-9));
    CHECK(st.commandIndex == 2);
    CHECK(st.clearanceM == Approx(0.40));  // the next sample does not report it: the last value holds
    // From 90° to 350°: through 40° at the halfway point (a 100° turn anticlockwise).
    CHECK(replayStateAt(log, 15.0).headingDeg == Approx(40.0));
    // Clamped to the log's span.
    CHECK(replayStateAt(log, -3.0).position.e == 0.0);
    CHECK(replayStateAt(log, 99.0).position.n == 8.0);
    CHECK(channelAt(log, *log.channel("slip"), 15.0) == Approx(0.2));
    CHECK(replayStateAt(log, 20.0).tiltDeg == Approx(std::atan(std::hypot(std::tan(3 * kDeg), std::tan(4 * kDeg))) / kDeg));
}

TEST_CASE("a cursor plays forwards and backwards, steps and crosses events") {
    const DriveLog log = constructedLog();
    ReplayCursor cur(log);
    CHECK(cur.startTime() == 0.0);
    CHECK(cur.endTime() == 40.0);
    CHECK(cur.atStart());
    CHECK(texts(cur.seek(22.0)) == std::vector<std::string>{"stop"});
    CHECK(cur.state().position.n == Approx(4.0));
    CHECK(texts(cur.advance(5.0)) == std::vector<std::string>{"fault"});
    CHECK(texts(cur.advance(-10.0)) == std::vector<std::string>{"fault", "stop"});  // in reverse
    CHECK(cur.time() == Approx(17.0));
    CHECK(cur.stepForward().size() == 1);  // onto the stop at 20 s
    CHECK(cur.time() == 20.0);
    cur.stepBackward();
    CHECK(cur.time() == 10.0);
    cur.stepBackward();
    CHECK(cur.time() == 0.0);
    CHECK(cur.stepBackward().empty());
    CHECK(cur.time() == 0.0);
    cur.seek(25.0);
    const auto trail = cur.trail();
    REQUIRE(trail.size() == 4);  // three samples and the cursor between the third and the fourth
    CHECK(trail[2].e == 3.0);
    CHECK(trail[3].n == Approx(4.0));
    cur.seek(1e9);
    CHECK(cur.atEnd());
    CHECK(cur.stepForward().empty());

    // Played at 100x with 40 ms frames, then in reverse: every event once each way.
    ReplayCursor play(log);
    std::vector<std::string> forward, backward;
    while (!play.atEnd())
        for (const auto& t : texts(play.advance(100 * 0.04))) forward.push_back(t);
    while (!play.atStart())
        for (const auto& t : texts(play.advance(-100 * 0.04))) backward.push_back(t);
    CHECK(forward == std::vector<std::string>{"stop", "fault", "waypoint reached"});
    CHECK(backward == std::vector<std::string>{"waypoint reached", "fault", "stop"});
    // Scrubbing anywhere gives the same state as asking for it directly.
    for (double t : {33.3, 0.7, 19.99, 40.0, 12.5}) {
        play.seek(t);
        const ReplayState direct = replayStateAt(log, t);
        CHECK(play.state().position.e == direct.position.e);
        CHECK(play.state().headingDeg == direct.headingDeg);
        CHECK(play.state().sample == direct.sample);
    }
    CHECK_THROWS_AS(ReplayCursor(makeDriveLog({})), Error);
}
