// A traverse published as GeoJSON (sol, site, drive; lon/lat on Mars) lands at the right map
// coordinates of the sample site's frame, and the points outside the site are listed.
#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "twin/drive_replay.hpp"
#include "twin/published_traverse.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>

using namespace traverse;
using namespace traverse::twin;
using traverse::terrain::MapExtent;
using traverse::terrain::MapPoint;
using Catch::Detail::Approx;

namespace {

constexpr double kR = 3396190.0;
constexpr double kDeg = M_PI / 180.0;
const MapExtent kSite{2300.0, 1093106.0, 3324.0, 1094130.0};  // the sample site

// PROJ's eqc: x = R (lon - lon_0) cos(lat_ts), y = R lat (radians); the sample site's lon_0 77.4, lat_ts 18.4.
MapPoint eqc(double lonDeg, double latDeg) {
    return {kR * (lonDeg - 77.4) * kDeg * std::cos(18.4 * kDeg), kR * latDeg * kDeg};
}
// The inverse, to write test points at chosen map coordinates.
std::pair<double, double> lonLat(MapPoint p) {
    return {77.4 + p.e / (kR * std::cos(18.4 * kDeg)) / kDeg, p.n / kR / kDeg};
}

std::string pos(double x, double y) {
    char b[96];
    std::snprintf(b, sizeof b, "[%.12f, %.12f]", x, y);
    return b;
}

std::string published(const std::string& crs = "") {
    const auto a = lonLat({2500.0, 1093500.0});
    const auto b = lonLat({2510.0, 1093505.0});
    const auto c = lonLat({2520.0, 1093512.0});
    const auto far = lonLat({5000.0, 1093500.0});  // 1.7 km east of the site's edge
    return "{\"type\": \"FeatureCollection\"," + crs +
           " \"features\": ["
           "{\"type\": \"Feature\", \"properties\": {\"sol\": 12, \"site\": 3, \"drive\": 100, \"RMC\": \"3_100\"},"
           " \"geometry\": {\"type\": \"Point\", \"coordinates\": " + pos(a.first, a.second) + "}},"
           "{\"type\": \"Feature\", \"properties\": {\"Sol\": \"0012\", \"Site\": 3.0, \"Drive\": 250},"
           " \"geometry\": {\"type\": \"LineString\", \"coordinates\": [" + pos(b.first, b.second) + ", " +
           pos(c.first, c.second) + "]}},"
           "{\"type\": \"Feature\", \"properties\": {\"sol\": 13, \"site\": 4, \"drive\": 0, \"note\": \"elsewhere\"},"
           " \"geometry\": {\"type\": \"Point\", \"coordinates\": " + pos(far.first, far.second) + "}}]}";
}

}  // namespace

TEST_CASE("a published lon/lat traverse lands at the equirectangular map coordinates") {
    const auto t = parseTraverseGeoJson(published(), "m20.geojson", test::marsEqcWkt(), kSite);
    REQUIRE(t.points.size() == 3);
    const MapPoint want[] = {{2500.0, 1093500.0}, {2510.0, 1093505.0}, {2520.0, 1093512.0}};
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(t.points[i].at.e == Approx(want[i].e).margin(1e-4));
        CHECK(t.points[i].at.n == Approx(want[i].n).margin(1e-4));
    }
    // Directly from the formula, for a point chosen in degrees.
    const auto direct = parseTraverseGeoJson("{\"type\": \"Point\", \"coordinates\": [77.45, 18.45]}", "p.json",
                                             test::marsEqcWkt(), kSite);
    REQUIRE(direct.points.size() == 1);
    CHECK(direct.points[0].at.e == Approx(eqc(77.45, 18.45).e).margin(1e-6));
    CHECK(direct.points[0].at.n == Approx(eqc(77.45, 18.45).n).margin(1e-6));

    CHECK(t.points[0].sol == 12);
    CHECK(t.points[0].site == 3);
    CHECK(t.points[0].drive == 100);
    CHECK(t.points[1].sol == 12);  // "0012", in any letter case
    CHECK(t.points[1].site == 3);
    CHECK(t.points[2].drive == 250);
    CHECK(t.points[2].feature == 1);
    CHECK(t.points[2].vertex == 1);
    CHECK(t.crsNote.find("longitude/latitude") != std::string::npos);
    // The point outside the site is reported with its numbers and coordinates, not dropped.
    REQUIRE(t.outside.size() == 1);
    CHECK(t.outside[0].sol == 13);
    CHECK(t.outside[0].drive == 0);
    CHECK(t.outside[0].feature == 2);
    CHECK(t.outside[0].at.e == Approx(5000.0).margin(1e-4));
    CHECK(t.outside[0].x == Approx(lonLat({5000.0, 1093500.0}).first).margin(1e-9));
    CHECK(t.path().size() == 3);
}

TEST_CASE("the GeoJSON crs member is honoured; Earth's CRS84 is read as Mars lon/lat") {
    const auto crs84 = parseTraverseGeoJson(
        published("\"crs\": {\"type\": \"name\", \"properties\": {\"name\": \"urn:ogc:def:crs:OGC:1.3:CRS84\"}},"),
        "m20.geojson", test::marsEqcWkt(), kSite);
    REQUIRE(crs84.points.size() == 3);
    CHECK(crs84.points[0].at.e == Approx(2500.0).margin(1e-4));
    CHECK(crs84.crsNote.find("another body") != std::string::npos);

    // Coordinates in another Mars projection (eqc centred on 77° E, true scale at the equator).
    const double e = kR * (77.45 - 77.0) * kDeg, n = kR * 18.45 * kDeg;
    const std::string projected =
        "{\"type\": \"Feature\", \"crs\": {\"type\": \"name\", \"properties\": {\"name\": \"+proj=eqc +lat_ts=0 "
        "+lat_0=0 +lon_0=77 +x_0=0 +y_0=0 +R=3396190 +units=m +no_defs\"}}, \"properties\": {\"sol\": 5},"
        " \"geometry\": {\"type\": \"MultiPoint\", \"coordinates\": [" + pos(e, n) + "]}}";
    const auto p = parseTraverseGeoJson(projected, "proj.geojson", test::marsEqcWkt(), kSite);
    REQUIRE(p.points.size() == 1);
    CHECK(p.points[0].at.e == Approx(eqc(77.45, 18.45).e).margin(1e-6));
    CHECK(p.points[0].at.n == Approx(eqc(77.45, 18.45).n).margin(1e-6));
    CHECK(p.points[0].sol == 5);

    // Coordinates already in the map frame, when said so.
    TraverseImportOptions map;
    map.coordinates = TraverseCoordinates::Map;
    const auto m = parseTraverseGeoJson(
        "{\"type\": \"MultiLineString\", \"coordinates\": [[[2400, 1093600], [2401, 1093601, -2500.2]], [[9, 9]]]}",
        "map.geojson", test::marsEqcWkt(), kSite, map);
    CHECK(m.points.size() == 2);
    CHECK(m.points[1].at.n == 1093601.0);
    CHECK(m.outside.size() == 1);
}

TEST_CASE("a sol range selects part of a published traverse") {
    TraverseImportOptions o;
    o.firstSol = 13;
    const auto t = parseTraverseGeoJson(published(), "m20.geojson", test::marsEqcWkt(), kSite, o);
    CHECK(t.points.empty());
    CHECK(t.outside.size() == 1);
    o.firstSol = 12;
    o.lastSol = 12;
    CHECK(parseTraverseGeoJson(published(), "m20.geojson", test::marsEqcWkt(), kSite, o).points.size() == 3);
}

TEST_CASE("malformed published traverses are errors naming the file and the feature") {
    const std::string wkt = test::marsEqcWkt();
    CHECK_THROWS_WITH(parseTraverseGeoJson("{\"type\": \"Point\", \"coordinates\": [2400, 1093600]}", "t.geojson", wkt, kSite),
                      Catch::StartsWith("t.geojson: feature 0 position 0: latitude 1093600") ||
                          Catch::Contains("map coordinates"));
    CHECK_THROWS_WITH(
        parseTraverseGeoJson("{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", \"properties\": {}, "
                             "\"geometry\": {\"type\": \"Point\", \"coordinates\": [77.4, 18.4]}}, {\"type\": \"Feature\", "
                             "\"properties\": {\"sol\": \"twelve\"}, \"geometry\": {\"type\": \"Point\", \"coordinates\": "
                             "[77.4, 18.4]}}]}",
                             "t.geojson", wkt, kSite),
        Catch::StartsWith("t.geojson: feature 1: property \"sol\" must be a whole number"));
    CHECK_THROWS_WITH(parseTraverseGeoJson("{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,0],[1,1],[0,0]]]}",
                                           "t.geojson", wkt, kSite),
                      Catch::Contains("a Polygon is not a traverse"));
    CHECK_THROWS_WITH(parseTraverseGeoJson("{\"type\": \"Feature\", \"geometry\": null}", "t.geojson", wkt, kSite),
                      Catch::Contains("feature 0: the feature has no geometry"));
    CHECK_THROWS_WITH(parseTraverseGeoJson("{\"type\": \"LineString\", \"coordinates\": [[1], [2, 3]]}", "t.geojson", wkt, kSite),
                      Catch::Contains("position 0: a position must be an array of at least two numbers"));
    CHECK_THROWS_WITH(parseTraverseGeoJson("{\"type\": ", "t.geojson", wkt, kSite), Catch::StartsWith("t.geojson: malformed JSON"));
    CHECK_THROWS_WITH(parseTraverseGeoJson("{\"type\": \"Point\", \"type\": \"Point\"}", "t.geojson", wkt, kSite),
                      Catch::Contains("more than once"));
    test::TempDir dir;
    CHECK_THROWS_WITH(importTraverseGeoJson(dir / "none.geojson", wkt, kSite), Catch::Contains("none.geojson: no such file"));
}

TEST_CASE("a drive log's track published in lon/lat imports back onto the same map coordinates") {
    DriveLogInfo info;
    info.name = "sol 12 drive 3";
    info.sol = 12;
    info.site = 3;
    info.drive = 1204;
    info.mapCrs = test::marsEqcWkt();
    DriveLog log = makeDriveLog(info);
    for (int i = 0; i <= 100; ++i) {  // 10 m to the north-east at 0.1 m
        std::vector<double> row(log.samples.channelCount(), 0.0);
        row[0] = i, row[2] = 2600.0 + 0.1 * i * std::sin(30 * kDeg), row[3] = 1093700.0 + 0.1 * i * std::cos(30 * kDeg);
        row[4] = 30.0;
        log.samples.append(row.data());
    }
    const std::string text = driveLogToGeoJson(log, {}, 1.0);
    const auto j = nlohmann::json::parse(text);
    CHECK(j["type"] == "FeatureCollection");
    CHECK(j["features"][0]["geometry"]["type"] == "LineString");
    CHECK(j["features"][0]["properties"]["sol"] == 12);
    CHECK(j["features"][0]["properties"]["drive"] == 1204);
    CHECK(j["features"][0]["properties"]["length_m"].get<double>() == Approx(10.0));
    CHECK(j["features"][1]["geometry"]["type"] == "Point");
    test::TempDir dir;
    std::ofstream(dir / "track.geojson") << text;
    const auto back = importTraverseGeoJson(dir / "track.geojson", test::marsEqcWkt(), kSite);
    REQUIRE(back.points.size() >= 11);
    CHECK(back.outside.empty());
    CHECK(back.points.front().at.e == Approx(2600.0).margin(1e-3));
    CHECK(back.points.front().sol == 12);
    CHECK(back.points.back().at.e == Approx(log.position(100).e).margin(1e-3));
    CHECK(back.points.back().at.n == Approx(log.position(100).n).margin(1e-3));
    // Every imported point lies on the logged track (to well under a millimetre of rounding).
    for (const auto& p : back.points) CHECK(distanceToPolyline(p.at, log.track()) < 1e-3);

    log.info.mapCrs.clear();
    CHECK_THROWS_WITH(driveLogToGeoJson(log), Catch::Contains("no map CRS"));
}
