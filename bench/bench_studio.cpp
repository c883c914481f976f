// bench_studio: the studio's map on a 20,000 x 20,000 8-bit orthoimage with overviews (a tiled
// GeoTIFF generated once, deterministically, under /tmp/traverse-bench-studio), offscreen.
//   - time from opening the site to the first complete frame (target < 1 s), against GDAL alone
//     reading the same picture (the whole image resampled to the widget's size);
//   - paint time per frame while panning at full resolution from one corner of the image to the
//     other, one frame every 16 ms, tiles arriving from the workers (target: median < 16 ms),
//     against a plain QImage fill + blit of the same widget size;
//   - peak memory (VmHWM) of the process while panning (target < 1 GB), against the image's size.
// The image is generated in a child process so that its memory does not count.
//
//   bench_studio [DIR]
#include "studio/hazard_tile_source.hpp"
#include "studio/map_view.hpp"

#include "terrain/overviews.hpp"
#include "terrain/raster.hpp"
#include "terrain/site.hpp"

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <QApplication>
#include <QImage>
#include <QMouseEvent>
#include <QPainter>
#include <QThread>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kSide = 20000;       // orthoimage pixels a side
constexpr double kPixel = 0.25;    // metres
constexpr int kDtmSide = 2500;     // 2 m posts over the same 5 km
constexpr int kWidth = 1280, kHeight = 800;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string marsWkt() {
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromProj4(srs, "+proj=eqc +lat_ts=18.4 +lat_0=0 +lon_0=77.4 +x_0=0 +y_0=0 +R=3396190 +units=m +no_defs");
    char* wkt = nullptr;
    OSRExportToWkt(srs, &wkt);
    std::string out = wkt;
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
    return out;
}

std::uint32_t hash(std::uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

// Deterministic texture: broad albedo variation, dunes, speckle.
std::uint8_t texel(int c, int r) {
    const double broad = 40.0 * std::sin(c * 0.0011) * std::cos(r * 0.0009);
    const double dunes = 18.0 * std::sin((c + 0.6 * r) * 0.045);
    const int speckle = int(hash(std::uint32_t(c) * 40503u + std::uint32_t(r) * 2654435761u) & 31u) - 16;
    return std::uint8_t(std::clamp(128.0 + broad + dunes + speckle, 1.0, 255.0));
}

void generate(const fs::path& dir) {
    GDALAllRegister();
    GDALSetCacheMax64(256LL << 20);
    fs::create_directories(dir);
    const std::string wkt = marsWkt();
    const double ortho[6] = {0.0, kPixel, 0.0, 5000.0, 0.0, -kPixel};
    const double dtm[6] = {0.0, 2.0, 0.0, 5000.0, 0.0, -2.0};
    const char* options[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "ZLEVEL=1",
                             "NUM_THREADS=ALL_CPUS", nullptr};
    GDALDriverH gtiff = GDALGetDriverByName("GTiff");
    const auto t0 = Clock::now();
    {
        GDALDatasetH ds = GDALCreate(gtiff, (dir / "ortho.tif").c_str(), kSide, kSide, 1, GDT_Byte,
                                     const_cast<char**>(options));
        GDALSetGeoTransform(ds, const_cast<double*>(ortho));
        GDALSetProjection(ds, wkt.c_str());
        std::vector<std::uint8_t> rows(std::size_t(kSide) * 256);
        for (int r0 = 0; r0 < kSide; r0 += 256) {
            const int n = std::min(256, kSide - r0);
            for (int r = 0; r < n; ++r)
                for (int c = 0; c < kSide; ++c) rows[std::size_t(r) * kSide + std::size_t(c)] = texel(c, r0 + r);
            if (GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, r0, kSide, n, rows.data(), kSide, n, GDT_Byte, 0, 0) != CE_None)
                std::exit(3);
        }
        GDALClose(ds);
    }
    {
        GDALDatasetH ds = GDALCreate(gtiff, (dir / "dtm.tif").c_str(), kDtmSide, kDtmSide, 1, GDT_Float32,
                                     const_cast<char**>(options));
        GDALSetGeoTransform(ds, const_cast<double*>(dtm));
        GDALSetProjection(ds, wkt.c_str());
        std::vector<float> z(std::size_t(kDtmSide) * kDtmSide);
        for (int r = 0; r < kDtmSide; ++r)
            for (int c = 0; c < kDtmSide; ++c)
                z[std::size_t(r) * kDtmSide + std::size_t(c)] =
                    float(-2500.0 + 30.0 * std::sin(c * 0.004) * std::cos(r * 0.003) + 2.0 * std::sin(c * 0.05 + r * 0.02));
        if (GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, kDtmSide, kDtmSide, z.data(), kDtmSide, kDtmSide,
                         GDT_Float32, 0, 0) != CE_None)
            std::exit(3);
        GDALClose(ds);
    }
    const auto t1 = Clock::now();
    traverse::terrain::buildOverviews(dir / "ortho.tif");
    traverse::terrain::buildOverviews(dir / "dtm.tif");
    const auto t2 = Clock::now();
    std::printf("generated %s: ortho %d x %d (tiled, DEFLATE) and DTM %d x %d in %.1f s; overviews in %.1f s\n",
                dir.c_str(), kSide, kSide, kDtmSide, kDtmSide, ms(t1 - t0) / 1000, ms(t2 - t1) / 1000);
    std::ofstream(dir / "complete") << "1\n";
}

long statusKb(const char* key) {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key) + 1);
    return -1;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
    return v[v.size() / 2];
}
double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(q * double(v.size())))];
}

std::string cpuModel() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

void send(QWidget& w, QEvent::Type type, QPointF at, Qt::MouseButtons buttons) {
    QMouseEvent e(type, at, w.mapToGlobal(at), Qt::LeftButton, buttons, Qt::NoModifier);
    QApplication::sendEvent(&w, &e);
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::path("/tmp/traverse-bench-studio");
    if (!fs::exists(dir / "complete")) {
        std::fflush(stdout);
        const pid_t child = fork();
        if (child == 0) {
            generate(dir);
            std::fflush(stdout);
            _exit(0);
        }
        int status = 0;
        waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "bench_studio: generating %s failed\n", dir.c_str());
            return 1;
        }
    }
    if (!std::getenv("QT_QPA_PLATFORM")) setenv("QT_QPA_PLATFORM", "offscreen", 1);
    QApplication app(argc, argv);
    using traverse::studio::MapView;

    std::printf("machine: %s, %u hardware threads; Qt %s, GDAL %s\n", cpuModel().c_str(),
                std::thread::hardware_concurrency(), qVersion(), GDALVersionInfo("RELEASE_NAME"));
    const long rssBaseline = statusKb("VmRSS:");

    // ---- first frame ----
    MapView map;
    map.resize(kWidth, kHeight);
    map.show();
    const auto t0 = Clock::now();
    auto site = std::make_shared<const traverse::terrain::Site>(
        traverse::terrain::Site::open(dir / "dtm.tif", dir / "ortho.tif"));
    map.setSite(site);
    const bool complete = map.waitForTiles(30000);
    const double firstFrame = ms(Clock::now() - t0);
    const int workers = map.loader()->threadCount();

    // Reference: GDAL alone, a fresh handle reading the whole image resampled to the frame's pixels.
    const auto r0 = Clock::now();
    {
        const auto raster = traverse::terrain::Raster::open(dir / "ortho.tif");
        const int side = int(std::lround(kSide / (5000.0 / map.metresPerPixel())));
        raster.readResampledBytes({0, 0, kSide, kSide}, std::max(1, side), std::max(1, side));
    }
    const double gdalFrame = ms(Clock::now() - r0);
    std::printf("first frame: %.0f ms%s (target < 1000 ms) at %.2f m/px, %d workers; GDAL alone reading the same "
                "picture: %.0f ms; ratio %.2f\n",
                firstFrame, complete ? "" : " (incomplete!)", map.metresPerPixel(), workers, gdalFrame,
                firstFrame / std::max(gdalFrame, 1e-3));

    // ---- pan at full resolution from the north-west corner to the south-east one ----
    QImage frame(map.size(), QImage::Format_ARGB32_Premultiplied);
    for (int i = 0; i < 40 && map.metresPerPixel() / 1.5 >= kPixel * 0.99; ++i) {
        QKeyEvent plus(QEvent::KeyPress, Qt::Key_Plus, Qt::NoModifier, QStringLiteral("+"));
        QApplication::sendEvent(&map, &plus);
    }
    const QPointF mid(kWidth / 2.0, kHeight / 2.0);
    // Drags the content by `delta` per frame until it has crossed the image; returns paint times.
    const double stepPx = 32.0;
    const int frames = int((kSide * kPixel / map.metresPerPixel()) / stepPx);
    int completeFrames = 0;
    auto pan = [&](QPointF delta, int& complete) {
        // Start in the opposite corner: drag the content the other way until the view clamps there.
        for (int i = 0; i < 200; ++i) {
            send(map, QEvent::MouseButtonPress, mid, Qt::LeftButton);
            send(map, QEvent::MouseMove, mid - delta * (kWidth / stepPx), Qt::LeftButton);
            send(map, QEvent::MouseButtonRelease, mid - delta * (kWidth / stepPx), Qt::NoButton);
        }
        map.waitForTiles(30000);
        std::vector<double> times;
        complete = 0;
        send(map, QEvent::MouseButtonPress, mid, Qt::LeftButton);
        QPointF at = mid;
        for (int i = 0; i < frames; ++i) {
            const auto frameStart = Clock::now();
            at += delta;
            if (at.x() < 0 || at.y() < 0 || at.x() > kWidth || at.y() > kHeight) {  // recentre the hand
                send(map, QEvent::MouseButtonRelease, at - delta, Qt::NoButton);
                at = mid + delta;
                send(map, QEvent::MouseButtonPress, mid, Qt::LeftButton);
            }
            send(map, QEvent::MouseMove, at, Qt::LeftButton);
            QCoreApplication::processEvents();  // tiles delivered by the workers
            const auto p0 = Clock::now();
            map.render(&frame);
            times.push_back(ms(Clock::now() - p0));
            if (!map.tilesLoading()) ++complete;
            const double spent = ms(Clock::now() - frameStart);
            if (spent < 16.0) QThread::usleep(static_cast<unsigned long>((16.0 - spent) * 1000));
        }
        send(map, QEvent::MouseButtonRelease, at, Qt::NoButton);
        return times;
    };
    const auto panStart = Clock::now();
    const std::vector<double> paint = pan({-stepPx, -stepPx}, completeFrames);
    const double panSeconds = ms(Clock::now() - panStart) / 1000;
    const long hwm = statusKb("VmHWM:");

    // Back, with the slope (60 %) and the hazard mask over the orthoimage: tiles computed from the DTM.
    map.setLayerVisible(traverse::studio::MapLayer::Slope, true);
    map.setLayerVisible(traverse::studio::MapLayer::HazardMask, true);
    int completeHazard = 0;
    const std::vector<double> paintHazard = pan({stepPx, stepPx}, completeHazard);
    const long hwmHazard = statusKb("VmHWM:");

    // Reference: a plain fill and blit of a frame of the same size.
    std::vector<double> blit;
    QImage target(map.size(), QImage::Format_ARGB32_Premultiplied);
    for (int i = 0; i < 200; ++i) {
        const auto b0 = Clock::now();
        QImage img(map.size(), QImage::Format_ARGB32_Premultiplied);
        img.fill(QColor(46, 48, 52));
        QPainter p(&target);
        p.drawImage(0, 0, img);
        p.end();
        blit.push_back(ms(Clock::now() - b0));
    }
    // One hazard tile (all layers' pooled values) at full resolution and at the coarsest level still
    // computed (a 2048-cell window), on this thread; reference: reading the same DTM window.
    auto hazardTileMs = [&](int level) {
        traverse::studio::HazardTileSource src(site->dtm(), traverse::studio::MapLayer::Slope, map.hazardParams());
        const auto h0 = Clock::now();
        src.renderTile(level, 0, 0);
        return std::pair{ms(Clock::now() - h0), src.levels()[std::size_t(level)].pixelSize};
    };
    int coarsest = 0;
    {
        traverse::studio::HazardTileSource probe(site->dtm(), traverse::studio::MapLayer::Slope, map.hazardParams());
        while (coarsest + 1 < int(probe.levels().size()) && probe.fromWindow(coarsest + 1)) ++coarsest;
    }
    const auto [hazardFine, finePx] = hazardTileMs(0);
    const auto [hazardCoarse, coarsePx] = hazardTileMs(coarsest);
    // Zoomed out further: the first tile computes the hazard overview of the whole DTM (streaming,
    // all cores), the next ones pool it.
    double overviewFirst = 0.0, overviewNext = 0.0;
    int overviewLevel = coarsest + 1;
    {
        traverse::studio::HazardTileSource src(site->dtm(), traverse::studio::MapLayer::Slope, map.hazardParams());
        overviewLevel = std::min(overviewLevel, int(src.levels().size()) - 1);
        const auto o0 = Clock::now();
        src.renderTile(overviewLevel, 0, 0);
        overviewFirst = ms(Clock::now() - o0);
        const int next = int(src.levels().size()) - 1;
        const auto o1 = Clock::now();
        src.renderTile(next, 0, 0);
        overviewNext = ms(Clock::now() - o1);
    }
    const auto d0 = Clock::now();
    site->dtm().readWindow({0, 0, std::min(2048, kDtmSide), std::min(2048, kDtmSide)});
    const double dtmRead = ms(Clock::now() - d0);

    const double med = median(paint), ref = median(blit);
    std::printf("pan: %d frames of %d x %d at %.3f m/px over %.1f s (%.0f px per frame, diagonal across the image); "
                "paint median %.2f ms, p95 %.2f ms, max %.2f ms (target median < 16 ms); %d%% of frames complete\n",
                frames, kWidth, kHeight, map.metresPerPixel(), panSeconds, stepPx, med, percentile(paint, 0.95),
                percentile(paint, 1.0), frames ? 100 * completeFrames / frames : 0);
    std::printf("pan back with slope + hazard mask on: paint median %.2f ms, p95 %.2f ms, max %.2f ms; %d%% of frames "
                "complete\n",
                median(paintHazard), percentile(paintHazard, 0.95), percentile(paintHazard, 1.0),
                frames ? 100 * completeHazard / frames : 0);
    std::printf("reference fill + blit of the same size: median %.2f ms; ratio %.2f (with hazards %.2f)\n", ref,
                med / std::max(ref, 1e-6), median(paintHazard) / std::max(ref, 1e-6));
    std::printf("hazard tile (one thread): %.0f ms at %.0f m/px (256 x 256 DTM cells), %.0f ms at %.0f m/px (the "
                "coarsest computed: 2048 x 2048 cells); reading that DTM window alone: %.0f ms\n",
                hazardFine, finePx, hazardCoarse, coarsePx, dtmRead);
    std::printf("hazard tile zoomed out further (level %d): the first %.0f ms (computing the overview of the whole "
                "%d x %d DTM), the next %.1f ms\n",
                overviewLevel, overviewFirst, kDtmSide, kDtmSide, overviewNext);
    const double imageMb = double(kSide) * kSide / (1 << 20);
    std::printf("memory: peak VmHWM %.0f MB after the first pan, %.0f MB after the second (target < 1024 MB; %.0f MB "
                "before opening); the image is %.0f MB as 8-bit pixels: ratio %.2f; tiles rendered %lld, requests "
                "dropped as stale %lld\n",
                hwm / 1024.0, hwmHazard / 1024.0, rssBaseline / 1024.0, imageMb, hwmHazard / 1024.0 / imageMb,
                static_cast<long long>(map.loader()->rendered()), static_cast<long long>(map.loader()->dropped()));
    return 0;
}
