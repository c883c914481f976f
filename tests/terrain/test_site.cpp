#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "terrain/site.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace traverse;
using namespace traverse::terrain;

namespace {

struct Pair {
    test::TempDir dir;
    std::filesystem::path dtm;
    Pair() {
        test::WriteOptions o;
        o.noData = -9999.0;
        dtm = test::writeRaster(dir / "dtm.tif", test::syntheticDtm(64, 64, 1, -9999.f),
                                GeoTransform::northUp({1000.0, 2000.0}, 1.0, 1.0), o);
    }
};

// An image whose value encodes the map position: 4 * (easting - 1000) + (northing - 1936), so that
// a pixel read anywhere says where it came from (for 0.25 m pixels, within a few units).
Grid<std::uint8_t> positionImage(int cols, int rows) {
    Grid<std::uint8_t> g(cols, rows);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) g.at(c, r) = std::uint8_t(c);
    return g;
}

}  // namespace

TEST_CASE("an orthoimage on the DTM's grid is used as is") {
    Pair p;
    const auto ortho = test::writeRaster(p.dir / "ortho.tif", positionImage(256, 256),
                                         GeoTransform::northUp({1000.0, 2000.0}, 0.25, 0.25));
    const Site s = Site::open(p.dtm, ortho);
    CHECK(s.coregistration().method == Coregistration::Method::SameGrid);
    CHECK(s.coregistration().overlapShare == Approx(1.0));
    REQUIRE(s.ortho());
    CHECK(s.ortho() == s.orthoSource());
}

TEST_CASE("an orthoimage off the DTM's pixel grid is resampled onto it") {
    Pair p;
    // Shifted by 0.1 m east: same CRS, misaligned pixels.
    const auto ortho = test::writeRaster(p.dir / "ortho.tif", positionImage(200, 256),
                                         GeoTransform::northUp({1000.1, 2000.0}, 0.25, 0.25));
    const Site s = Site::open(p.dtm, ortho);
    CHECK(s.coregistration().method == Coregistration::Method::Resampled);
    REQUIRE(s.ortho());
    const auto& gt = s.ortho()->info().geoTransform;
    CHECK(gt.coefficients()[0] == Approx(1000.0));
    CHECK(gt.coefficients()[3] == Approx(2000.0));
    CHECK(gt.pixelWidth() == Approx(0.25));
    // Column value c of the source lies at e = 1000.1 + 0.25 (c + 0.5); target pixel 100's centre is
    // at e = 1025.125, i.e. source column 99.6.
    const auto px = s.ortho()->readWindowBytes({100, 10, 1, 1});
    CHECK(std::abs(int(px.at(0, 0)) - 100) <= 1);
}

TEST_CASE("an orthoimage in another CRS is reprojected into the DTM's frame") {
    Pair p;
    test::WriteOptions o;
    // Same sphere, another central meridian: the same ground has other eastings.
    o.crsWkt = test::marsEqcWkt(77.3, 18.4);
    const double shift = 3396190.0 * std::cos(18.4 * M_PI / 180.0) * (0.1 * M_PI / 180.0);
    const auto ortho = test::writeRaster(p.dir / "ortho.tif", positionImage(256, 256),
                                         GeoTransform::northUp({1000.0 + shift, 2000.0}, 0.25, 0.25), o);
    const Site s = Site::open(p.dtm, ortho);
    CHECK(s.coregistration().method == Coregistration::Method::Reprojected);
    CHECK(s.coregistration().overlapShare == Approx(1.0).margin(0.01));
    const auto px = s.ortho()->readWindowBytes({37, 20, 1, 1});
    CHECK(std::abs(int(px.at(0, 0)) - 37) <= 1);
}

TEST_CASE("an orthoimage that does not overlap the DTM is an error naming both files") {
    Pair p;
    const auto ortho = test::writeRaster(p.dir / "far.tif", positionImage(64, 64),
                                         GeoTransform::northUp({50000.0, 2000.0}, 0.25, 0.25));
    try {
        Site::open(p.dtm, ortho);
        FAIL("no error");
    } catch (const Error& e) {
        const std::string m = e.what();
        CHECK(e.kind() == Error::Kind::Georeference);
        CHECK(m.find(p.dtm.string()) != std::string::npos);
        CHECK(m.find(ortho.string()) != std::string::npos);
        CHECK(m.find("do not overlap") != std::string::npos);
    }
}

TEST_CASE("rasters without georeferencing are refused") {
    Pair p;
    test::WriteOptions none;
    none.crsWkt.clear();
    none.geoTransform = false;
    const auto bare = test::writeRaster(p.dir / "bare.tif", test::syntheticDtm(16, 16, 2, -9999.f),
                                        GeoTransform::northUp({0, 0}, 1, 1), none);
    try {
        Site::open(bare);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::Georeference);
        CHECK(std::string(e.what()).find(bare.string()) != std::string::npos);
    }
    try {
        Site::open(p.dtm, bare);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::Georeference);
        CHECK(std::string(e.what()).find("bare.tif has no georeferencing") != std::string::npos);
    }
}

TEST_CASE("the sample site's orthoimage is co-registered with its DTM") {
    const Site s = Site::open(test::sampleDir() / "sample_dtm.tif", test::sampleDir() / "sample_ortho.tif");
    CHECK(s.coregistration().method == Coregistration::Method::SameGrid);
    CHECK(s.coregistration().overlapShare == Approx(1.0));
    // The PDS3 DTM and the GeoTIFF orthoimage have differently named but equal CRSs.
    const Site s2 = Site::open(test::sampleDir() / "sample_dtm.IMG", test::sampleDir() / "sample_ortho.tif");
    CHECK(s2.coregistration().method == Coregistration::Method::SameGrid);
}
