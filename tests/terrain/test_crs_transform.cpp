// Longitude/latitude to and from the sample site's Mars equirectangular frame, against PROJ's eqc
// formulas: x = R (lon - lon_0) cos(lat_ts), y = R (lat - lat_0), angles in radians.
#include "support/test_support.hpp"
#include "terrain/crs_transform.hpp"
#include "terrain/error.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace traverse;
using namespace traverse::terrain;
using Catch::Detail::Approx;

namespace {

constexpr double kR = 3396190.0;
constexpr double kDeg = M_PI / 180.0;

MapPoint eqc(double lonDeg, double latDeg, double lon0 = 77.4, double latTs = 18.4) {
    return {kR * (lonDeg - lon0) * kDeg * std::cos(latTs * kDeg), kR * latDeg * kDeg};
}

}  // namespace

TEST_CASE("longitude/latitude on Mars land where the equirectangular formulas put them") {
    const MapProjection p = MapProjection::forCrs(test::marsEqcWkt(), "sample_dtm.tif");
    CHECK(p.crs().projected);
    CHECK(p.crs().semiMajorM == kR);
    const std::vector<LonLat> ll = {{77.45, 18.45}, {77.4, 0.0}, {-282.55, 18.45}, {77.46, 18.44}};
    const auto m = p.toMap(ll);
    REQUIRE(m.size() == 4);
    for (std::size_t i = 0; i < ll.size(); ++i) {
        REQUIRE(m[i]);
        const MapPoint want = eqc(std::remainder(ll[i].lonDeg, 360.0), ll[i].latDeg);
        CHECK(m[i]->e == Approx(want.e).margin(1e-6));
        CHECK(m[i]->n == Approx(want.n).margin(1e-6));
    }
    CHECK((m[0]->e > 2300.0 && m[0]->e < 3324.0 && m[0]->n > 1093106.0 && m[0]->n < 1094130.0));  // in the sample site
    CHECK(m[2]->e == Approx(m[0]->e).margin(1e-6));  // -282.55° east is 77.45° east
    // And back.
    const auto back = p.toLonLat({*m[0], *m[3]});
    REQUIRE(back[0]);
    CHECK(back[0]->lonDeg == Approx(77.45).margin(1e-10));
    CHECK(back[0]->latDeg == Approx(18.45).margin(1e-10));
    CHECK(back[1]->lonDeg == Approx(77.46).margin(1e-10));
    // Nothing for what is not a position.
    const auto bad = p.toMap({{77.4, 91.0}, {std::nan(""), 0.0}});
    CHECK_FALSE(bad[0]);
    CHECK_FALSE(bad[1]);
}

TEST_CASE("points of another projected Mars CRS are transformed into the map frame") {
    const std::string other = "+proj=eqc +lat_ts=0 +lat_0=0 +lon_0=77 +x_0=0 +y_0=0 +R=3396190 +units=m +no_defs";
    const CrsToMap ct = CrsToMap::create(other, test::marsEqcWkt(), "traverse.geojson");
    const MapPoint src = eqc(77.45, 18.45, 77.0, 0.0);
    const auto m = ct.toMap({{src.e, src.n}});
    REQUIRE(m[0]);
    const MapPoint want = eqc(77.45, 18.45);
    CHECK(m[0]->e == Approx(want.e).margin(1e-6));
    CHECK(m[0]->n == Approx(want.n).margin(1e-6));
    CHECK(describeCrs(other, "x").projected);
    CHECK(describeCrs("OGC:CRS84", "x").geographic);
}

TEST_CASE("an unusable CRS is an error naming where it came from") {
    CHECK_THROWS_WITH(MapProjection::forCrs("", "dtm.tif"), Catch::StartsWith("dtm.tif: no CRS"));
    CHECK_THROWS_WITH(MapProjection::forCrs("not a crs", "dtm.tif"), Catch::StartsWith("dtm.tif: the CRS cannot be read"));
    CHECK_THROWS_WITH(MapProjection::forCrs("OGC:CRS84", "dtm.tif"), Catch::Contains("not a projected CRS"));
    try {
        MapProjection::forCrs("", "dtm.tif");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::Georeference);
    }
}
