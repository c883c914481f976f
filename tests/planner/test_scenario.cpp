// Training scenarios: the file format, its errors, and the scenarios shipped with the sample site.
#include "planner/scenario.hpp"
#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/raster.hpp"
#include "twin/drive_log.hpp"
#include "twin/rover_config.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#ifndef TRAVERSE_SOURCE_DIR
#error "TRAVERSE_SOURCE_DIR must name the repository root (the build defines it)"
#endif

using namespace traverse;
using namespace traverse::planner;
namespace fs = std::filesystem;
using traverse::terrain::MapPoint;

namespace {

const fs::path kScenarios = fs::path(TRAVERSE_SOURCE_DIR) / "data" / "scenarios";

std::string minimal(const std::string& extra = "", const std::string& actual = "{\"drive_log\": \"log.csv\"}") {
    return "{\"format\": \"traverse-scenario\", \"version\": 1, \"name\": \"t\", \"difficulty\": \"easy\","
           " \"site\": {\"dtm\": \"dtm.tif\"}, \"start\": {\"e\": 1, \"n\": 2, \"heading_deg\": 90},"
           " \"goal\": {\"e\": 3, \"n\": 4}, \"actual\": " + actual + extra + "}";
}

std::string parseError(const std::string& json) {
    try {
        scenarioFromJson(json, "s.json");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::Format);
        return e.what();
    }
    FAIL("no error for " << json);
    return {};
}

// Hard-hazard cells within `radius` of the straight line from a to b.
int hazardCellsNear(const terrain::HazardMaps& maps, MapPoint a, MapPoint b, double radius) {
    std::set<long> cells;
    const double len = std::hypot(b.e - a.e, b.n - a.n);
    for (double s = 0.0; s <= len; s += 0.5) {
        const MapPoint p{a.e + (b.e - a.e) * s / len, a.n + (b.n - a.n) * s / len};
        const auto px = maps.geoTransform.toPixel(p);
        const int k = int(std::ceil(radius));
        for (int dr = -k; dr <= k; ++dr)
            for (int dc = -k; dc <= k; ++dc) {
                const int c = int(px.col) + dc, r = int(px.row) + dr;
                if (c < 0 || r < 0 || c >= maps.hazard.cols || r >= maps.hazard.rows) continue;
                if (std::hypot(dc, dr) <= radius && maps.hazard.at(c, r)) cells.insert(long(r) * maps.hazard.cols + c);
            }
    }
    return int(cells.size());
}

}  // namespace

TEST_CASE("a scenario file round-trips and resolves its paths against its folder") {
    test::TempDir dir;
    Scenario s = scenarioFromJson(minimal(", \"notes\": \"n\", \"goal_tolerance_m\": 2.5, \"rover\": \"r.json\""), "s.json");
    CHECK(s.name == "t");
    CHECK(s.difficulty == Difficulty::Easy);
    CHECK(s.dtm == "dtm.tif");
    CHECK(s.goalToleranceM == 2.5);
    CHECK(s.actual.kind == ActualTraverse::Kind::DriveLog);
    CHECK(s.rover == fs::path("r.json"));
    const Scenario back = scenarioFromJson(scenarioToJson(s), "again.json");
    CHECK(back.start.headingDeg == 90.0);
    CHECK(back.goal.n == 4.0);
    CHECK(back.notes == "n");
    CHECK(back.actual.path == "log.csv");

    const auto g = scenarioFromJson(
        minimal("", "{\"geojson\": \"t.geojson\", \"coordinates\": \"map\", \"sols\": [12, 14]}"), "s.json");
    CHECK(g.actual.kind == ActualTraverse::Kind::GeoJson);
    CHECK(g.actual.coordinates == twin::TraverseCoordinates::Map);
    CHECK(g.actual.firstSol == 12);
    CHECK(g.actual.lastSol == 14);

    // Saved next to its files: relative paths; loaded: absolute, against the file's folder.
    fs::create_directories(dir / "site");
    std::ofstream(dir / "site" / "dtm.tif") << "x";
    std::ofstream(dir / "log.csv") << "x";
    s.dtm = dir / "site" / "dtm.tif";
    s.rover.reset();
    s.actual.path = dir / "log.csv";
    saveScenario(s, dir / "s.json");
    std::ifstream in(dir / "s.json");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find("\"dtm\": \"site/dtm.tif\"") != std::string::npos);
    const Scenario loaded = loadScenario(dir / "s.json");
    CHECK(loaded.dtm == (dir / "site" / "dtm.tif").lexically_normal());
    CHECK(loaded.actual.path == (dir / "log.csv").lexically_normal());
    // --site-dir: the DTM by name in another folder.
    fs::create_directories(dir / "elsewhere");
    std::ofstream(dir / "elsewhere" / "dtm.tif") << "y";
    ScenarioLoadOptions o;
    o.siteDir = dir / "elsewhere";
    CHECK(loadScenario(dir / "s.json", o).dtm == (dir / "elsewhere" / "dtm.tif").lexically_normal());
}

TEST_CASE("a malformed scenario names the file and the field") {
    CHECK_THAT(parseError("{"), Catch::StartsWith("s.json: malformed JSON"));
    CHECK_THAT(parseError("{\"format\": \"traverse-plan\"}"), Catch::StartsWith("s.json: not a scenario"));
    CHECK_THAT(parseError(minimal(", \"colour\": 1")), Catch::Contains("colour is not a field"));
    CHECK_THAT(parseError(minimal(", \"name\": \"again\"")), Catch::Contains("name appears more than once"));
    std::string bad = minimal();
    bad.replace(bad.find("\"easy\""), 6, "\"brutal\"");
    CHECK_THAT(parseError(bad), Catch::Contains("difficulty must be \"easy\", \"medium\" or \"hard\""));
    bad = minimal();
    bad.replace(bad.find("\"version\": 1"), 12, "\"version\": 7");
    CHECK_THAT(parseError(bad), Catch::Contains("newer Traverse"));
    bad = minimal();
    bad.replace(bad.find("\"e\": 3"), 6, "\"e\": \"3\"");
    CHECK_THAT(parseError(bad), Catch::Contains("goal.e must be a number"));
    CHECK_THAT(parseError(minimal("", "{}")), Catch::Contains("actual must name a \"drive_log\" or a \"geojson\""));
    CHECK_THAT(parseError(minimal("", "{\"geojson\": \"x\", \"sols\": [5, 2]}")), Catch::Contains("actual.sols"));
    CHECK_THAT(parseError(minimal(", \"goal_tolerance_m\": 0")), Catch::Contains("goal_tolerance_m must be positive"));

    test::TempDir dir;
    CHECK_THROWS_WITH(loadScenario(dir / "none.json"), Catch::Contains("none.json: no such file"));
    std::ofstream(dir / "s.json") << minimal();
    try {
        loadScenario(dir / "s.json");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::NotFound);
        CHECK(std::string(e.what()).find("s.json: the DTM") != std::string::npos);
    }
    // A scenario of the sample site whose site was not generated says how to make it.
    fs::create_directories(dir / "scenarios");
    std::ofstream(dir / "scenarios" / "x.json") << scenarioToJson([] {
        Scenario s = scenarioFromJson(minimal(), "m");
        s.dtm = "../samples/sample_dtm.tif";
        return s;
    }());
    CHECK_THROWS_WITH(loadScenario(dir / "scenarios" / "x.json"), Catch::Contains("traverse-make-sample"));
}

TEST_CASE("the shipped scenarios load on the sample site, one per difficulty, all plannable ground") {
    ScenarioLoadOptions o;
    o.siteDir = test::sampleDir();
    const terrain::Raster dtm = terrain::Raster::open(test::sampleDir() / "sample_dtm.tif");
    const auto maps = terrain::HazardMaps::compute(dtm, twin::hazardParamsFor(twin::RoverConfig{}));
    std::set<Difficulty> difficulties;
    int count = 0;
    for (const auto& entry : fs::directory_iterator(kScenarios)) {
        if (entry.path().extension() != ".json") continue;
        ++count;
        INFO(entry.path());
        const Scenario s = loadScenario(entry.path(), o);
        difficulties.insert(s.difficulty);
        CHECK_FALSE(s.notes.empty());
        CHECK(dtm.info().extent().contains({s.start.e, s.start.n}));
        CHECK(dtm.info().extent().contains(s.goal));
        const ActualPath actual = loadActualPath(s, dtm.info());
        CHECK(actual.outside.empty());
        CHECK(actual.sol);
        CHECK(actual.path.size() > 50);
        // The actual traverse starts at the start and ends near the goal.
        CHECK(std::hypot(actual.path.front().e - s.start.e, actual.path.front().n - s.start.n) < 1.0);
        CHECK(std::hypot(actual.path.back().e - s.goal.e, actual.path.back().n - s.goal.n) < 5.0);
        const MapPoint start{s.start.e, s.start.n};
        if (entry.path().filename() == "around-the-butte.json") {
            // The straight line runs over the butte's flank: steeper than the rover may drive.
            CHECK(hazardCellsNear(maps, start, s.goal, 1.0) > 20);
        }
        if (entry.path().filename() == "boulder-field.json") {
            // Boulders all along the way: many hard-hazard cells within 10 m of the straight line.
            CHECK(hazardCellsNear(maps, start, s.goal, 10.0) > 40);
        }
    }
    CHECK(count >= 3);
    CHECK(difficulties == std::set<Difficulty>{Difficulty::Easy, Difficulty::Medium, Difficulty::Hard});
}

TEST_CASE("an actual traverse partly outside the site has those points reported") {
    test::TempDir dir;
    twin::DriveLogInfo info;
    info.sol = 9;
    info.drive = 77;
    twin::DriveLog log = twin::makeDriveLog(info);
    for (int i = 0; i < 5; ++i) {
        std::vector<double> row(log.samples.channelCount(), 0.0);
        row[0] = i;
        row[2] = 3300.0 + 10.0 * i;  // the site ends at E 3324
        row[3] = 1093600.0;
        log.samples.append(row.data());
    }
    twin::writeDriveLog(log, dir / "log.csv");
    Scenario s = scenarioFromJson(minimal(), "s.json");
    s.actual.path = dir / "log.csv";
    const terrain::Raster dtm = terrain::Raster::open(test::sampleDir() / "sample_dtm.tif");
    const ActualPath a = loadActualPath(s, dtm.info());
    CHECK(a.path.size() == 3);
    REQUIRE(a.outside.size() == 2);
    CHECK(a.outside[0].at.e == 3330.0);
    CHECK(a.outside[0].sol == 9);
    CHECK(a.outside[0].drive == 77);
    CHECK(a.outside[1].vertex == 4);
}
