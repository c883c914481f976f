#include "support/test_support.hpp"

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_srs_api.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace traverse::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "traverse-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}
TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string marsEqcWkt(double lon0, double latTs) {
    OGRSpatialReferenceH s = OSRNewSpatialReference(nullptr);
    std::ostringstream p;
    p << "+proj=eqc +lat_ts=" << latTs << " +lat_0=0 +lon_0=" << lon0
      << " +x_0=0 +y_0=0 +R=3396190 +units=m +no_defs";
    OSRImportFromProj4(s, p.str().c_str());
    char* wkt = nullptr;
    OSRExportToWkt(s, &wkt);
    std::string out = wkt;
    CPLFree(wkt);
    OSRDestroySpatialReference(s);
    return out;
}

namespace {

template <class T>
fs::path write(const fs::path& path, const terrain::Grid<T>& g, const terrain::GeoTransform& gt,
               const WriteOptions& o, GDALDataType type) {
    GDALAllRegister();
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDatasetH ds = GDALCreate(mem, "", g.cols, g.rows, 1, type, nullptr);
    if (o.geoTransform) GDALSetGeoTransform(ds, const_cast<double*>(gt.coefficients().data()));
    if (!o.crsWkt.empty()) GDALSetProjection(ds, o.crsWkt.c_str());
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    if (o.noData) GDALSetRasterNoDataValue(b, *o.noData);
    if (GDALRasterIO(b, GF_Write, 0, 0, g.cols, g.rows, const_cast<T*>(g.values.data()), g.cols, g.rows, type, 0,
                     0) != CE_None)
        throw std::runtime_error("MEM write failed");
    if (!o.overviews.empty() &&
        GDALBuildOverviews(ds, "AVERAGE", int(o.overviews.size()), const_cast<int*>(o.overviews.data()), 0, nullptr,
                           nullptr, nullptr) != CE_None)
        throw std::runtime_error("overviews failed");
    std::vector<std::string> opts = o.creationOptions;
    if (o.driver == "GTiff" && o.tiled) {
        opts.push_back("TILED=YES");
        opts.push_back("COPY_SRC_OVERVIEWS=YES");
    }
    std::vector<char*> c;
    for (auto& s : opts) c.push_back(s.data());
    c.push_back(nullptr);
    GDALDatasetH out = GDALCreateCopy(GDALGetDriverByName(o.driver.c_str()), path.c_str(), ds, FALSE, c.data(),
                                      nullptr, nullptr);
    GDALClose(ds);
    if (!out) throw std::runtime_error("cannot write " + path.string() + ": " + CPLGetLastErrorMsg());
    GDALClose(out);
    return path;
}

}  // namespace

fs::path writeRaster(const fs::path& path, const terrain::Grid<float>& g, const terrain::GeoTransform& gt,
                     const WriteOptions& o) {
    return write(path, g, gt, o, GDT_Float32);
}
fs::path writeRaster(const fs::path& path, const terrain::Grid<std::uint8_t>& g, const terrain::GeoTransform& gt,
                     const WriteOptions& o) {
    return write(path, g, gt, o, GDT_Byte);
}

terrain::Grid<float> syntheticDtm(int cols, int rows, unsigned seed, float noData) {
    std::mt19937 rng(seed);
    auto uni = [&] { return double(rng() >> 8) / double(1u << 24); };
    terrain::Grid<float> g(cols, rows);
    // A few sine octaves with random phases, a tilt, craters, and a nodata blob.
    double ph[8];
    for (double& p : ph) p = uni() * 6.283185307;
    struct Crater { double x, y, r; };
    std::vector<Crater> craters;
    for (int i = 0; i < 12; ++i) craters.push_back({uni() * cols, uni() * rows, 3.0 + uni() * 12.0});
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            double z = -2500.0 + 0.05 * c - 0.03 * r;
            for (int o = 0; o < 4; ++o) {
                const double f = 0.02 * (1 << o);
                z += 3.0 / (1 << o) * std::sin(f * c + ph[2 * o]) * std::cos(f * 0.8 * r + ph[2 * o + 1]);
            }
            for (const auto& k : craters) {
                const double d = std::hypot(c - k.x, r - k.y) / k.r;
                if (d < 1.0) z -= 0.4 * k.r * (1.0 - d * d);
                else if (d < 1.5) z += 0.08 * k.r * (1.5 - d) * 2.0;
            }
            z += 0.05 * (uni() - 0.5);
            g.at(c, r) = float(z);
        }
    const double bx = cols * 0.7, by = rows * 0.3, br = std::max(3.0, cols * 0.06);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            if (std::hypot((c - bx) * 1.3, r - by) < br) g.at(c, r) = noData;
    return g;
}

fs::path sampleDir() { return TRAVERSE_TEST_SAMPLE_DIR; }

RunResult runCli(const std::vector<std::string>& args) {
    char outName[] = "/tmp/traverse-cli-out-XXXXXX";
    char errName[] = "/tmp/traverse-cli-err-XXXXXX";
    const int outFd = mkstemp(outName), errFd = mkstemp(errName);
    RunResult res;
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(outFd, STDOUT_FILENO);
        dup2(errFd, STDERR_FILENO);
        std::vector<char*> argv;
        std::string exe = TRAVERSE_CLI;
        argv.push_back(exe.data());
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(exe.c_str(), argv.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    res.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    auto slurp = [](const char* n) {
        std::ifstream f(n);
        std::stringstream s;
        s << f.rdbuf();
        return s.str();
    };
    close(outFd);
    close(errFd);
    res.out = slurp(outName);
    res.err = slurp(errName);
    std::remove(outName);
    std::remove(errName);
    return res;
}

std::vector<std::string> listFiles(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
    return out;
}

}  // namespace traverse::test
