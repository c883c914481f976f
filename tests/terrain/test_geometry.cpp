#include "terrain/error.hpp"
#include "terrain/geometry.hpp"

#include <catch2/catch.hpp>

using namespace traverse::terrain;

TEST_CASE("geotransform converts pixel and map coordinates both ways") {
    const GeoTransform gt = GeoTransform::northUp({1000.0, 5000.0}, 0.5, 0.25);
    const MapPoint m = gt.toMap({10.0, 20.0});
    CHECK(m.e == Approx(1005.0));
    CHECK(m.n == Approx(4995.0));
    const PixelPoint p = gt.toPixel({1005.0, 4995.0});
    CHECK(p.col == Approx(10.0));
    CHECK(p.row == Approx(20.0));
    CHECK(gt.pixelWidth() == 0.5);
    CHECK(gt.pixelHeight() == 0.25);
    CHECK(gt.isNorthUp());
}

TEST_CASE("geotransform extent and overview scaling") {
    const GeoTransform gt = GeoTransform::northUp({0.0, 100.0}, 1.0, 1.0);
    const MapExtent e = gt.extent(40, 30);
    CHECK(e.minE == 0.0);
    CHECK(e.maxE == 40.0);
    CHECK(e.minN == 70.0);
    CHECK(e.maxN == 100.0);
    const GeoTransform half = gt.scaled(2.0, 2.0);
    CHECK(half.extent(20, 15).maxE == 40.0);
    CHECK(half.pixelWidth() == 2.0);
}

TEST_CASE("a singular geotransform cannot be inverted") {
    const GeoTransform gt({0, 0, 0, 0, 0, 0});
    CHECK_THROWS_AS(gt.toPixel({1, 1}), traverse::Error);
}

TEST_CASE("extents intersect only with positive area") {
    const MapExtent a{0, 0, 10, 10}, b{5, 5, 20, 20}, c{10, 0, 20, 10};
    REQUIRE(a.intersect(b));
    CHECK(a.intersect(b)->width() == 5.0);
    CHECK_FALSE(a.intersect(c));
}
