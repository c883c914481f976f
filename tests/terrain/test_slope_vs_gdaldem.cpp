// Slope must agree with `gdaldem slope` (Horn, scale 1) within 0.01 degree on every interior cell.
// The reference is GDAL's own DEM processing (the library behind the gdaldem program), run on the
// same file. Extra DTMs can be checked by listing them in TRAVERSE_SLOPE_CHECK_DTMS (colon-separated).
#include "support/test_support.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/raster.hpp"

#include <gdal.h>
#include <gdal_utils.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <sstream>

using namespace traverse;
using namespace traverse::terrain;

namespace {

Grid<float> gdaldemSlope(const std::filesystem::path& dtm) {
    GDALAllRegister();
    GDALDatasetH src = GDALOpen(dtm.c_str(), GA_ReadOnly);
    REQUIRE(src);
    char* argv[] = {const_cast<char*>("-alg"), const_cast<char*>("Horn"), const_cast<char*>("-s"),
                    const_cast<char*>("1"), const_cast<char*>("-of"), const_cast<char*>("MEM"), nullptr};
    GDALDEMProcessingOptions* o = GDALDEMProcessingOptionsNew(argv, nullptr);
    GDALDatasetH out = GDALDEMProcessing("", src, "slope", nullptr, o, nullptr);
    GDALDEMProcessingOptionsFree(o);
    REQUIRE(out);
    const int cols = GDALGetRasterXSize(out), rows = GDALGetRasterYSize(out);
    Grid<float> g(cols, rows);
    REQUIRE(GDALRasterIO(GDALGetRasterBand(out, 1), GF_Read, 0, 0, cols, rows, g.values.data(), cols, rows,
                         GDT_Float32, 0, 0) == CE_None);
    GDALClose(out);
    GDALClose(src);
    return g;
}

void compareWithGdaldem(const std::filesystem::path& dtm) {
    INFO("DTM: " << dtm);
    const Raster r = Raster::open(dtm);
    const auto ours = HazardMaps::compute(r, HazardParams{});
    const Grid<float> ref = gdaldemSlope(dtm);
    REQUIRE(ref.cols == ours.slope.cols);
    REQUIRE(ref.rows == ours.slope.rows);
    std::int64_t compared = 0, mismatched = 0;
    double worst = 0.0;
    for (int row = 1; row + 1 < ref.rows; ++row)
        for (int c = 1; c + 1 < ref.cols; ++c) {
            const float a = ours.slope.at(c, row), b = ref.at(c, row);
            const bool refNoData = b == -9999.0f;
            if (refNoData || a == kNoData) {
                mismatched += refNoData != (a == kNoData);
                continue;
            }
            ++compared;
            worst = std::max(worst, double(std::abs(a - b)));
        }
    INFO("compared " << compared << " cells, worst difference " << worst << " deg");
    CHECK(mismatched == 0);
    CHECK(compared > 0);
    CHECK(worst <= 0.01);
}

}  // namespace

TEST_CASE("slope agrees with gdaldem on a synthetic DTM with steep craters and nodata") {
    test::TempDir dir;
    test::WriteOptions o;
    o.noData = -9999.0;
    const auto p = test::writeRaster(dir / "dtm.tif", test::syntheticDtm(700, 500, 7, -9999.f),
                                     GeoTransform::northUp({500.0, 800.0}, 1.0, 1.0), o);
    compareWithGdaldem(p);
}

TEST_CASE("slope agrees with gdaldem with non-square pixels") {
    test::TempDir dir;
    test::WriteOptions o;
    o.noData = -9999.0;
    const auto p = test::writeRaster(dir / "dtm.tif", test::syntheticDtm(300, 200, 8, -9999.f),
                                     GeoTransform::northUp({0.0, 0.0}, 2.0, 1.5), o);
    compareWithGdaldem(p);
}

TEST_CASE("slope agrees with gdaldem on the sample DTM (GeoTIFF and PDS3)") {
    compareWithGdaldem(test::sampleDir() / "sample_dtm.tif");
    compareWithGdaldem(test::sampleDir() / "sample_dtm.IMG");
}

TEST_CASE("slope agrees with gdaldem on DTMs given in TRAVERSE_SLOPE_CHECK_DTMS") {
    const char* list = std::getenv("TRAVERSE_SLOPE_CHECK_DTMS");
    if (!list || !*list) return;
    std::stringstream s(list);
    std::string item;
    while (std::getline(s, item, ':'))
        if (!item.empty()) compareWithGdaldem(item);
}
