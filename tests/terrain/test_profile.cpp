#include "terrain/error.hpp"
#include "terrain/profile.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace traverse::terrain;

namespace {

// A plane rising 0.2 m per metre towards the east (about 11.31 degrees), 1 m cells.
ElevationModel inclinedPlane() {
    Grid<float> z(100, 100);
    for (int r = 0; r < z.rows; ++r)
        for (int c = 0; c < z.cols; ++c) z.at(c, r) = float(0.2 * (c + 0.5));
    return ElevationModel(std::move(z), GeoTransform::northUp({0.0, 100.0}, 1.0, 1.0), -9999.0);
}

}  // namespace

TEST_CASE("a profile across an inclined plane has its known grade and slope") {
    const ElevationModel plane = inclinedPlane();
    const double slope = std::atan(0.2) * 180.0 / 3.14159265358979323846;
    // East (uphill), then north (across the slope): 30 m + 20 m, sampled every 1 m.
    const auto s = sampleProfile(plane, {{10.0, 50.0}, {40.0, 50.0}, {40.0, 70.0}}, 1.0);
    REQUIRE(s.size() == 51);
    CHECK(s.front().distanceM == 0.0);
    CHECK(s.back().distanceM == Approx(50.0));
    CHECK(*s.front().elevationM == Approx(2.0));
    CHECK(*s[30].elevationM == Approx(8.0));  // the corner is a sample
    CHECK(s[30].distanceM == Approx(30.0));
    CHECK(*s[10].gradeDeg == Approx(slope));
    CHECK(*s[40].gradeDeg == Approx(0.0).margin(1e-9));
    CHECK(*s[40].slopeDeg == Approx(slope));
    CHECK(*s[5].slopeDeg == Approx(slope));
}

TEST_CASE("a profile off the DTM has no elevation there, and a bad step is refused") {
    const ElevationModel plane = inclinedPlane();
    const auto s = sampleProfile(plane, {{50.0, 50.0}, {150.0, 50.0}}, 10.0);
    REQUIRE(s.size() == 11);
    CHECK(s[0].elevationM);
    CHECK(!s[10].elevationM);
    CHECK(!s[10].gradeDeg);
    CHECK(sampleProfile(plane, {}, 1.0).empty());
    CHECK(sampleProfile(plane, {{5.0, 5.0}}, 1.0).size() == 1);
    CHECK_THROWS_AS(sampleProfile(plane, {{0, 0}, {1, 1}}, 0.0), traverse::Error);
}
