// traverse replay and traverse score, run as a planner runs them.
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef TRAVERSE_SOURCE_DIR
#error "TRAVERSE_SOURCE_DIR must name the repository root (the build defines it)"
#endif

using namespace traverse;
namespace fs = std::filesystem;
using Catch::Detail::Approx;

namespace {

const fs::path kScenarios = fs::path(TRAVERSE_SOURCE_DIR) / "data" / "scenarios";

int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The replay test's constructed drive: (0,0) -> (3,0) -> (3,4), a turn in place, -> (6,8) in 40 s.
// Distance 12 m; max tilt from roll 3° and pitch 4°; clearance down to 0.35 m; slip 0.1, 0.3, 0.2
// over the samples that moved; energy 4.5 Wh; a stop and a fault.
const char* kLog =
    "#traverse-drive-log {\"version\":1,\"name\":\"constructed\",\"sol\":7,\"site\":2,\"drive\":40}\n"
    "time_s,command_index,east_m,north_m,heading_deg,roll_deg,pitch_deg,yaw_deg,rocker_left_deg,rocker_right_deg,"
    "bogie_left_deg,bogie_right_deg,min_belly_clearance_m,slip,energy_wh\n"
    "0,0,0,0,90,0,0,90,1,-1,2,-2,0.6,0.9,0\n"
    "10,0,3,0,90,1,-1,90,1,-1,2,-2,0.5,0.1,1\n"
    "#event {\"time_s\":20,\"command_index\":1,\"kind\":\"stop\",\"text\":\"rover stopped: tilt\"}\n"
    "20,1,3,4,350,3,4,350,1,-1,2,-2,0.35,0.3,2.5\n"
    "#event {\"time_s\":25,\"kind\":\"fault\",\"text\":\"motor current\"}\n"
    "30,2,3,4,350,2,1,350,1,-1,2,-2,0.4,0.8,3\n"
    "40,3,6,8,10,-2,2,10,1,-1,2,-2,,0.2,4.5\n";

}  // namespace

TEST_CASE("traverse replay and score explain themselves and refuse bad calls with status 2") {
    auto r = test::runCli({"--help"});
    CHECK(r.out.find("replay LOG") != std::string::npos);
    CHECK(r.out.find("score SCENARIO.json PLAN.json") != std::string::npos);
    r = test::runCli({"replay", "--help"});
    CHECK(r.status == 0);
    CHECK(r.out.find("usage: traverse replay LOG") != std::string::npos);
    CHECK(r.out.find("--lenient") != std::string::npos);
    r = test::runCli({"score", "--help"});
    CHECK(r.status == 0);
    CHECK(r.out.find("usage: traverse score SCENARIO.json PLAN.json") != std::string::npos);
    CHECK(test::runCli({"replay"}).status == 2);
    CHECK(test::runCli({"replay", "log.csv"}).status == 2);  // nothing asked for
    CHECK(test::runCli({"replay", "log.csv", "--every", "5", "--reverse", "--at", "x"}).status == 2);
    CHECK(test::runCli({"replay", "log.csv", "--summary", "--reverse"}).status == 2);
    CHECK(test::runCli({"score", "only-one.json"}).status == 2);
    CHECK(test::runCli({"score", "a.json", "b.json", "--bogus"}).status == 2);
}

TEST_CASE("traverse replay --summary prints the log's numbers") {
    test::TempDir dir;
    std::ofstream(dir / "log.csv") << kLog;
    const auto r = test::runCli({"replay", (dir / "log.csv").string(), "--summary", "--json", (dir / "s.json").string()});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("(sol 7, site 2, drive 40), 5 samples") != std::string::npos);
    CHECK(r.out.find("duration    40.0 s") != std::string::npos);
    CHECK(r.out.find("distance    12.00 m (net 10.00 m") != std::string::npos);
    CHECK(r.out.find("max tilt    4.99 deg at 20.0 s (E 3.00 N 4.00)") != std::string::npos);
    CHECK(r.out.find("min belly clearance 0.350 m at 20.0 s") != std::string::npos);
    CHECK(r.out.find("slip        mean 0.200, max 0.300, p95 0.300 (over 3 moving samples)") != std::string::npos);
    CHECK(r.out.find("energy      4.50 Wh") != std::string::npos);
    CHECK(r.out.find("1 fault, 1 stop, 0 rule, 0 waypoint, 0 note") != std::string::npos);
    CHECK(r.out.find("stop at 20.0 s, command 1: rover stopped: tilt") != std::string::npos);
    const auto j = nlohmann::json::parse(slurp(dir / "s.json"));
    CHECK(j["distance_m"].get<double>() == Approx(12.0));
    CHECK(j["max_tilt"]["deg"].get<double>() == Approx(4.99417).epsilon(1e-5));
    CHECK(j["slip"]["mean"].get<double>() == Approx(0.2));
    CHECK(j["min_belly_clearance"]["m"].get<double>() == 0.35);
}

TEST_CASE("traverse replay plays states forwards and backwards, and writes tracks and logs") {
    test::TempDir dir;
    std::ofstream(dir / "log.csv") << kLog;
    const std::string log = (dir / "log.csv").string();
    auto r = test::runCli({"replay", log, "--at", "5"});
    REQUIRE(r.status == 0);
    CHECK(r.out.find("     5.00        1.50         0.00    90.0") != std::string::npos);
    r = test::runCli({"replay", log, "--every", "10"});
    REQUIRE(r.status == 0);
    CHECK(lines(r.out) == 1 + 5 + 2);  // header, 0..40 s, two events
    CHECK(r.out.find("# event stop at 20.00 s") < r.out.find("# event fault at 25.00 s"));
    r = test::runCli({"replay", log, "--every", "10", "--reverse"});
    REQUIRE(r.status == 0);
    CHECK(r.out.find("# back past fault at 25.00 s") < r.out.find("# back past stop at 20.00 s"));
    // A track in lon/lat needs a CRS: the log names none, so the DTM's.
    r = test::runCli({"replay", log, "--geojson", (dir / "t.geojson").string()});
    CHECK(r.status == 1);
    CHECK(r.err.find("no map CRS") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "t.geojson"));
    r = test::runCli({"replay", log, "--geojson", (dir / "t.geojson").string(), "--dtm",
                      (test::sampleDir() / "sample_dtm.tif").string(), "--sol", "8", "--write-log",
                      (dir / "copy.csv").string()});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    const auto g = nlohmann::json::parse(slurp(dir / "t.geojson"));
    CHECK(g["features"][0]["properties"]["sol"] == 8);
    CHECK(g["features"][0]["properties"]["drive"] == 40);
    CHECK(std::abs(g["features"][0]["geometry"]["coordinates"][0][0].get<double>() - 77.4) < 0.1);  // lon near lon_0
    CHECK(slurp(dir / "copy.csv").find("\"sol\":8") != std::string::npos);
}

TEST_CASE("a malformed log fails with its line; --lenient lists the bad lines and goes on") {
    test::TempDir dir;
    std::string text = kLog;
    text.insert(text.find("30,2,3,4"), "25,2,3,4,350,oops,1,350,1,-1,2,-2,0.4,0.8,3\n");  // line 8
    std::ofstream(dir / "bad.csv") << text;
    auto r = test::runCli({"replay", (dir / "bad.csv").string(), "--summary"});
    CHECK(r.status == 1);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("bad.csv: line 8: roll_deg \"oops\" is not a finite number") != std::string::npos);
    CHECK(r.out.empty());
    r = test::runCli({"replay", (dir / "bad.csv").string(), "--summary", "--lenient", "--write-log",
                      (dir / "clean.csv").string()});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("1 malformed line skipped (--lenient):\n  line 8: roll_deg") != std::string::npos);
    CHECK(r.out.find("distance    12.00 m") != std::string::npos);
    // The cleaned copy reads strictly.
    CHECK(test::runCli({"replay", (dir / "clean.csv").string(), "--summary"}).status == 0);
    r = test::runCli({"replay", (dir / "missing.csv").string(), "--summary"});
    CHECK(r.status == 1);
    CHECK(r.err.find("missing.csv: no such file") != std::string::npos);
}

TEST_CASE("a simulated drive's log replays against its plan; the shipped log is the twin's drive of its sequence") {
    test::TempDir dir;
    const std::string dtm = (test::sampleDir() / "sample_dtm.tif").string();
    // The boulder-field scenario's commanded drive, simulated again on the generated site.
    auto r = test::runCli({"simulate", "--dtm", dtm, "--sequence", (kScenarios / "boulder-field.seq").string(), "--out",
                           (dir / "sim").string()});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("drive_log.csv") != std::string::npos);
    r = test::runCli({"replay", (dir / "sim" / "drive_log.csv").string(), "--json", (dir / "sim.json").string()});
    REQUIRE(r.status == 0);
    r = test::runCli({"replay", (kScenarios / "boulder-field.drive.csv").string(), "--json", (dir / "shipped.json").string()});
    REQUIRE(r.status == 0);
    const auto sim = nlohmann::json::parse(slurp(dir / "sim.json"));
    const auto shipped = nlohmann::json::parse(slurp(dir / "shipped.json"));
    CHECK(sim["end"]["e"].get<double>() == Approx(shipped["end"]["e"].get<double>()).margin(0.05));
    CHECK(sim["end"]["n"].get<double>() == Approx(shipped["end"]["n"].get<double>()).margin(0.05));
    CHECK(sim["duration_s"].get<double>() == Approx(shipped["duration_s"].get<double>()).margin(1.0));

    // A plan for the same drive, and the deviation of the logged path from it.
    r = test::runCli({"plan", "--dtm", dtm, "--start", "3120,1093800,135", "--goal", "3200,1093697", "--out",
                      (dir / "p.plan.json").string(), "--quiet"});
    REQUIRE(r.status == 0);
    r = test::runCli({"replay", (kScenarios / "boulder-field.drive.csv").string(), "--plan",
                      (dir / "p.plan.json").string(), "--summary"});
    REQUIRE(r.status == 0);
    CHECK(r.out.find("(sol 618, site 27, drive 3120)") != std::string::npos);
    CHECK(r.out.find("deviation from the plan") != std::string::npos);
}

TEST_CASE("traverse score prints the table and writes JSON; missing terrain is one clear line") {
    test::TempDir dir;
    const std::string dtm = (test::sampleDir() / "sample_dtm.tif").string();
    auto r = test::runCli({"plan", "--dtm", dtm, "--start", "2950,1093392,90", "--goal", "3120,1093392", "--out",
                           (dir / "trainee.plan.json").string(), "--quiet"});
    REQUIRE(r.status == 0);
    const std::string scenario = (kScenarios / "around-the-butte.json").string();
    r = test::runCli({"score", scenario, (dir / "trainee.plan.json").string(), "--site-dir", test::sampleDir().string(),
                      "--json", (dir / "score.json").string(), "--quiet"});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("scenario  Around the butte (medium)") != std::string::npos);
    for (const char* row : {"length (m)", "time (s)", "energy (Wh)", "max tilt (deg)", "min belly clearance (m)",
                            "tilt margin (deg)", "segments failed / warned", "hazard cells under the rover",
                            "near hard hazards (m)", "deviation mean / max (m)", "score (of 100)"})
        CHECK(r.out.find(row) != std::string::npos);
    CHECK(r.out.find("around-the-butte.geojson") != std::string::npos);
    const auto j = nlohmann::json::parse(slurp(dir / "score.json"));
    const double plan = j["routes"]["plan"]["score"].get<double>();
    const double actual = j["routes"]["actual"]["score"].get<double>();
    CHECK(plan > 90.0);
    CHECK(actual > 80.0);
    CHECK(j["routes"]["builtin"]["arrives"] == true);
    // Scored again: the same table.
    const auto again = test::runCli({"score", scenario, (dir / "trainee.plan.json").string(), "--site-dir",
                                     test::sampleDir().string(), "--quiet"});
    CHECK(again.out == r.out.substr(0, again.out.size()));

    // Without the generated site next to the scenarios, and no --site-dir: one line that says what to do.
    fs::create_directories(dir / "scenarios");
    fs::copy_file(scenario, dir / "scenarios" / "s.json");
    r = test::runCli({"score", (dir / "scenarios" / "s.json").string(), (dir / "trainee.plan.json").string()});
    CHECK(r.status == 1);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("sample_dtm.tif: no such file") != std::string::npos);
    CHECK(r.err.find("traverse-make-sample") != std::string::npos);
}
