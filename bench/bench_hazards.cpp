// Benchmark of the hazard maps (issue "Foundation and terrain"), in one invocation:
//  1. `traverse hazards` end to end (read the DTM, compute every layer, write every layer as a tiled
//     GeoTIFF) against `gdaldem slope` end to end on the same file (one layer); target: less than
//     half of gdaldem's wall time. Peak memory of `traverse hazards` (target: under the DTM's own
//     in-memory size).
//  2. The in-memory computation of all layers: cells per second (target >= 400 M/s on 2 cores), and
//     the ratio to a memory-bandwidth bound measured in the same run (copying the input grid and
//     every output grid once; target: within 4x).
// usage: bench_hazards [--size N] [--runs K] [--dir DIR] [--only memory] [--input uncompressed]
//        (defaults: 8000, 5, /tmp/traverse-bench; the DTM is a tiled GeoTIFF with DEFLATE and the
//        floating-point predictor, as DTM products are distributed, unless --input uncompressed;
//        --only memory skips the end-to-end runs)
#include "terrain/hazard_maps.hpp"
#include "terrain/raster.hpp"

#include <cpl_conv.h>
#include <fcntl.h>
#include <gdal.h>
#include <ogr_srs_api.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace traverse::terrain;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// A float32 DTM at 1 m with realistic relief (octaves of sines, craters), tiled GeoTIFF.
void makeDtm(const fs::path& path, int n, bool compressed) {
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    const char* plain[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "BIGTIFF=IF_SAFER", nullptr};
    const char* deflate[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "BIGTIFF=IF_SAFER",
                             "COMPRESS=DEFLATE", "PREDICTOR=3", nullptr};
    const char** opts = compressed ? deflate : plain;
    GDALDatasetH ds = GDALCreate(drv, path.c_str(), n, n, 1, GDT_Float32, const_cast<char**>(opts));
    double gt[6] = {100000.0, 1.0, 0.0, 1100000.0, 0.0, -1.0};
    GDALSetGeoTransform(ds, gt);
    OGRSpatialReferenceH s = OSRNewSpatialReference(nullptr);
    OSRImportFromProj4(s, "+proj=eqc +lat_ts=18.4 +lat_0=0 +lon_0=77.4 +x_0=0 +y_0=0 +R=3396190 +units=m +no_defs");
    char* wkt = nullptr;
    OSRExportToWkt(s, &wkt);
    GDALSetProjection(ds, wkt);
    CPLFree(wkt);
    OSRDestroySpatialReference(s);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(b, -3.4028226550889045e+38);
    std::vector<float> rows(std::size_t(n) * 256);
    for (int r0 = 0; r0 < n; r0 += 256) {
        const int nr = std::min(256, n - r0);
        for (int r = 0; r < nr; ++r)
            for (int c = 0; c < n; ++c) {
                const double x = c, y = r0 + r;
                double z = -2500.0 + 0.01 * x;
                z += 20.0 * std::sin(x * 0.003) * std::cos(y * 0.0027);
                z += 3.0 * std::sin(x * 0.021 + 1.0) * std::sin(y * 0.019 + 2.0);
                z += 0.4 * std::sin(x * 0.31) * std::cos(y * 0.27);
                const double cx = std::fmod(x, 400.0) - 200.0, cy = std::fmod(y, 400.0) - 200.0;
                const double d = std::sqrt(cx * cx + cy * cy) / 60.0;
                if (d < 1.0) z -= 12.0 * (1.0 - d * d);
                rows[std::size_t(r) * n + c] = float(z);
            }
        if (GDALRasterIO(b, GF_Write, 0, r0, n, nr, rows.data(), n, nr, GDT_Float32, 0, 0) != CE_None) {
            std::fprintf(stderr, "cannot write %s\n", path.c_str());
            std::exit(1);
        }
    }
    GDALClose(ds);
}

struct ChildRun {
    double seconds = 0.0;
    long maxRssKb = 0;
    int status = 0;
};

ChildRun runChild(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    const auto t0 = Clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
        const int devnull = ::open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    rusage ru{};
    wait4(pid, &status, 0, &ru);
    ChildRun r;
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.maxRssKb = ru.ru_maxrss;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

void parallelCopy(float* dst, const float* src, std::size_t n, int threads) {
    std::vector<std::jthread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([=] {
            const std::size_t a = n * t / threads, b = n * (t + 1) / threads;
            std::memcpy(dst + a, src + a, (b - a) * sizeof(float));
        });
}

}  // namespace

int main(int argc, char** argv) {
    int n = 8000, runs = 5;
    bool endToEnd = true;
    bool compressed = true;
    fs::path dir = "/tmp/traverse-bench";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--size")) n = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
        else if (!std::strcmp(argv[i], "--only")) endToEnd = std::strcmp(argv[i + 1], "memory") != 0;
        else if (!std::strcmp(argv[i], "--input")) compressed = std::strcmp(argv[i + 1], "uncompressed") != 0;
    }
    GDALAllRegister();
    fs::create_directories(dir);
    const fs::path dtm = dir / ("dtm_" + std::to_string(n) + (compressed ? "_deflate" : "") + ".tif");
    if (!fs::exists(dtm)) {
        std::printf("generating %s (%d x %d float32, tiled%s)...\n", dtm.c_str(), n, n,
                    compressed ? ", DEFLATE + floating-point predictor" : "");
        makeDtm(dtm, n, compressed);
    }
    const double cells = double(n) * n;
    const unsigned cores = std::thread::hardware_concurrency();
    std::printf("DTM %d x %d (%.0f MB in memory, %s on disk), %u hardware threads, %d runs each (median)\n", n, n,
                cells * 4 / 1e6, compressed ? "compressed" : "uncompressed", cores, runs);

    // 1. End to end, alternating the two programs so that both see the same machine state.
    std::vector<double> tGdal, tOurs;
    long rssOurs = 0, rssGdal = 0;
    for (int k = 0; endToEnd && k < runs; ++k) {
        fs::remove(dir / "gdaldem_slope.tif");
        const auto g = runChild({"gdaldem", "slope", "-q", dtm.string(), (dir / "gdaldem_slope.tif").string()});
        fs::remove_all(dir / "hazards");
        const auto t = runChild({TRAVERSE_CLI, "hazards", "--quiet", "--dtm", dtm.string(), "--out",
                                 (dir / "hazards").string()});
        if (g.status != 0 || t.status != 0) {
            std::fprintf(stderr, "a run failed (gdaldem %d, traverse %d)\n", g.status, t.status);
            return 1;
        }
        tGdal.push_back(g.seconds);
        tOurs.push_back(t.seconds);
        rssOurs = std::max(rssOurs, t.maxRssKb);
        rssGdal = std::max(rssGdal, g.maxRssKb);
    }
    if (endToEnd) {
    const double mg = median(tGdal), mo = median(tOurs);
    std::printf("\nend to end\n");
    std::printf("  gdaldem slope (1 layer)        %7.2f s   peak %6.0f MB\n", mg, rssGdal / 1024.0);
    std::printf("  traverse hazards (6 layers)    %7.2f s   peak %6.0f MB\n", mo, rssOurs / 1024.0);
    std::printf("  ratio traverse / gdaldem       %7.2f     (target < 0.5)\n", mo / mg);
    std::printf("  peak memory / DTM size         %7.2f     (target < 1)\n", rssOurs * 1024.0 / (cells * 4));
    }

    // 2. In memory.
    const Raster r = Raster::open(dtm);
    Grid<float> z(n, n);
    r.readRows(0, n, z.values.data());
    const auto& info = r.info();
    HazardMaps maps;
    HazardRunOptions opt;
    maps.recompute(z, info.geoTransform, info.noData, HazardParams{}, opt);  // warm: allocate and touch
    std::vector<double> tCompute;
    for (int k = 0; k < runs; ++k) {
        const auto t0 = Clock::now();
        maps.recompute(z, info.geoTransform, info.noData, HazardParams{}, opt);
        tCompute.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    // Bandwidth bound: copy the input grid and every output grid once (as float, byte layers by size).
    const std::size_t in = std::size_t(n) * n;
    const std::size_t outFloats = in * 4 + in * 2 / 4;
    std::vector<float> src(outFloats, 1.0f), dst(outFloats, 0.0f), zCopy(in);
    std::vector<double> tCopy;
    for (int k = 0; k < runs; ++k) {
        const auto t0 = Clock::now();
        parallelCopy(zCopy.data(), z.values.data(), in, int(cores));
        parallelCopy(dst.data(), src.data(), outFloats, int(cores));
        tCopy.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    const double mc = median(tCompute), mb = median(tCopy);
    std::printf("\nin memory (all layers, %u threads)\n", cores);
    std::printf("  compute                        %7.3f s   %6.0f Mcells/s   (target >= 400)\n", mc, cells / mc / 1e6);
    std::printf("  copy input + outputs once      %7.3f s   %6.1f GB/s\n", mb,
                double(in + outFloats) * 4 * 2 / mb / 1e9);
    std::printf("  ratio compute / copy           %7.2f     (target <= 4)\n", mc / mb);
    std::printf("  (max slope %.1f deg, %lld hazard cells)\n", maps.summary.maxSlopeDeg,
                static_cast<long long>(maps.summary.hazardCells));
    return 0;
}
