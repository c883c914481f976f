#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/hazard_writer.hpp"
#include "terrain/raster.hpp"

#include <gdal.h>

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <fstream>

using namespace traverse;
using namespace traverse::terrain;
namespace fs = std::filesystem;

namespace {
// Largest difference between a written layer and the in-memory one; nodata must match exactly.
float maxDifference(const Raster& r, const Grid<float>& mem) {
    const Grid<float> g = r.readWindow({0, 0, mem.cols, mem.rows});
    float worst = 0.0f;
    for (std::size_t i = 0; i < g.values.size(); ++i) {
        const bool a = isNoData(g.values[i], r.info().noData), b = mem.values[i] == kNoData;
        if (a != b) return 1e9f;
        if (!a) worst = std::max(worst, std::abs(g.values[i] - mem.values[i]));
    }
    return worst;
}

fs::path smallDtm(const test::TempDir& dir) {
    test::WriteOptions o;
    o.noData = -9999.0;
    return test::writeRaster(dir / "dtm.tif", test::syntheticDtm(300, 260, 4, -9999.f),
                             GeoTransform::northUp({100.0, 700.0}, 1.0, 1.0), o);
}
}  // namespace

TEST_CASE("hazard layers are written as tiled compressed GeoTIFFs that read back exactly") {
    test::TempDir dir;
    const Raster dtm = Raster::open(smallDtm(dir));
    const auto mem = HazardMaps::compute(dtm, HazardParams{});
    // Blocks of 256 rows are rows of tiles, which go straight to the files; others go through
    // GDAL's cache. Either way the edge tiles (300 x 260 cells) are partial.
    for (const int blockRows : {64, 128, 256, 512}) {
        INFO("blocks of " << blockRows << " rows");
        const auto out = dir / ("hazards" + std::to_string(blockRows));
        std::vector<fs::path> files;
        {
            HazardGeoTiffWriter w(out, dtm, HazardParams{});
            HazardRunOptions o;
            o.blockRows = blockRows;
            computeHazards(dtm, HazardParams{}, w, o);
            files = w.commit();
        }
        CHECK(files.size() == 6);
        auto names = test::listFiles(out);
        std::sort(names.begin(), names.end());
        CHECK(names == std::vector<std::string>{"cost.tif", "hazard.tif", "roughness.tif", "slope.tif", "step.tif",
                                                "unknown.tif"});

        const Raster slope = Raster::open(out / "slope.tif");
        CHECK(slope.info().blockCols == 256);
        CHECK(slope.info().blockRows == 256);
        CHECK(slope.info().geoTransform.coefficients() == dtm.info().geoTransform.coefficients());
        CHECK(slope.info().crsWkt == dtm.info().crsWkt);
        CHECK(slope.info().scale == 0.01);
        CHECK(maxDifference(slope, mem.slope) <= 0.005f + 1e-4f);
        CHECK(Raster::open(out / "hazard.tif").readWindowBytes({0, 0, 300, 260}).values == mem.hazard.values);
        CHECK(Raster::open(out / "unknown.tif").readWindowBytes({0, 0, 300, 260}).values == mem.unknown.values);
        // Stored in whole units (0.01 degree, 1 mm, 1/254 of cost): read back with the file's scale.
        CHECK(maxDifference(Raster::open(out / "roughness.tif"), mem.roughness) <= 0.0005f + 1e-6f);
        CHECK(maxDifference(Raster::open(out / "step.tif"), mem.step) <= 0.0005f + 1e-6f);
        CHECK(maxDifference(Raster::open(out / "cost.tif"), mem.cost) <= 0.5f / 254.0f + 1e-6f);

        GDALDatasetH ds = GDALOpen((out / "roughness.tif").c_str(), GA_ReadOnly);
        REQUIRE(ds);
        const char* comp = GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE");
        CHECK(std::string(comp ? comp : "") == "ZSTD");
        CHECK(std::string(GDALGetRasterUnitType(GDALGetRasterBand(ds, 1))) == "m");
        GDALClose(ds);
    }
}

TEST_CASE("a failure while computing leaves nothing in the output folder") {
    test::TempDir dir;
    const Raster dtm = Raster::open(smallDtm(dir));
    const auto out = dir / "hazards";
    fs::create_directory(out);
    {
        HazardGeoTiffWriter w(out, dtm, HazardParams{});
        const DemGeometry dem{300, 260, 1.0, -1.0, -9999.0};
        HazardRunOptions o;
        o.blockRows = 64;
        CHECK_THROWS_AS(computeHazards(
                            dem,
                            [&](int r0, int n, float* dst) {
                                if (r0 > 100) throw Error(Error::Kind::Io, "dtm.tif: read failed");
                                dtm.readRows(r0, n, dst);
                            },
                            HazardParams{}, w, o),
                        Error);
    }
    CHECK(test::listFiles(out).empty());
    CHECK(fs::is_empty(out));
}

TEST_CASE("an output path that cannot be a folder is an error naming it") {
    test::TempDir dir;
    const Raster dtm = Raster::open(smallDtm(dir));
    const auto blocker = dir / "file.txt";
    std::ofstream(blocker) << "x";
    try {
        HazardGeoTiffWriter w(blocker / "out", dtm, HazardParams{});
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == Error::Kind::Io);
        CHECK(std::string(e.what()).find((blocker / "out").string()) != std::string::npos);
    }
    CHECK_THROWS_AS(parseCompression("brotli"), Error);
}

TEST_CASE("a write that fails part-way (a full disk) is an error naming the file, and leaves nothing behind") {
    test::TempDir dir;
    test::WriteOptions wo;
    wo.noData = -9999.0;
    const Raster dtm = Raster::open(test::writeRaster(dir / "dtm.tif", test::syntheticDtm(1200, 1100, 5, -9999.f),
                                                      GeoTransform::northUp({0.0, 1100.0}, 1.0, 1.0), wo));
    const auto out = dir / "hazards";
    fs::create_directory(out);
    // Files may grow to 64 kB and no further, as on a disk that fills up: writes past that fail
    // with EFBIG (the signal that would come with it is ignored).
    struct FileSizeLimit {
        rlimit saved{};
        void (*savedHandler)(int) = nullptr;
        explicit FileSizeLimit(rlim_t bytes) {
            getrlimit(RLIMIT_FSIZE, &saved);
            savedHandler = std::signal(SIGXFSZ, SIG_IGN);
            rlimit l = saved;
            l.rlim_cur = bytes;
            setrlimit(RLIMIT_FSIZE, &l);
        }
        ~FileSizeLimit() {
            setrlimit(RLIMIT_FSIZE, &saved);
            std::signal(SIGXFSZ, savedHandler);
        }
    };
    for (const int blockRows : {128, 256}) {
        INFO("blocks of " << blockRows << " rows");
        try {
            HazardGeoTiffWriter w(out, dtm, HazardParams{});
            const FileSizeLimit limit(64 * 1024);
            HazardRunOptions o;
            o.blockRows = blockRows;
            computeHazards(dtm, HazardParams{}, w, o);
            w.commit();
            FAIL("no error");
        } catch (const Error& e) {
            const std::string m = e.what();
            CHECK(e.kind() == Error::Kind::Io);
            CHECK(m.find("write failed") != std::string::npos);
            CHECK(m.find(out.string() + "/") != std::string::npos);  // the file as the user will look for it
            CHECK(m.find(".traverse-tmp") == std::string::npos);
            CHECK(m.find("File too large") != std::string::npos);  // the cause, not only where it surfaced
        }
        CHECK(test::listFiles(out).empty());
        CHECK(fs::is_empty(out));
    }
}
