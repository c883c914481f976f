// Export of a validated route: refusals that write nothing, the files and their checksums, SeqJSON read
// back as the same commands, the official SeqJSON schema, GeoJSON and KML opened through GDAL the way
// QGIS opens them.
#include "planner/export.hpp"
#include "planner/plan.hpp"
#include "planner/validation.hpp"
#include "support/test_support.hpp"
#include "terrain/elevation_model.hpp"
#include "terrain/error.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/raster.hpp"
#include "twin/rover_config.hpp"

#include <catch2/catch.hpp>
#include <gdal.h>
#include <nlohmann/json.hpp>
#include <cpl_conv.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#ifndef TRAVERSE_SOURCE_DIR
#error "TRAVERSE_SOURCE_DIR must name the repository root (the build defines it)"
#endif

using namespace traverse;
using namespace traverse::planner;
namespace fs = std::filesystem;
using traverse::terrain::GeoTransform;

namespace {

std::string readText(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeText(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.good());
}

std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

struct Shell {
    int status = -1;
    std::string output;  // stdout and stderr
};
Shell shell(const std::string& command) {
    Shell r;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(p);
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    const int status = ::pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return r;
}

// A small site: 200 x 150 m at 1 m, a plane rising gently to the east and north (easy ground), in the
// Mars equirectangular CRS of the sample site (IAU Mars sphere, origin 77.4 E, true scale at 18.4 N).
struct Site {
    test::TempDir dir;
    fs::path dtm;
    explicit Site(const std::string& crsWkt = test::marsEqcWkt()) {
        terrain::Grid<float> z(200, 150);
        for (int r = 0; r < 150; ++r)
            for (int c = 0; c < 200; ++c) z.at(c, r) = float(0.02 * c - 0.01 * r);
        test::WriteOptions o;
        o.crsWkt = crsWkt;
        dtm = test::writeRaster(dir / "dtm.tif", z, GeoTransform::northUp({1000.0, 5000.0}, 1.0, 1.0), o);
    }
};

std::string wktOf(const char* definition) {
    OGRSpatialReferenceH s = OSRNewSpatialReference(nullptr);
    REQUIRE(OSRSetFromUserInput(s, definition) == OGRERR_NONE);
    char* wkt = nullptr;
    OSRExportToWkt(s, &wkt);
    std::string out = wkt;
    CPLFree(wkt);
    OSRDestroySpatialReference(s);
    return out;
}

Plan makePlan(const fs::path& dtm) {
    Plan p;
    p.name = "Sol 12 test drive";
    p.site = hashSite(dtm);
    p.route.start = {1040.0, 4925.0, 90.0};
    Provenance builtin;
    builtin.source = "builtin";
    Provenance byHand;
    byHand.source = "planner";
    Provenance repaired = builtin;
    repaired.attempt = 2;
    repaired.repaired = true;
    p.route.segments = {{{1050.0, 4925.0}, byHand},
                        {{1059.0, 4928.0}, builtin},
                        {{1068.0, 4925.0}, repaired},
                        {{1078.0, 4925.0}, builtin}};
    p.goal = {1078.0, 4925.0};
    p.viaPoints = {{1059.0, 4928.0}};
    twin::Zone keepOut;
    keepOut.name = "sand trap";
    keepOut.polygon = {{1055.0, 4940.0}, {1055.0, 4950.0}, {1065.0, 4950.0}, {1065.0, 4940.0}};  // clockwise
    p.zones = {keepOut};
    return p;
}

// Validation as 'traverse validate' does it: hazard maps and the elevation model around the route.
ValidationOutcome validate(const Plan& plan) {
    const auto dtm = terrain::Raster::open(plan.site.dtm.path);
    const terrain::MapExtent area{1010.0, 4880.0, 1110.0, 4970.0};
    const auto maps = terrain::HazardMaps::compute(dtm, area, twin::hazardParamsFor(plan.rover));
    const auto model = terrain::ElevationModel::load(dtm, area);
    return validateRoute(plan, maps, model);
}

// A plan with a passing validation report stored, and the outcome export needs.
struct Validated {
    Plan plan;
    ValidationOutcome outcome;
};
Validated validated(const fs::path& dtm) {
    Validated v{makePlan(dtm), {}};
    v.outcome = validate(v.plan);
    INFO(v.outcome.summary);
    REQUIRE(v.outcome.pass);
    v.plan.validation = v.outcome.record;
    return v;
}

std::vector<std::string> sortedFiles(const fs::path& dir) {
    auto f = test::listFiles(dir);
    std::sort(f.begin(), f.end());
    return f;
}

const std::vector<std::string> kExported = {"Sol_12_test_drive.geojson", "Sol_12_test_drive.kml",
                                            "Sol_12_test_drive.seq.json", "Sol_12_test_drive.txt", "checksums.sha256"};

fs::path checker() { return fs::path(TRAVERSE_SOURCE_DIR) / "tools" / "seqjson-check"; }

// Runs the official-schema check; fails (never skips) when the tool's packages are not installed.
Shell checkSeqJson(const fs::path& file) {
    if (!fs::exists(checker() / "node_modules" / "@nasa-jpl" / "seq-json-schema" / "schema.json"))
        FAIL("the SeqJSON checker is not installed: run 'npm ci --prefix " + checker().string() +
             "' (scripts/traverse-setup does)");
    return shell("node " + quoted((checker() / "check.mjs").string()) + " " + quoted(file.string()));
}

// Everything but the last line, and the checksum that line records.
std::pair<std::string, std::string> splitTrailingChecksum(const std::string& text) {
    const auto end = text.find_last_of('\n', text.size() - 2);
    const std::string last = text.substr(end + 1);
    const auto hexAt = last.find(": ") + 2;
    return {text.substr(0, end + 1), last.substr(hexAt, 64)};
}

struct OgrDataset {
    GDALDatasetH ds = nullptr;
    explicit OgrDataset(const fs::path& p) {
        GDALAllRegister();
        ds = GDALOpenEx(p.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    }
    ~OgrDataset() {
        if (ds) GDALClose(ds);
    }
};

}  // namespace

TEST_CASE("export writes SeqJSON, a listing, GeoJSON, KML and checksums that all check out") {
    Site site;
    auto [plan, outcome] = validated(site.dtm);
    const fs::path out = site.dir / "export";
    const ExportResult r = exportPlan(plan, {outcome, "", ""}, out);

    CHECK(sortedFiles(out) == kExported);  // and no temporary folder left behind
    REQUIRE(r.files.size() == 5);
    CHECK(r.files.back().filename() == "checksums.sha256");
    const fs::path seqFile = out / "Sol_12_test_drive.seq.json";

    SECTION("SeqJSON reads back as exactly the validated commands") {
        const twin::Sequence back = readSeqJson(seqFile);
        REQUIRE(back.commands.size() == outcome.sequence.commands.size());
        CHECK(twin::sequenceToJson(back) == twin::sequenceToJson(outcome.sequence));
        CHECK(back.header.name == outcome.sequence.header.name);
        CHECK(back.header.start.e == plan.start().e);
        CHECK(back.header.start.headingDeg == plan.start().headingDeg);
    }

    SECTION("each step holds the command and the twin's predicted state at its end") {
        const auto j = nlohmann::json::parse(readText(seqFile));
        CHECK(j["id"] == "Sol_12_test_drive");
        CHECK(j["metadata"]["plan_name"] == "Sol 12 test drive");
        CHECK(j["metadata"]["hashes"]["plan_sha256"] == plan.validation->hashes.planSha256);
        CHECK(j["metadata"]["hashes"]["terrain_sha256"] == plan.validation->hashes.terrainSha256);
        CHECK(j["metadata"]["hashes"]["rover_sha256"] == plan.validation->hashes.roverSha256);
        CHECK(j["metadata"]["hashes"]["dtm_sha256"] == plan.site.dtm.sha256);
        CHECK(j["metadata"]["tool"]["name"] == "traverse");
        CHECK(j["metadata"]["validation"]["pass"] == true);
        const auto& steps = j["steps"];
        REQUIRE(steps.size() == outcome.sequence.commands.size());
        double lastTime = -1.0;
        for (std::size_t i = 0; i < steps.size(); ++i) {
            const auto& s = steps[i];
            CHECK(s["type"] == "command");
            CHECK(s["stem"] == std::string(twin::commandStem(outcome.sequence.commands[i])));
            CHECK(s["time"]["type"] == "COMMAND_COMPLETE");
            std::map<std::string, double> m;
            for (const auto& model : s["models"])
                m[model["variable"].get<std::string>()] = model["value"].get<double>();
            for (const char* v : {"east_m", "north_m", "heading_deg", "roll_deg", "pitch_deg", "min_belly_clearance_m",
                                  "energy_wh", "time_s", "site_x_m", "site_y_m", "site_z_m"})
                CHECK(m.count(v) == 1);
            CHECK(m["time_s"] >= lastTime);  // the states follow the drive in time
            lastTime = m["time_s"];
            CHECK(m["site_x_m"] == Approx(m["north_m"] - plan.start().n).margin(2e-3));
            CHECK(m["site_y_m"] == Approx(m["east_m"] - plan.start().e).margin(2e-3));
        }
        // The last step ends where the twin's drive ends.
        std::map<std::string, double> last;
        for (const auto& model : steps.back()["models"]) last[model["variable"]] = model["value"].get<double>();
        const auto& sim = outcome.simulation;
        CHECK(last["east_m"] == Approx(sim.endPose.e).margin(1e-3));
        CHECK(last["north_m"] == Approx(sim.endPose.n).margin(1e-3));
        CHECK(last["energy_wh"] == Approx(sim.energyWh).margin(1e-3));
        CHECK(last["time_s"] == Approx(sim.elapsedS).margin(1e-3));
        // A go-to's model offset is its duration, as HH:MM:SS.sss.
        CHECK(steps.back()["models"][0]["offset"].get<std::string>().size() == 12);
    }

    SECTION("the official SeqJSON schema accepts the file, and rejects a broken one") {
        const Shell ok = checkSeqJson(seqFile);
        INFO(ok.output);
        CHECK(ok.status == 0);
        CHECK(ok.output.find("checksum ok") != std::string::npos);
        auto j = nlohmann::json::parse(readText(seqFile));
        j["steps"][1].erase("time");
        writeText(site.dir / "broken.seq.json", j.dump(2));
        const Shell bad = checkSeqJson(site.dir / "broken.seq.json");
        INFO(bad.output);
        CHECK(bad.status == 1);
        CHECK(bad.output.find("/steps/1") != std::string::npos);
    }

    SECTION("sha256sum -c passes on the checksum file, and catches a changed byte") {
        Shell s = shell("cd " + quoted(out.string()) + " && sha256sum -c checksums.sha256");
        INFO(s.output);
        CHECK(s.status == 0);
        CHECK(std::count(s.output.begin(), s.output.end(), '\n') == 4);
        std::string listing = readText(out / "Sol_12_test_drive.txt");
        listing[listing.find("MOB_GOTO") + 4] = 'X';
        writeText(out / "Sol_12_test_drive.txt", listing);
        s = shell("cd " + quoted(out.string()) + " && sha256sum -c checksums.sha256");
        CHECK(s.status != 0);
        CHECK(s.output.find("Sol_12_test_drive.txt: FAILED") != std::string::npos);
    }

    SECTION("each file records its own checksum, and a changed SeqJSON is refused on reading") {
        const std::string seq = readText(seqFile);
        const auto sj = nlohmann::json::parse(seq);
        CHECK(canonicalJsonSha256(seq, "/metadata/checksum") == sj["metadata"]["checksum"]["value"]);
        const std::string geo = readText(out / "Sol_12_test_drive.geojson");
        CHECK(canonicalJsonSha256(geo, "/traverse/checksum") ==
              nlohmann::json::parse(geo)["traverse"]["checksum"]["value"]);
        for (const char* f : {"Sol_12_test_drive.txt", "Sol_12_test_drive.kml"}) {
            const auto [body, sum] = splitTrailingChecksum(readText(out / f));
            INFO(f);
            CHECK(sha256Hex(body) == sum);
        }
        // Move a waypoint in the file by a metre: the file no longer matches its checksum.
        auto changed = sj;
        for (auto& step : changed["steps"])
            if (step["stem"] == "MOB_GOTO") {
                step["args"][0]["value"] = step["args"][0]["value"].get<double>() + 1.0;
                break;
            }
        writeText(site.dir / "changed.seq.json", changed.dump(2));
        CHECK_THROWS_WITH(readSeqJson(site.dir / "changed.seq.json"),
                          Catch::Contains("does not match its checksum") && Catch::Contains("changed.seq.json"));
        const Shell s = checkSeqJson(site.dir / "changed.seq.json");
        CHECK(s.status == 1);
        CHECK(s.output.find("checksum") != std::string::npos);
    }

    SECTION("GDAL (and so QGIS) opens the GeoJSON in the DTM's map CRS") {
        OgrDataset geo(out / "Sol_12_test_drive.geojson");
        REQUIRE(geo.ds);
        REQUIRE(GDALDatasetGetLayerCount(geo.ds) == 1);
        OGRLayerH layer = GDALDatasetGetLayer(geo.ds, 0);
        OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
        REQUIRE(srs);
        OGRSpatialReferenceH dtmSrs = OSRNewSpatialReference(terrain::Raster::open(site.dtm).info().crsWkt.c_str());
        CHECK(OSRIsSame(srs, dtmSrs));
        OSRDestroySpatialReference(dtmSrs);
        std::map<std::string, int> kinds;
        OGR_L_ResetReading(layer);
        while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
            const std::string kind = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "kind"));
            ++kinds[kind];
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            if (kind == "route") {
                const auto pts = plan.route.points();
                REQUIRE(OGR_G_GetPointCount(g) == int(pts.size()));
                for (int i = 0; i < int(pts.size()); ++i) {
                    CHECK(OGR_G_GetX(g, i) == pts[std::size_t(i)].e);
                    CHECK(OGR_G_GetY(g, i) == pts[std::size_t(i)].n);
                }
            }
            if (kind == "waypoint" && OGR_F_GetFieldAsInteger(f, OGR_F_GetFieldIndex(f, "index")) == 2) {
                CHECK(std::string(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "source"))) == "builtin");
                CHECK(OGR_F_GetFieldAsInteger(f, OGR_F_GetFieldIndex(f, "attempt")) == 2);
            }
            if (kind == "keep-out") {
                CHECK(wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPolygon);
                CHECK(std::string(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "name"))) == "sand trap");
            }
            OGR_F_Destroy(f);
        }
        CHECK(kinds["route"] == 1);
        CHECK(kinds["waypoint"] == 4);
        CHECK(kinds["start"] == 1);
        CHECK(kinds["goal"] == 1);
        CHECK(kinds["keep-out"] == 1);
        CHECK(kinds["predicted-track"] == 1);
    }

    SECTION("the KML holds longitude and latitude on Mars: known answers for the equirectangular frame") {
        OgrDataset kml(out / "Sol_12_test_drive.kml");
        REQUIRE(kml.ds);
        OGRLayerH route = GDALDatasetGetLayerByName(kml.ds, "Route");
        REQUIRE(route);
        // Equirectangular on the 3396190 m sphere: lat = N / R, lon = lon0 + E / (R cos(lat_ts)).
        constexpr double kR = 3396190.0, kDeg = M_PI / 180.0;
        const auto lon = [&](double e) { return 77.4 + e / (kR * std::cos(18.4 * kDeg)) / kDeg; };
        const auto lat = [&](double n) { return n / kR / kDeg; };
        bool sawStart = false, sawLine = false;
        OGR_L_ResetReading(route);
        while (OGRFeatureH f = OGR_L_GetNextFeature(route)) {
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            const std::string name = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "Name"));
            if (name == "start") {
                sawStart = true;
                CHECK(OGR_G_GetX(g, 0) == Approx(lon(1040.0)).margin(1e-8));
                CHECK(OGR_G_GetY(g, 0) == Approx(lat(4925.0)).margin(1e-8));
            }
            if (wkbFlatten(OGR_G_GetGeometryType(g)) == wkbLineString) {
                sawLine = true;
                REQUIRE(OGR_G_GetPointCount(g) == 5);
                CHECK(OGR_G_GetX(g, 4) == Approx(lon(1078.0)).margin(1e-8));
                CHECK(OGR_G_GetY(g, 2) == Approx(lat(4928.0)).margin(1e-8));
            }
            OGR_F_Destroy(f);
        }
        CHECK(sawStart);
        CHECK(sawLine);
        CHECK(GDALDatasetGetLayerByName(kml.ds, "Waypoints"));
        CHECK(GDALDatasetGetLayerByName(kml.ds, "Zones"));
        const std::string text = readText(out / "Sol_12_test_drive.kml");
        CHECK(text.find("planetocentric") != std::string::npos);
        CHECK(text.find("Mars") != std::string::npos);
    }

    SECTION("the listing has one line per command with its end state, and the validation summary") {
        const std::string txt = readText(out / "Sol_12_test_drive.txt");
        CHECK(txt.find("TRAVERSE DRIVE SEQUENCE Sol_12_test_drive") != std::string::npos);
        CHECK(txt.find(outcome.summary) != std::string::npos);
        CHECK(txt.find(plan.validation->hashes.planSha256) != std::string::npos);
        std::size_t commandLines = 0;
        std::istringstream in(txt);
        for (std::string line; std::getline(in, line);)
            if (line.find("MOB_") != std::string::npos) ++commandLines;
        CHECK(commandLines == outcome.sequence.commands.size());
    }

    SECTION("exporting again replaces the files in place") {
        const ExportResult again = exportPlan(plan, {outcome, "", ""}, out);
        CHECK(sortedFiles(out) == kExported);
        CHECK(shell("cd " + quoted(out.string()) + " && sha256sum -c --quiet checksums.sha256").status == 0);
    }
}

TEST_CASE("KML latitudes are planetocentric on an ellipsoidal Mars datum") {
    // Equirectangular on the IAU 2015 Mars ellipsoid (a = 3396190 m, b = 3376200 m), true scale at the
    // equator: the projection gives geodetic latitude N / a; KML gets atan((b/a)^2 tan(geodetic)).
    Site site(wktOf("+proj=eqc +lat_ts=0 +lat_0=0 +lon_0=0 +a=3396190 +b=3376200 +units=m +no_defs"));
    auto [plan, outcome] = validated(site.dtm);
    const fs::path out = site.dir / "export";
    exportPlan(plan, {outcome, "drive", ""}, out);
    OgrDataset kml(out / "drive.kml");
    REQUIRE(kml.ds);
    OGRLayerH route = GDALDatasetGetLayerByName(kml.ds, "Route");
    REQUIRE(route);
    constexpr double kA = 3396190.0, kB = 3376200.0, kDeg = M_PI / 180.0;
    const double geodetic = 4925.0 / kA;
    const double planetocentric = std::atan((kB * kB) / (kA * kA) * std::tan(geodetic)) / kDeg;
    bool sawStart = false;
    OGR_L_ResetReading(route);
    while (OGRFeatureH f = OGR_L_GetNextFeature(route)) {
        if (std::string(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "Name"))) == "start") {
            sawStart = true;
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            CHECK(OGR_G_GetX(g, 0) == Approx(1040.0 / kA / kDeg).margin(1e-9));
            CHECK(OGR_G_GetY(g, 0) == Approx(planetocentric).margin(1e-9));
            CHECK(std::abs(OGR_G_GetY(g, 0) - geodetic / kDeg) > 1e-6);  // the conversion did happen
        }
        OGR_F_Destroy(f);
    }
    CHECK(sawStart);
}

TEST_CASE("a DTM CRS with an authority code is named by its URN in the GeoJSON") {
    Site site(wktOf("EPSG:32633"));  // an Earth CRS, but the only authority GeoTIFF keeps
    auto [plan, outcome] = validated(site.dtm);
    const fs::path out = site.dir / "export";
    exportPlan(plan, {outcome, "drive", ""}, out);
    const auto j = nlohmann::json::parse(readText(out / "drive.geojson"));
    CHECK(j["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::32633");
    OgrDataset geo(out / "drive.geojson");
    REQUIRE(geo.ds);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(GDALDatasetGetLayer(geo.ds, 0));
    REQUIRE(srs);
    CHECK(std::string(OSRGetAuthorityCode(srs, nullptr)) == "32633");
    CHECK(readText(out / "drive.kml").find("Mars") == std::string::npos);  // it is not Mars
}

TEST_CASE("export is refused, with the reason, and writes nothing") {
    Site site;
    auto [plan, outcome] = validated(site.dtm);
    const fs::path out = site.dir / "export";

    const auto refused = [&](const Plan& p, const ValidationOutcome& o, const std::string& reason) {
        CHECK_THROWS_WITH(exportPlan(p, {o, "", ""}, out),
                          Catch::Contains("export refused") && Catch::Contains(reason));
        CHECK_FALSE(fs::exists(out));
        if (p.validation) CHECK(exportRefusal(p).has_value() == (reason.find("recomputed") == std::string::npos));
    };

    SECTION("no validation report") {
        plan.validation.reset();
        refused(plan, outcome, "no validation report");
    }
    SECTION("a validation report that does not pass") {
        Plan shortOfGoal = makePlan(site.dtm);
        shortOfGoal.goal = {1092.0, 4925.0};  // the route ends 14 m before it
        const ValidationOutcome failed = validate(shortOfGoal);
        REQUIRE_FALSE(failed.pass);
        shortOfGoal.validation = failed.record;
        refused(shortOfGoal, failed, "does not pass");
        refused(shortOfGoal, failed, "from the goal");
    }
    SECTION("the DTM file changed after validation") {
        {
            std::fstream f(site.dtm, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(-16, std::ios::end);
            f.write("changed terrain!", 16);
        }
        refused(plan, outcome, "dtm.tif changed");
    }
    SECTION("a waypoint moved after validation") {
        plan.route.segments[1].to.e += 0.5;
        refused(plan, outcome, "the plan changed");
    }
    SECTION("the rover configuration changed after validation") {
        plan.rover.bellyClearanceM += 0.1;
        refused(plan, outcome, "rover configuration changed");
    }
    SECTION("a recomputed validation of another route") {
        Plan other = makePlan(site.dtm);
        other.route.segments[1].to.n -= 0.5;
        const ValidationOutcome otherOutcome = validate(other);
        REQUIRE(otherOutcome.pass);
        refused(plan, otherOutcome, "recomputed");
    }
    SECTION("an existing folder keeps what it had") {
        fs::create_directories(out);
        writeText(out / "notes.txt", "keep me\n");
        plan.route.segments[0].to.n += 0.25;
        CHECK_THROWS_WITH(exportPlan(plan, {outcome, "", ""}, out), Catch::Contains("the plan changed"));
        CHECK(test::listFiles(out) == std::vector<std::string>{"notes.txt"});
    }
}

TEST_CASE("export refuses unusable names and output folders, leaving nothing behind") {
    Site site;
    auto [plan, outcome] = validated(site.dtm);
    CHECK_THROWS_WITH(exportPlan(plan, {outcome, "../escape", ""}, site.dir / "a"), Catch::Contains("not usable"));
    CHECK_FALSE(fs::exists(site.dir / "a"));
    writeText(site.dir / "occupied", "a file where the folder should go");
    CHECK_THROWS_WITH(exportPlan(plan, {outcome, "", ""}, site.dir / "occupied"), Catch::Contains("occupied"));
    CHECK(exportName(plan) == "Sol_12_test_drive");
    plan.name = "  ";
    CHECK(exportName(plan) == "route");
}

TEST_CASE("reading SeqJSON names the step that is wrong") {
    Site site;
    auto [plan, outcome] = validated(site.dtm);
    const fs::path out = site.dir / "export";
    exportPlan(plan, {outcome, "drive", ""}, out);
    auto j = nlohmann::json::parse(readText(out / "drive.seq.json"));
    j["metadata"].erase("checksum");  // edits below would trip the checksum first
    std::size_t goTo = 0;
    while (j["steps"][goTo]["stem"] != "MOB_GOTO") ++goTo;
    const std::string at = "steps[" + std::to_string(goTo) + "]";
    const auto readEdited = [&](const nlohmann::json& doc) { return seqJsonToSequence(doc.dump(), "edited.seq.json"); };
    CHECK(readEdited(j).commands.size() == outcome.sequence.commands.size());  // no checksum: still readable

    auto k = j;
    k["steps"][goTo]["stem"] = "MOB_FLY";
    CHECK_THROWS_WITH(readEdited(k), Catch::Contains(at) && Catch::Contains("unknown command stem 'MOB_FLY'"));
    k = j;
    k["steps"][goTo]["args"].erase(2);
    CHECK_THROWS_WITH(readEdited(k), Catch::Contains(at) && Catch::Contains("missing argument 'tolerance_m'"));
    k = j;
    k["steps"][goTo]["args"][2]["value"] = 20.0;
    CHECK_THROWS_WITH(readEdited(k), Catch::Contains(at) && Catch::Contains("tolerance_m"));
    k = j;
    k["steps"][goTo]["args"][4]["value"] = "WARP";
    CHECK_THROWS_WITH(readEdited(k), Catch::Contains(at) && Catch::Contains("WARP"));
    k = j;
    k["steps"][goTo]["type"] = "note";
    CHECK_THROWS_WITH(readEdited(k), Catch::Contains(at) && Catch::Contains("not a drive command"));
    CHECK_THROWS_WITH(seqJsonToSequence("{\"id\": ", "cut.seq.json"), Catch::Contains("cut.seq.json: malformed JSON"));
    CHECK_THROWS_AS(readSeqJson(site.dir / "missing.seq.json"), Error);
}
