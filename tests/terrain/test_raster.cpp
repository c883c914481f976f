#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "terrain/raster.hpp"

#include <gdal.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace traverse;
using namespace traverse::terrain;
namespace fs = std::filesystem;

namespace {
Grid<float> ramp(int cols, int rows) {
    Grid<float> g(cols, rows);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) g.at(c, r) = float(c + 1000 * r);
    return g;
}
}  // namespace

TEST_CASE("a GeoTIFF DTM opens with its georeferencing, nodata and overviews") {
    test::TempDir dir;
    test::WriteOptions o;
    o.noData = -9999.0;
    o.overviews = {2, 4};
    const auto p = test::writeRaster(dir / "dtm.tif", ramp(64, 48), GeoTransform::northUp({100.0, 900.0}, 1.0, 1.0), o);
    const Raster r = Raster::open(p);
    const auto& i = r.info();
    CHECK(i.driver == "GTiff");
    CHECK(i.cols == 64);
    CHECK(i.rows == 48);
    CHECK(i.hasGeoreference);
    CHECK(i.dataType == "Float32");
    REQUIRE(i.noData);
    CHECK(*i.noData == -9999.0);
    CHECK(i.crsProj.find("+proj=eqc") != std::string::npos);
    CHECK(i.crsProj.find("+R=3396190") != std::string::npos);
    REQUIRE(r.levelCount() == 3);
    CHECK(r.levelSize(1).cols == 32);
    CHECK(r.levelSize(2).rows == 12);
    CHECK(r.levelGeoTransform(1).pixelWidth() == 2.0);
    CHECK(i.extent().maxE == 164.0);
}

TEST_CASE("windowed reads return the right cells at full resolution and overview levels") {
    test::TempDir dir;
    test::WriteOptions o;
    o.overviews = {2};
    const auto p = test::writeRaster(dir / "dtm.tif", ramp(64, 48), GeoTransform::northUp({0, 0}, 1, 1), o);
    const Raster r = Raster::open(p);
    const Grid<float> w = r.readWindow({10, 5, 4, 3});
    CHECK(w.cols == 4);
    CHECK(w.at(0, 0) == 10.0f + 5000.0f);
    CHECK(w.at(3, 2) == 13.0f + 7000.0f);
    // Overview level 1 averages 2x2 blocks: cells (2c..2c+1, 2r..2r+1).
    const Grid<float> ov = r.readWindow({3, 2, 2, 2}, 1);
    CHECK(ov.at(0, 0) == Approx((6 + 7 + 6 + 7) / 4.0 + 1000.0 * (4 + 4 + 5 + 5) / 4.0));
    CHECK_THROWS_AS(r.readWindow({60, 0, 10, 1}), Error);
}

TEST_CASE("a missing file is an error that names it") {
    try {
        Raster::open("/nonexistent/dtm.tif");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::NotFound);
        CHECK(std::string(e.what()).find("/nonexistent/dtm.tif") != std::string::npos);
    }
}

TEST_CASE("a file that is not a raster is an error that names it") {
    test::TempDir dir;
    const auto p = dir / "notes.tif";
    std::ofstream(p) << "these are not the pixels you are looking for\n";
    try {
        Raster::open(p);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::Format);
        CHECK(std::string(e.what()).find(p.string()) != std::string::npos);
    }
}

TEST_CASE("a truncated GeoTIFF fails on open or read with the file named") {
    test::TempDir dir;
    test::WriteOptions o;
    o.creationOptions = {"COMPRESS=DEFLATE"};
    const auto p = test::writeRaster(dir / "dtm.tif", test::syntheticDtm(512, 512, 3, -9999.f),
                                     GeoTransform::northUp({0, 0}, 1, 1), o);
    fs::resize_file(p, fs::file_size(p) / 2);
    try {
        const Raster r = Raster::open(p);
        std::vector<float> buf(std::size_t(512) * 512);
        r.readRows(0, 512, buf.data());
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find(p.string()) != std::string::npos);
    }
}

TEST_CASE("elevation statistics skip nodata") {
    test::TempDir dir;
    Grid<float> g(4, 4, 10.0f);
    g.at(0, 0) = -9999.f;
    g.at(1, 1) = 30.0f;
    test::WriteOptions o;
    o.noData = -9999.0;
    const Raster r = Raster::open(test::writeRaster(dir / "d.tif", g, GeoTransform::northUp({0, 0}, 1, 1), o));
    const auto s = computeElevationStats(r);
    CHECK(s.validCells == 15);
    CHECK(s.noDataCells == 1);
    CHECK(s.minZ == 10.0);
    CHECK(s.maxZ == 30.0);
    CHECK(s.noDataShare() == Approx(1.0 / 16));
}

TEST_CASE("the sample DTM opens the same as a GeoTIFF and as a PDS3 .IMG with a HiRISE label") {
    const Raster tif = Raster::open(test::sampleDir() / "sample_dtm.tif");
    const Raster img = Raster::open(test::sampleDir() / "sample_dtm.IMG");
    CHECK(img.info().driver == "PDS");
    CHECK(img.info().cols == tif.info().cols);
    CHECK(img.info().rows == tif.info().rows);
    for (int k = 0; k < 6; ++k)
        CHECK(img.info().geoTransform.coefficients()[k] ==
              Approx(tif.info().geoTransform.coefficients()[k]).margin(1e-6));
    REQUIRE(img.info().noData);
    CHECK(float(*img.info().noData) == float(-3.4028226550889045e+38));
    CHECK(tif.info().geoTransform.pixelWidth() == Approx(1.0));
    CHECK(tif.info().cols >= 1024);
    CHECK(tif.info().overviews.size() >= 2);
    const Grid<float> a = tif.readWindow({100, 200, 300, 50});
    const Grid<float> b = img.readWindow({100, 200, 300, 50});
    CHECK(a.values == b.values);
    const auto s = computeElevationStats(tif);
    CHECK(s.noDataCells > 0);
    CHECK(s.noDataShare() < 0.05);

    const Raster ortho = Raster::open(test::sampleDir() / "sample_ortho.tif");
    CHECK(ortho.info().geoTransform.pixelWidth() == Approx(0.25));
    CHECK(ortho.info().extent().minE == Approx(tif.info().extent().minE));
    CHECK(ortho.info().extent().maxN == Approx(tif.info().extent().maxN));
}

TEST_CASE("ISIS3 cubes and JPEG2000 files open through the same path") {
    test::TempDir dir;
    const Grid<float> g = test::syntheticDtm(40, 30, 5, -9999.f);
    test::WriteOptions o;
    o.driver = "ISIS3";
    o.tiled = false;
    const Raster cube = Raster::open(test::writeRaster(dir / "dtm.cub", g, GeoTransform::northUp({0, 300}, 2, 2), o));
    CHECK(cube.info().driver == "ISIS3");
    CHECK(cube.info().geoTransform.pixelWidth() == Approx(2.0));
    CHECK(cube.readWindow({0, 0, 40, 30}).values == g.values);

    GDALAllRegister();
    if (!GDALGetDriverByName("JP2OpenJPEG")) {
        WARN("JPEG2000 driver not present; skipped");
        return;
    }
    Grid<std::uint8_t> img(64, 64);
    for (int r = 0; r < 64; ++r)
        for (int c = 0; c < 64; ++c) img.at(c, r) = std::uint8_t((c * 3 + r * 5) & 255);
    test::WriteOptions j;
    j.driver = "JP2OpenJPEG";
    j.tiled = false;
    j.creationOptions = {"REVERSIBLE=YES", "QUALITY=100"};
    const Raster jp2 = Raster::open(test::writeRaster(dir / "ortho.jp2", img, GeoTransform::northUp({0, 300}, 0.5, 0.5), j));
    CHECK(jp2.info().driver == "JP2OpenJPEG");
    CHECK(jp2.info().hasGeoreference);
    CHECK(jp2.readWindowBytes({0, 0, 64, 64}).values == img.values);
}
