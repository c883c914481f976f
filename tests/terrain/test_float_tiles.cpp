// The direct decoder of tiled float32 GeoTIFFs (terrain/detail/float_tiles.hpp) against GDAL's own
// reading of the same files: every value bit for bit, over the encodings it takes, and the same
// errors for damaged files.
#include "support/test_support.hpp"
#include "terrain/detail/float_tiles.hpp"
#include "terrain/error.hpp"
#include "terrain/raster.hpp"

#include <gdal.h>

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

using namespace traverse;
using namespace traverse::terrain;
namespace fs = std::filesystem;

namespace {

// Heights with everything a decoder can get wrong: negative values, NaN, infinities, denormals,
// nodata, exact zeros and noise in every byte.
Grid<float> awkwardDtm(int cols, int rows, float noData) {
    Grid<float> g = test::syntheticDtm(cols, rows, 11, noData);
    std::mt19937 rng(7);
    for (int k = 0; k < cols * rows / 50; ++k) {
        const std::size_t i = rng() % g.values.size();
        switch (k % 6) {
            case 0: g.values[i] = -g.values[i]; break;
            case 1: g.values[i] = std::numeric_limits<float>::quiet_NaN(); break;
            case 2: g.values[i] = std::numeric_limits<float>::denorm_min() * float(rng() % 1000); break;
            case 3: g.values[i] = (k % 12 == 3) ? std::numeric_limits<float>::infinity() : 0.0f; break;
            case 4: g.values[i] = std::bit_cast<float>(std::uint32_t(rng()) & 0xbf7fffffu); break;
            default: g.values[i] = noData; break;
        }
    }
    return g;
}

std::vector<std::uint32_t> bits(const float* v, std::size_t n) {
    std::vector<std::uint32_t> out(n);
    std::memcpy(out.data(), v, n * sizeof(float));
    return out;
}

// All rows through Raster::readRows (the direct decoder when it takes the file) and through GDAL.
void requireSameAsGdal(const fs::path& p) {
    const Raster r = Raster::open(p);
    const int cols = r.info().cols, rows = r.info().rows;
    std::vector<float> direct(std::size_t(cols) * rows);
    // In uneven pieces that cross rows of tiles, as the hazard pipeline reads.
    for (int r0 = 0; r0 < rows;) {
        const int n = std::min(rows - r0, 37 + (r0 % 3) * 101);
        r.readRows(r0, n, direct.data() + std::size_t(r0) * cols);
        r0 += n;
    }
    const Grid<float> viaGdal = r.readWindow({0, 0, cols, rows});
    REQUIRE(bits(direct.data(), direct.size()) == bits(viaGdal.values.data(), viaGdal.values.size()));
}

std::unique_ptr<detail::FloatTiles> decoderFor(const fs::path& p) {
    GDALDatasetH ds = GDALOpen(p.c_str(), GA_ReadOnly);
    REQUIRE(ds);
    auto t = detail::FloatTiles::open(ds, p, std::nullopt);
    GDALClose(ds);
    return t;
}

fs::path writeDtm(const fs::path& p, const std::vector<std::string>& creationOptions, int cols = 1000,
                  int rows = 700) {
    test::WriteOptions o;
    o.noData = -3.4028226550889045e+38;
    o.creationOptions = creationOptions;
    return test::writeRaster(p, awkwardDtm(cols, rows, float(*o.noData)), GeoTransform::northUp({0, 0}, 1, 1), o);
}

}  // namespace

TEST_CASE("tiled float32 GeoTIFFs decode bit for bit as GDAL reads them") {
    test::TempDir dir;
    const std::vector<std::vector<std::string>> encodings = {
        {"COMPRESS=DEFLATE", "PREDICTOR=3"},
        {"COMPRESS=DEFLATE", "PREDICTOR=3", "ZLEVEL=9", "BLOCKXSIZE=128", "BLOCKYSIZE=64"},
        {"COMPRESS=DEFLATE"},
        {"COMPRESS=NONE"},
        {"COMPRESS=DEFLATE", "PREDICTOR=3", "ENDIANNESS=BIG"},
        {"COMPRESS=NONE", "ENDIANNESS=BIG"},
        {"COMPRESS=DEFLATE", "BIGTIFF=YES"},
    };
    int k = 0;
    for (const auto& e : encodings) {
        std::string name;
        for (const auto& o : e) name += o + " ";
        INFO(name);
        const fs::path p = writeDtm(dir / ("dtm" + std::to_string(k++) + ".tif"), e);
        CHECK(decoderFor(p) != nullptr);  // the direct decoder takes it
        requireSameAsGdal(p);
    }
}

TEST_CASE("files the direct decoder does not take are read by GDAL, with the same values") {
    test::TempDir dir;
    const std::vector<std::vector<std::string>> encodings = {
        {"COMPRESS=LZW", "PREDICTOR=3"},
        {"COMPRESS=DEFLATE", "PREDICTOR=2"},
        {"COMPRESS=ZSTD"},
    };
    int k = 0;
    for (const auto& e : encodings) {
        INFO(e.front());
        const fs::path p = writeDtm(dir / ("dtm" + std::to_string(k++) + ".tif"), e);
        CHECK(decoderFor(p) == nullptr);
        requireSameAsGdal(p);
    }
    // Striped, not tiled.
    test::WriteOptions o;
    o.tiled = false;
    o.creationOptions = {"COMPRESS=DEFLATE", "PREDICTOR=3"};
    const fs::path striped = test::writeRaster(dir / "striped.tif", awkwardDtm(300, 200, -9999.f),
                                               GeoTransform::northUp({0, 0}, 1, 1), o);
    CHECK(decoderFor(striped) == nullptr);
    requireSameAsGdal(striped);
    // Not float32.
    Grid<std::uint8_t> bytes(300, 300, 7);
    const fs::path b = test::writeRaster(dir / "bytes.tif", bytes, GeoTransform::northUp({0, 0}, 1, 1));
    CHECK(decoderFor(b) == nullptr);
}

TEST_CASE("a sparse GeoTIFF reads its missing tiles as nodata, as GDAL does") {
    test::TempDir dir;
    const fs::path p = dir / "sparse.tif";
    const char* opts[] = {"TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=3", "SPARSE_OK=TRUE", nullptr};
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), p.c_str(), 600, 600, 1, GDT_Float32,
                                 const_cast<char**>(opts));
    REQUIRE(ds);
    double gt[6] = {0, 1, 0, 600, 0, -1};
    GDALSetGeoTransform(ds, gt);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(band, -9999.0);
    std::vector<float> tile(256 * 256, 42.5f);
    REQUIRE(GDALRasterIO(band, GF_Write, 256, 256, 256, 256, tile.data(), 256, 256, GDT_Float32, 0, 0) == CE_None);
    GDALClose(ds);
    REQUIRE(decoderFor(p) != nullptr);
    requireSameAsGdal(p);
    const Raster r = Raster::open(p);
    std::vector<float> row(600);
    r.readRows(300, 1, row.data());
    CHECK(row[0] == -9999.0f);
    CHECK(row[300] == 42.5f);
}

TEST_CASE("a damaged tile is an error that names the file and the tile") {
    test::TempDir dir;
    const fs::path p = writeDtm(dir / "dtm.tif", {"COMPRESS=DEFLATE", "PREDICTOR=3"}, 512, 512);
    // Overwrite the middle of tile (1, 1) with garbage.
    std::uint64_t offset = 0, size = 0;
    {
        GDALDatasetH ds = GDALOpen(p.c_str(), GA_ReadOnly);
        REQUIRE(ds);
        GDALRasterBandH b = GDALGetRasterBand(ds, 1);
        offset = std::stoull(GDALGetMetadataItem(b, "BLOCK_OFFSET_1_1", "TIFF"));
        size = std::stoull(GDALGetMetadataItem(b, "BLOCK_SIZE_1_1", "TIFF"));
        GDALClose(ds);
    }
    {
        std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(std::streamoff(offset + size / 4));
        const std::string junk(std::size_t(size / 2), '\xa5');
        f.write(junk.data(), std::streamsize(junk.size()));
    }
    const Raster r = Raster::open(p);
    std::vector<float> buf(std::size_t(512) * 512);
    r.readRows(0, 256, buf.data());  // the first row of tiles is intact
    try {
        r.readRows(256, 256, buf.data());
        FAIL("no error");
    } catch (const Error& e) {
        const std::string m = e.what();
        CHECK(e.kind() == Error::Kind::Io);
        CHECK(m.find(p.string()) != std::string::npos);
        CHECK(m.find("tile 1,1") != std::string::npos);
        CHECK(m.find("corrupt") != std::string::npos);
    }
}

TEST_CASE("a GeoTIFF cut short fails with the file named and the truncation said") {
    test::TempDir dir;
    // GDAL writes a file's directory first when it copies one, so the header survives the cut.
    const fs::path p = writeDtm(dir / "dtm.tif", {"COMPRESS=DEFLATE", "PREDICTOR=3"}, 512, 512);
    fs::resize_file(p, fs::file_size(p) * 3 / 4);
    const Raster r = Raster::open(p);
    std::vector<float> buf(std::size_t(512) * 512);
    try {
        r.readRows(0, 512, buf.data());
        FAIL("no error");
    } catch (const Error& e) {
        const std::string m = e.what();
        CHECK(m.find(p.string()) != std::string::npos);
        CHECK(m.find("truncated") != std::string::npos);
    }
}

TEST_CASE("undoing the floating-point predictor matches the byte-wise definition") {
    std::mt19937 rng(3);
    for (const int width : {16, 48, 256}) {
        std::vector<std::uint8_t> bytes(std::size_t(width) * 4);
        for (auto& b : bytes) b = std::uint8_t(rng());
        // Reference: accumulate bytes, then gather the planes (most significant first).
        std::vector<std::uint8_t> acc = bytes;
        for (std::size_t i = 1; i < acc.size(); ++i) acc[i] = std::uint8_t(acc[i] + acc[i - 1]);
        for (const int count : {width, width - 5, 1}) {
            std::vector<float> out(std::size_t(count), -1.0f);
            std::vector<std::uint8_t> work = bytes;
            detail::undoFloatPredictor(work.data(), width, count, out.data());
            for (int j = 0; j < count; ++j) {
                const std::uint32_t want = (std::uint32_t(acc[j]) << 24) | (std::uint32_t(acc[width + j]) << 16) |
                                           (std::uint32_t(acc[2 * width + j]) << 8) | acc[3 * width + j];
                REQUIRE(std::bit_cast<std::uint32_t>(out[std::size_t(j)]) == want);
            }
            CHECK(work == acc);
        }
    }
}
