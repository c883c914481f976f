// Drive logs: the format round-trips exactly, the twin's telemetry is one, malformed lines are named,
// and a partially valid log loads with its bad lines listed.
#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "twin/drive_log.hpp"
#include "twin/simulator.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <limits>

using namespace traverse;
using namespace traverse::twin;
using traverse::terrain::ElevationModel;
using traverse::terrain::GeoTransform;
using traverse::terrain::Grid;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Columns equal value for value, NaN (not reported) included.
bool sameColumns(const Telemetry& a, const Telemetry& b) {
    if (a.names() != b.names() || a.size() != b.size()) return false;
    for (std::size_t c = 0; c < a.channelCount(); ++c)
        for (std::size_t s = 0; s < a.size(); ++s) {
            const double x = a.at(s, c), y = b.at(s, c);
            if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
        }
    return true;
}

DriveLog sampleLog() {
    DriveLogInfo info;
    info.name = "sol 0012, drive \"3\", the long one";
    info.sol = 12;
    info.site = 3;
    info.drive = 1204;
    info.rover = "perseverance-like";
    info.source = "test";
    info.mapCrs = test::marsEqcWkt();
    info.crsNote = "map frame of the DTM";
    info.dtm = "sample_dtm.tif";
    info.startUtc = "2025-03-01T12:00:00.000Z";
    info.notes = "commas, \"quotes\"\nand a line break; Jezero – sol 12";
    DriveLog log = makeDriveLog(info, {"min_belly_clearance_m", "slip", "energy_wh", "wheel_current_lf_a"});
    for (int i = 0; i < 7; ++i) {
        std::vector<double> row(log.samples.channelCount());
        row[0] = 0.1 * i + 1e-9;                            // time_s
        row[1] = i < 4 ? 0 : 1;                             // command_index
        row[2] = 2400.123456789012 + 0.05 * i;              // east_m
        row[3] = 1093900.987654321 - 1e-7 * i;              // north_m
        row[4] = 359.99 + 0.001 * i;                        // heading_deg (past 360: kept as written)
        for (std::size_t c = 5; c < row.size(); ++c) row[c] = -1.0 / 3.0 * double(c) + i;
        if (i == 2) row[7] = kNaN;                          // yaw not reported
        if (i == 5) row[log.samples.index("slip")] = kNaN;
        log.samples.append(row.data());
    }
    log.events.push_back({0.0, 0, EventKind::Note, "drive started", terrain::MapPoint{2400.0, 1093900.5}});
    log.events.push_back({0.25, std::nullopt, EventKind::Fault, "motor current high, \"LF\"", std::nullopt});
    log.events.push_back({0.3, 0, EventKind::Waypoint, "waypoint reached", terrain::MapPoint{2400.15, 1093900.9}});
    log.events.push_back({0.6, 1, EventKind::Stop, "rover stopped: tilt", std::nullopt});
    log.events.push_back({9.0, 1, EventKind::Rule, "after the last sample", std::nullopt});
    return log;
}

std::string header() {
    return "#traverse-drive-log {\"version\":1,\"name\":\"t\"}\n"
           "time_s,command_index,east_m,north_m,heading_deg,roll_deg,pitch_deg,yaw_deg,rocker_left_deg,"
           "rocker_right_deg,bogie_left_deg,bogie_right_deg,slip\n";
}

std::string row(double t, int cmd, double e, const std::string& slip = "0.1") {
    return std::to_string(t) + "," + std::to_string(cmd) + "," + std::to_string(e) + ",100,90,1,2,90,0,0,0,0," + slip + "\n";
}

std::string strictError(const std::string& text) {
    try {
        parseDriveLog(text, "bad.csv");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::Format);
        return e.what();
    }
    FAIL("no error for:\n" << text);
    return {};
}

}  // namespace

TEST_CASE("a drive log round-trips exactly through its file") {
    const DriveLog log = sampleLog();
    test::TempDir dir;
    writeDriveLog(log, dir / "log.csv");
    const DriveLog back = readDriveLog(dir / "log.csv");
    CHECK(back.info == log.info);
    CHECK(sameColumns(back.samples, log.samples));
    CHECK(back.events == log.events);
    // And the text is stable: written again, it is the same file.
    CHECK(driveLogToText(back) == driveLogToText(log));

    // The file is CSV with a JSON header: line 1 the header, line 2 the channel names, events as "#event".
    std::ifstream in(dir / "log.csv");
    std::string line1, line2, line3;
    std::getline(in, line1);
    std::getline(in, line2);
    std::getline(in, line3);
    CHECK(line1.rfind("#traverse-drive-log {\"version\":1,", 0) == 0);
    CHECK(line2.rfind("time_s,command_index,east_m,north_m,heading_deg,roll_deg,pitch_deg,yaw_deg,rocker_left_deg,", 0) == 0);
    CHECK(line3.rfind("#event {\"time_s\":0.0,", 0) == 0);  // at or before the first sample's time
    // An unreported value is an empty field.
    CHECK(driveLogToText(log).find(",,") != std::string::npos);
}

TEST_CASE("an invalid log is refused before anything is written") {
    test::TempDir dir;
    DriveLog log = sampleLog();
    std::vector<double> row(log.samples.channelCount(), 0.0);
    row[0] = 0.05;  // earlier than the last sample
    log.samples.append(row.data());
    CHECK_THROWS_WITH(writeDriveLog(log, dir / "x.csv"), Catch::Contains("time_s") && Catch::Contains("x.csv"));
    CHECK(test::listFiles(dir.path()).empty());
    DriveLog noPose = makeDriveLog({});
    noPose.samples = Telemetry(std::vector<std::string>{"time_s", "east_m"});
    CHECK_THROWS_WITH(driveLogToText(noPose), Catch::Contains("command_index"));
}

TEST_CASE("the twin's telemetry converts into a drive log with its events") {
    // A 20 m x 30 m plane rising 10 % to the north, at 0.1 m.
    Grid<float> g(200, 300);
    for (int r = 0; r < 300; ++r)
        for (int c = 0; c < 200; ++c) g.at(c, r) = float(-2500.0 + 0.1 * (30.0 - (r + 0.5) * 0.1));
    const ElevationModel dtm(std::move(g), GeoTransform::northUp({1000.0, 5030.0}, 0.1, 0.1), -9999.0);
    Sequence seq;
    seq.header.name = "climb";
    seq.header.sol = 42;
    seq.header.start = {1010.0, 5005.0, 0.0};
    seq.commands = {StopConditions{30.0, 3600.0}, GoToWaypoint{1010.0, 5010.0, 0.3, 600.0, DriveMode::VisualOdometry},
                    TurnBy{45.0}, DriveStraight{2.0}};
    SimulationOptions opt;
    RuleLimits limits;
    limits.maxTiltDeg = 5.0;  // the 5.7° slope breaks it
    opt.limits = limits;
    const SimulationResult sim = simulate(dtm, RoverConfig{}, seq, opt);
    DriveLogInfo info;
    info.mapCrs = test::marsEqcWkt();
    const DriveLog log = driveLogFromSimulation(sim, seq, info);
    CHECK(log.info.name == "climb");
    CHECK(log.info.sol == 42);
    CHECK(log.info.source == "traverse twin");
    CHECK(log.size() == sim.telemetry.size());
    for (auto name : kDriveLogRequiredChannels) CHECK(log.channel(name));
    CHECK(log.channel("min_belly_clearance_m"));
    CHECK(log.channel("slip"));
    int waypoints = 0, rules = 0;
    for (const auto& e : log.events) {
        waypoints += e.kind == EventKind::Waypoint;
        if (e.kind == EventKind::Rule) {
            ++rules;
            CHECK(e.text.find("tilt") != std::string::npos);
            REQUIRE(e.at);
        }
    }
    CHECK(waypoints == 1);
    CHECK(rules == 1);
    for (std::size_t i = 1; i < log.events.size(); ++i) CHECK(log.events[i - 1].timeS <= log.events[i].timeS);

    test::TempDir dir;
    writeDriveLog(log, dir / "climb.csv");
    const DriveLog back = readDriveLog(dir / "climb.csv");
    CHECK(sameColumns(back.samples, sim.telemetry));
    CHECK(back.events == log.events);

    // The rover's own stop is a stop event.
    seq.commands = {StopConditions{3.0, 3600.0}, DriveStraight{5.0}};
    const SimulationResult stopped = simulate(dtm, RoverConfig{}, seq);
    const DriveLog stopLog = driveLogFromSimulation(stopped, seq);
    REQUIRE_FALSE(stopLog.events.empty());
    CHECK(stopLog.events.back().kind == EventKind::Stop);
    CHECK(stopLog.events.back().commandIndex == 1);

    SimulationOptions quiet;
    quiet.recordTelemetry = false;
    CHECK_THROWS_AS(driveLogFromSimulation(simulate(dtm, RoverConfig{}, seq, quiet), seq), Error);
}

TEST_CASE("a malformed log is an error naming the file and the line") {
    const std::string h = header();
    CHECK_THAT(strictError(h + row(0, 0, 1) + row(1, 0, 2) + "2,0,oops,100,90,1,2,90,0,0,0,0,0.1\n"),
               Catch::StartsWith("bad.csv: line 5: east_m \"oops\" is not a finite number"));
    CHECK_THAT(strictError(h + row(0, 0, 1) + "1,0,2,100\n"), Catch::StartsWith("bad.csv: line 4: 4 values for 13"));
    CHECK_THAT(strictError(h + row(0, 0, 1) + row(1, 0, 2) + "3,0,3,100,90,1,2,90,0,0,0,0,0.1,7\n"),
               Catch::StartsWith("bad.csv: line 5: more values"));
    CHECK_THAT(strictError(h + row(5, 0, 1) + row(4, 0, 2)), Catch::StartsWith("bad.csv: line 4: time_s 4") &&
                                                                Catch::Contains("before the previous"));
    CHECK_THAT(strictError(h + row(0, 0, 1) + ",0,2,100,90,1,2,90,0,0,0,0,0.1\n"),
               Catch::StartsWith("bad.csv: line 4: time_s is empty"));
    CHECK_THAT(strictError(h + row(0, 0, 1) + "1,0.5,2,100,90,1,2,90,0,0,0,0,0.1\n"),
               Catch::StartsWith("bad.csv: line 4: command_index 0.5"));
    CHECK_THAT(strictError(h + row(0, 0, 1) + "1,0,nan,100,90,1,2,90,0,0,0,0,0.1\n"), Catch::Contains("line 4"));
    CHECK_THAT(strictError(h + row(0, 0, 1) + "#event {\"time_s\":1,\"kind\":\"boom\",\"text\":\"x\"}\n"),
               Catch::StartsWith("bad.csv: line 4: event kind \"boom\""));
    CHECK_THAT(strictError(h + row(0, 0, 1) + "#event {\"time_s\":1,\"kind\":\"stop\"\n"),
               Catch::StartsWith("bad.csv: line 4: malformed JSON"));
    CHECK_THAT(strictError(h + row(0, 0, 1) + "#event {\"time_s\":1,\"time_s\":2,\"kind\":\"stop\",\"text\":\"\"}\n"),
               Catch::Contains("line 4") && Catch::Contains("more than once"));
    CHECK_THAT(strictError(h + row(0, 0, 1) + "#evnt {}\n"), Catch::StartsWith("bad.csv: line 4: unknown directive"));
    // The header lines.
    CHECK_THAT(strictError("time_s,east_m\n0,1\n"), Catch::StartsWith("bad.csv: line 1: not a drive log"));
    CHECK_THAT(strictError("#traverse-drive-log {\"version\":2}\n"), Catch::StartsWith("bad.csv: line 1: written by a newer"));
    CHECK_THAT(strictError("#traverse-drive-log {\"version\":1,\"colour\":\"red\"}\n"),
               Catch::StartsWith("bad.csv: line 1: \"colour\" is not a field"));
    CHECK_THAT(strictError("#traverse-drive-log {\"version\":1,\"sol\":\"x\"}\n"), Catch::StartsWith("bad.csv: line 1: \"sol\""));
    CHECK_THAT(strictError("#traverse-drive-log {\"version\":1}\ntime_s,east_m,north_m\n"),
               Catch::StartsWith("bad.csv: line 2: the required channel \"command_index\" is missing"));
    CHECK_THAT(strictError("#traverse-drive-log {\"version\":1}\n"), Catch::StartsWith("bad.csv: line 2: no line"));
    CHECK_THAT(strictError(h), Catch::StartsWith("bad.csv: no samples"));
    CHECK_THAT(strictError(""), Catch::StartsWith("bad.csv: line 1: empty file"));

    // Comments, blank lines and CRLF line ends are fine.
    const auto ok = parseDriveLog(h + "# a comment\r\n\r\n" + row(0, 0, 1) + "#\n" + row(1, 0, 2), "ok.csv");
    CHECK(ok.log.size() == 2);
    CHECK(ok.badLines.empty());

    test::TempDir dir;
    CHECK_THROWS_WITH(readDriveLog(dir / "missing.csv"), Catch::Contains("missing.csv: no such file"));
    std::ofstream(dir / "bad.csv") << h << row(0, 0, 1) << "x\n";
    CHECK_THROWS_WITH(readDriveLog(dir / "bad.csv"), Catch::Contains("bad.csv: line 4"));
}

TEST_CASE("a partially valid log loads leniently with its bad lines listed") {
    const std::string text = header() +                            // lines 1, 2
                             row(0, 0, 1) +                        // 3
                             row(1, 0, 2) +                        // 4
                             "1.5,0,3,100,90,1,2\n" +              // 5: too few values
                             row(2, 1, 3, "") +                    // 6: slip not reported: fine
                             "#event {\"time_s\":2.1,\"kind\":\"fault\",\"text\":\"motor stall\"}\n"  // 7
                             "#event {\"time_s\":2.2,\"kind\":\"stop\"}\n" +  // 8: no text
                             row(0.5, 1, 4) +                      // 9: time going backwards
                             "3,1,5,100,90,1,2,90,0,0,0,0,abc\n" + // 10: not a number
                             row(4, 1, 6);                         // 11
    const auto r = parseDriveLog(text, "partial.csv", ReadMode::Lenient);
    REQUIRE(r.log.size() == 4);
    CHECK(r.log.timeS(3) == 4.0);
    CHECK(std::isnan(r.log.samples.at(2, r.log.samples.index("slip"))));
    REQUIRE(r.log.events.size() == 1);
    CHECK(r.log.events[0].kind == EventKind::Fault);
    REQUIRE(r.badLines.size() == 4);
    CHECK(r.badLines[0].line == 5);
    CHECK(r.badLines[0].reason.find("7 values for 13 channels") != std::string::npos);
    CHECK(r.badLines[1].line == 8);
    CHECK(r.badLines[1].reason.find("no \"text\"") != std::string::npos);
    CHECK(r.badLines[2].line == 9);
    CHECK(r.badLines[2].reason.find("before the previous") != std::string::npos);
    CHECK(r.badLines[3].line == 10);
    CHECK(r.badLines[3].reason.find("slip \"abc\"") != std::string::npos);
    // Strictly, the first bad line is the error.
    CHECK_THROWS_WITH(parseDriveLog(text, "partial.csv"), Catch::StartsWith("partial.csv: line 5:"));
    // A broken header stays an error; so does a log with no valid sample.
    CHECK_THROWS_WITH(parseDriveLog("#traverse-drive-log {}\n", "h.csv", ReadMode::Lenient),
                      Catch::StartsWith("h.csv: line 1:"));
    CHECK_THROWS_WITH(parseDriveLog(header() + "x\ny\n", "none.csv", ReadMode::Lenient),
                      Catch::StartsWith("none.csv: no valid sample line (2 bad lines; line 3:"));
}

TEST_CASE("thinning keeps the ends, command changes, turns and the spacing") {
    DriveLog log = makeDriveLog({});
    // 10 m east at 5 cm (command 0), a 90° turn in place in 2° steps (command 1), 2 m north (command 2).
    auto add = [&](double t, int cmd, double e, double n, double h) {
        std::vector<double> row(log.samples.channelCount(), 0.0);
        row[0] = t, row[1] = cmd, row[2] = e, row[3] = n, row[4] = h, row[7] = h;
        log.samples.append(row.data());
    };
    double t = 0.0;
    for (int i = 0; i <= 200; ++i) add(t += 1.0, 0, 0.05 * i, 0.0, 90.0);
    for (int i = 1; i <= 45; ++i) add(t += 1.0, 1, 10.0, 0.0, 90.0 - 2.0 * i);
    for (int i = 1; i <= 40; ++i) add(t += 1.0, 2, 10.0, 0.05 * i, 0.0);
    log.events.push_back({5.0, 0, EventKind::Note, "kept", std::nullopt});
    const DriveLog thin = thinDriveLog(log, 1.0);
    CHECK(thin.events == log.events);
    CHECK(thin.size() < 40);
    CHECK(thin.timeS(0) == log.timeS(0));
    CHECK(thin.timeS(thin.size() - 1) == log.timeS(log.size() - 1));
    const auto track = thin.track();
    const auto full = log.track();
    // Consecutive kept samples are at most 1 m apart along the track, and the turn keeps ≤ 10° steps.
    const std::size_t hc = *thin.channel("heading_deg");
    for (std::size_t i = 1; i < thin.size(); ++i) {
        CHECK(std::hypot(track[i].e - track[i - 1].e, track[i].n - track[i - 1].n) <= 1.0 + 1e-9);
        CHECK(std::abs(thin.samples.at(i, hc) - thin.samples.at(i - 1, hc)) <= 10.0 + 1e-9);
    }
    // The last sample of each command and the first of the next are both kept.
    const std::size_t cc = *thin.channel("command_index");
    int changes = 0;
    for (std::size_t i = 1; i < thin.size(); ++i) changes += thin.samples.at(i, cc) != thin.samples.at(i - 1, cc);
    CHECK(changes == 2);
    CHECK_THROWS_AS(thinDriveLog(log, 0.0), Error);
}
