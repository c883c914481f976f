// The map engine of traverse-studio: tiles rendered by worker threads, layers and legends, overview
// building, and the cursor readout's latitude and longitude. Offscreen (QT_QPA_PLATFORM=offscreen),
// on the sample site and on rasters written here.
#include "studio/hazard_tile_source.hpp"
#include "studio/layer_panel.hpp"
#include "studio/layer_style.hpp"
#include "studio/map_readout.hpp"
#include "studio/map_view.hpp"
#include "studio/overview_prompt.hpp"
#include "studio/tile_layer.hpp"
#include "studio/tile_loader.hpp"
#include "studio/tile_source.hpp"

#include "studio_test_support.hpp"
#include "support/test_support.hpp"
#include "terrain/error.hpp"
#include "terrain/crs_transform.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/overviews.hpp"
#include "terrain/site.hpp"

#include <QCheckBox>
#include <QDir>
#include <QElapsedTimer>
#include <QPainter>
#include <QSlider>
#include <QTest>

#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <numbers>
#include <thread>

using namespace traverse;
using namespace traverse::studio;
using traverse::studio_test::artefact;
using traverse::studio_test::sampleDtm;
using traverse::studio_test::sampleOrtho;

namespace {

// Results of a loader, collected on the test's thread.
struct Collector {
    std::mutex mutex;
    std::vector<TileLoader::Result> results;
    TileLoader::Deliver deliver() {
        return [this](TileLoader::Result r) {
            std::lock_guard lock(mutex);
            results.push_back(std::move(r));
        };
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return results.size();
    }
    bool waitFor(std::size_t n, int timeoutMs = 20000) {
        QElapsedTimer t;
        t.start();
        while (size() < n && t.elapsed() < timeoutMs) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        return size() >= n;
    }
};

// A source that takes its time: the hillshade of a DTM, after a pause.
class SlowSource final : public TileSource {
public:
    SlowSource(const terrain::Raster& dtm, int millis) : TileSource(dtm), inner_(dtm), millis_(millis) {}
    QImage renderFrom(const terrain::Raster& from, int level, int tx, int ty) const override {
        std::this_thread::sleep_for(std::chrono::milliseconds(millis_));
        return inner_.renderFrom(from, level, tx, ty);
    }
    QString name() const override { return QStringLiteral("slow"); }

private:
    HillshadeTileSource inner_;
    int millis_;
};

int maxChannelDifference(const QImage& a, const QImage& b) {
    if (a.size() != b.size()) return 999;
    int worst = 0;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x) {
            const QRgb p = a.pixel(x, y), q = b.pixel(x, y);
            worst = std::max({worst, std::abs(qRed(p) - qRed(q)), std::abs(qGreen(p) - qGreen(q)),
                              std::abs(qBlue(p) - qBlue(q)), std::abs(qAlpha(p) - qAlpha(q))});
        }
    return worst;
}

double greyShare(const QImage& img) {
    double grey = 0, n = 0;
    for (int y = 0; y < img.height(); y += 2)
        for (int x = 0; x < img.width(); x += 2) {
            const QRgb c = img.pixel(x, y);
            n += 1;
            if (std::abs(qRed(c) - qGreen(c)) <= 3 && std::abs(qGreen(c) - qBlue(c)) <= 3) grey += 1;
        }
    return grey / n;
}

// A map view on a site, shown offscreen, with all its tiles.
struct MapFixture {
    MapView map;
    std::shared_ptr<const terrain::Site> site;
    explicit MapFixture(const std::filesystem::path& dtm = sampleDtm(),
                        std::optional<std::filesystem::path> ortho = sampleOrtho()) {
        site = std::make_shared<const terrain::Site>(terrain::Site::open(dtm, ortho));
        map.resize(800, 600);
        map.show();
        map.setSite(site);
    }
    QImage frame() {
        map.waitForTiles();
        QImage img(map.size(), QImage::Format_ARGB32_Premultiplied);
        map.render(&img);
        return img;
    }
};

// A one-band 8-bit raster without overviews, with a gradient and a pattern.
std::filesystem::path writeByteRaster(const std::filesystem::path& path, int cols, int rows) {
    terrain::Grid<std::uint8_t> g(cols, rows);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) g.at(c, r) = std::uint8_t((c / 3 + r / 5 + ((c ^ r) & 31)) & 255);
    return test::writeRaster(path, g, terrain::GeoTransform::northUp({2300.0, 1094130.0}, 0.25, 0.25));
}

}  // namespace

class MapEngineTest : public QObject {
    Q_OBJECT

private slots:
    // ---- terrain: overviews, reopening, latitude and longitude ----

    void overviewsAreBuiltOnACopyWithProgress() {
        test::TempDir tmp;
        const auto file = writeByteRaster(tmp / "ortho.tif", 1500, 1100);
        QVERIFY(terrain::Raster::open(file).info().overviews.empty());
        const auto sizeBefore = std::filesystem::file_size(file);
        const auto timeBefore = std::filesystem::last_write_time(file);

        std::vector<double> progress;
        terrain::buildOverviews(file, {}, [&](double f, std::string_view) { progress.push_back(f); });
        QVERIFY(progress.size() >= 2);
        QVERIFY(std::is_sorted(progress.begin(), progress.end()));
        QCOMPARE(progress.back(), 1.0);
        const terrain::Raster r = terrain::Raster::open(file);
        // 1500 px: 2, 4 and 8 (188 px, the first to fit a 256-px tile).
        QCOMPARE(terrain::defaultOverviewFactors(1500, 1100), (std::vector<int>{2, 4, 8}));
        QCOMPARE(int(r.info().overviews.size()), 3);
        QCOMPARE(r.info().overviews[2].cols, 188);
        QVERIFY(std::filesystem::exists(file.string() + ".ovr"));
        // External overviews: the file itself is untouched.
        QCOMPARE(std::filesystem::file_size(file), sizeBefore);
        QVERIFY(std::filesystem::last_write_time(file) == timeBefore);
        // An average of the full resolution, as gdaladdo -r average.
        const auto full = r.readWindow({0, 0, 2, 2}, 0);
        const auto half = r.readWindow({0, 0, 1, 1}, 1);
        QVERIFY(std::abs(half.values[0] - (full.values[0] + full.values[1] + full.values[2] + full.values[3]) / 4) <= 1.0f);

        // A copy of the sample's PDS3 DTM (no overviews) gets them too.
        const auto img = tmp / "dtm.IMG";
        std::filesystem::copy_file(test::sampleDir() / "sample_dtm.IMG", img);
        terrain::OverviewOptions two;
        two.factors = {2, 4};
        terrain::buildOverviews(img, two);
        QCOMPARE(int(terrain::Raster::open(img).info().overviews.size()), 2);
    }

    void overviewBuildingCancelsAndReportsErrors() {
        test::TempDir tmp;
        const auto file = writeByteRaster(tmp / "ortho.tif", 1200, 1200);
        std::stop_source stop;
        int calls = 0;
        try {
            terrain::buildOverviews(file, {}, [&](double, std::string_view) {
                if (++calls == 1) stop.request_stop();
            }, stop.get_token());
            QFAIL("not cancelled");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), Error::Kind::Cancelled);
            QVERIFY(QString::fromStdString(e.what()).contains(QStringLiteral("ortho.tif")));
        }
        QVERIFY(!std::filesystem::exists(file.string() + ".ovr"));
        QVERIFY(terrain::Raster::open(file).info().overviews.empty());
        try {
            terrain::buildOverviews(tmp / "missing.tif");
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), Error::Kind::NotFound);
            QVERIFY(QString::fromStdString(e.what()).contains(QStringLiteral("missing.tif")));
        }
    }

    void geographicPositionOfAKnownPoint() {
        // The sample site's CRS: equirectangular on the Mars sphere (R = 3396190 m), true scale at
        // 18.4 N, centred on 77.4 E: E = R cos(18.4) (lon - 77.4), N = R lat (radians).
        const terrain::Site site = terrain::Site::open(sampleDtm());
        constexpr double R = 3396190.0, deg = std::numbers::pi / 180.0;
        const terrain::MapPoint p{2812.5, 1094001.25};
        const double lat = p.n / R / deg, lon = 77.4 + p.e / (R * std::cos(18.4 * deg)) / deg;
        const auto projection = terrain::MapProjection::forCrs(site.crsWkt(), "the sample DTM");
        const auto g = projection.toLonLat({p}).front();
        QVERIFY(g);
        QVERIFY2(std::abs(g->latDeg - lat) < 1e-9, qPrintable(QString::number(g->latDeg, 'f', 10)));
        QVERIFY2(std::abs(g->lonDeg - lon) < 1e-9, qPrintable(QString::number(g->lonDeg, 'f', 10)));
        // West of the origin meridian: still east longitude, 0..360, in the readout.
        const auto west = projection.toLonLat({{-R * std::cos(18.4 * deg) * 100.0 * deg, 0.0}}).front();
        QVERIFY(west);
        QVERIFY(formatGeographic(*west).contains(QStringLiteral("337.40000\u00B0E")));
        try {
            terrain::MapProjection::forCrs("", "nothing");
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), Error::Kind::Georeference);
        }

        // The readout: position, latitude/longitude, slope (as the hazard maps), elevation.
        const CursorReading r = readCursor(site, p);
        QVERIFY(r.geographic);
        QVERIFY(std::abs(r.geographic->latDeg - lat) < 1e-9);
        QCOMPARE(r.state, CursorReading::Elevation::Value);
        QVERIFY(r.slopeDeg);
        const terrain::HazardMaps maps = terrain::HazardMaps::compute(site.dtm(), terrain::HazardParams{});
        const terrain::PixelPoint px = site.geoTransform().toPixel(p);
        QVERIFY2(std::abs(*r.slopeDeg - maps.slope.at(int(px.col), int(px.row))) < 0.01,
                 qPrintable(QStringLiteral("%1 vs %2").arg(*r.slopeDeg).arg(maps.slope.at(int(px.col), int(px.row)))));
        const QString text = formatReading(r);
        QVERIFY2(text.contains(formatGeographic(*r.geographic)), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("%1\u00B0N").arg(lat, 0, 'f', 5)), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("%1\u00B0E").arg(lon, 0, 'f', 5)), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("slope %1\u00B0").arg(*r.slopeDeg, 0, 'f', 1)), qPrintable(text));
        QVERIFY2(text.endsWith(QStringLiteral("elevation %1 m").arg(r.elevation, 0, 'f', 2)), qPrintable(text));
    }

    void reopenedResampledOrthoReadsTheSame() {
        // An orthoimage half a pixel off the DTM's grid: the site resamples it into the DTM's frame
        // (an in-memory warped VRT). Reopened for a worker, it must be the same framed view.
        test::TempDir tmp;
        terrain::Grid<float> z(64, 64);
        for (int r = 0; r < 64; ++r)
            for (int c = 0; c < 64; ++c) z.at(c, r) = float(c + r);
        const auto dtm = test::writeRaster(tmp / "dtm.tif", z, terrain::GeoTransform::northUp({1000.0, 5000.0}, 4.0, 4.0));
        terrain::Grid<std::uint8_t> img(500, 500);
        for (int r = 0; r < 500; ++r)
            for (int c = 0; c < 500; ++c) img.at(c, r) = std::uint8_t((c * 7 + r * 3) & 255);
        test::WriteOptions withOverviews;
        withOverviews.overviews = {2, 4};
        const auto ortho = test::writeRaster(tmp / "ortho.tif", img,
                                             terrain::GeoTransform::northUp({1000.25, 4999.75}, 0.5, 0.5),
                                             withOverviews);
        const terrain::Site site = terrain::Site::open(dtm, ortho);
        QCOMPARE(site.coregistration().method, terrain::Coregistration::Method::Resampled);
        const terrain::Raster again = site.ortho()->reopen();
        QCOMPARE(again.info().cols, site.ortho()->info().cols);
        QCOMPARE(again.levelCount(), site.ortho()->levelCount());
        QCOMPARE(again.info().geoTransform.coefficients(), site.ortho()->info().geoTransform.coefficients());
        QCOMPARE(again.path(), site.ortho()->path());
        const terrain::PixelWindow w{10, 20, 200, 150};
        QVERIFY(again.readWindowBytes(w).values == site.ortho()->readWindowBytes(w).values);
        QVERIFY(again.readWindowBytes({0, 0, 60, 60}, 1).values == site.ortho()->readWindowBytes({0, 0, 60, 60}, 1).values);

        // Its tiles rendered by workers match those rendered here.
        auto source = std::make_shared<ImageryTileSource>(*site.ortho());
        Collector got;
        TileLoader loader(got.deliver(), 2);
        loader.reset({&site.dtm(), site.ortho()}, nullptr);
        std::vector<TileLoader::Job> jobs;
        for (int ty = 0; ty < source->tilesDown(0); ++ty)
            for (int tx = 0; tx < source->tilesAcross(0); ++tx) jobs.push_back({0, {0, tx, ty}, source});
        loader.request(jobs);
        QVERIFY(got.waitFor(jobs.size()));
        for (const auto& r : got.results) {
            QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
            QCOMPARE(maxChannelDifference(r.image, source->renderTile(r.key.level, r.key.tx, r.key.ty)), 0);
        }
    }

    // ---- tiles from workers ----

    void workerTilesMatchSynchronousRendering() {
        const terrain::Site site = terrain::Site::open(sampleDtm(), sampleOrtho());
        const terrain::HazardParams params;
        auto shared = HazardTileSource::makeCache();
        std::vector<std::shared_ptr<const TileSource>> sources = {
            std::make_shared<ImageryTileSource>(*site.ortho()), std::make_shared<HillshadeTileSource>(site.dtm()),
            std::make_shared<HazardTileSource>(site.dtm(), MapLayer::Slope, params, shared),
            std::make_shared<HazardTileSource>(site.dtm(), MapLayer::HazardMask, params, shared),
            std::make_shared<HazardTileSource>(site.dtm(), MapLayer::Cost, params, shared)};
        Collector got;
        TileLoader loader(got.deliver(), 3);
        QCOMPARE(loader.threadCount(), 3);
        loader.reset({&site.dtm(), site.ortho()}, nullptr);
        std::vector<TileLoader::Job> jobs;
        for (int i = 0; i < int(sources.size()); ++i) {
            const int level = std::min(1, int(sources[std::size_t(i)]->levels().size()) - 1);
            for (int ty = 0; ty < sources[std::size_t(i)]->tilesDown(level); ++ty)
                for (int tx = 0; tx < sources[std::size_t(i)]->tilesAcross(level); ++tx)
                    jobs.push_back({i, {level, tx, ty}, sources[std::size_t(i)]});
        }
        loader.request(jobs);
        QVERIFY(got.waitFor(jobs.size()));
        QCOMPARE(got.size(), jobs.size());
        QCOMPARE(loader.rendered(), std::int64_t(jobs.size()));
        for (const auto& r : got.results) {
            QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
            QCOMPARE(r.generation, loader.generation());
            const QImage sync = sources[std::size_t(r.layer)]->renderTile(r.key.level, r.key.tx, r.key.ty);
            QCOMPARE(maxChannelDifference(r.image, sync), 0);
        }
    }

    void hazardTilesMatchTheWholeSiteMaps() {
        // A tile computed from its window plus a margin equals the same cells of the maps computed
        // over the whole DTM: the margin covers every window of every layer.
        const terrain::Site site = terrain::Site::open(sampleDtm());
        const terrain::HazardParams params;
        const terrain::HazardMaps whole = terrain::HazardMaps::compute(site.dtm(), params);
        const HazardTileSource slope(site.dtm(), MapLayer::Slope, params);
        const HazardTileSource mask(site.dtm(), MapLayer::HazardMask, params);
        int checked = 0, worst = 0, maskMismatches = 0;
        for (auto [tx, ty] : {std::pair{0, 0}, std::pair{1, 2}, std::pair{3, 3}, std::pair{2, 1}}) {
            const QImage s = slope.renderTile(0, tx, ty);
            const QImage m = mask.renderTile(0, tx, ty);
            for (int r = 0; r < s.height(); ++r)
                for (int c = 0; c < s.width(); ++c) {
                    const int col = tx * kTileSize + c, row = ty * kTileSize + r;
                    const float v = whole.slope.at(col, row);
                    const bool unknown = whole.unknown.at(col, row) || (whole.hazard.at(col, row) & terrain::kHazardUnknown);
                    const QRgb want = unknown || v == terrain::kNoData ? kUnknownColour
                                      : v >= params.limits.maxSlopeDeg ? kTooSteepColour
                                                                       : rampColour(v / params.limits.maxSlopeDeg);
                    const QRgb got = s.pixel(c, r);
                    worst = std::max({worst, std::abs(qRed(got) - qRed(want)), std::abs(qGreen(got) - qGreen(want)),
                                      std::abs(qBlue(got) - qBlue(want))});
                    const std::uint8_t hz = whole.hazard.at(col, row);
                    const QRgb wantMask = unknown ? kUnknownColour
                                          : (hz & (terrain::kHazardStep | terrain::kHazardRoughness)) ? kHardHazardColour
                                          : (hz & terrain::kHazardSlope) ? kTooSteepColour
                                                                         : 0u;
                    if (m.pixel(c, r) != wantMask) ++maskMismatches;
                    ++checked;
                }
        }
        QVERIFY(checked == 4 * kTileSize * kTileSize);
        QVERIFY2(worst <= 1, qPrintable(QStringLiteral("colour differs by %1").arg(worst)));
        QVERIFY2(maskMismatches == 0, qPrintable(QStringLiteral("%1 mask cells differ").arg(maskMismatches)));
        QVERIFY(slope.fromWindow(0));
    }

    void zoomedOutHazardTilesComeFromTheOverview() {
        // Tiles coarser than a source's own windows come from the hazard layers of the whole DTM,
        // pooled once: the same pixels as tiles computed from their own windows.
        const terrain::Site site = terrain::Site::open(sampleDtm());
        const terrain::HazardParams params;
        const auto windowed = HazardTileSource::makeCache(), pooled = HazardTileSource::makeCache();
        int compared = 0;
        for (const MapLayer layer : {MapLayer::Slope, MapLayer::Step, MapLayer::Cost, MapLayer::HazardMask}) {
            const HazardTileSource fromWindows(site.dtm(), layer, params, windowed, 4096);
            const HazardTileSource fromOverview(site.dtm(), layer, params, pooled, 512);  // cells of 2 x 2
            for (int level = 0; level < int(fromOverview.levels().size()); ++level) {
                QVERIFY(fromWindows.fromWindow(level));
                if (fromOverview.fromWindow(level)) continue;
                for (int ty = 0; ty < fromOverview.tilesDown(level); ++ty)
                    for (int tx = 0; tx < fromOverview.tilesAcross(level); ++tx) {
                        const QImage a = fromWindows.renderTile(level, tx, ty), b = fromOverview.renderTile(level, tx, ty);
                        QCOMPARE(b.size(), a.size());
                        QVERIFY2(maxChannelDifference(a, b) <= 1,
                                 qPrintable(QStringLiteral("%1, level %2, tile %3,%4 differs by %5")
                                                .arg(layerTitle(layer)).arg(level).arg(tx).arg(ty)
                                                .arg(maxChannelDifference(a, b))));
                        ++compared;
                    }
            }
            QVERIFY(fromOverview.fromWindow(0));
            QVERIFY(!fromOverview.fromWindow(int(fromOverview.levels().size()) - 1));
            // The overview's tiles read its cells, not the DTM's.
            const int top = int(fromOverview.levels().size()) - 1;
            QVERIFY(fromOverview.tileReadCost(top) * 4 == fromWindows.tileReadCost(top));
        }
        QVERIFY(compared >= 4);

        // A cancelled overview (the site replaced while it computes) fails its tiles as cancelled,
        // and only for that cache.
        auto cancelled = HazardTileSource::makeCache();
        cancelHazardOverview(*cancelled);
        const HazardTileSource stopped(site.dtm(), MapLayer::Slope, params, cancelled, 512);
        const int top = int(stopped.levels().size()) - 1;
        try {
            stopped.renderTile(top, 0, 0);
            QFAIL("not cancelled");
        } catch (const Error& e) {
            QCOMPARE(int(e.kind()), int(Error::Kind::Cancelled));
        }
        QVERIFY(!HazardTileSource(site.dtm(), MapLayer::Slope, params, pooled, 512).renderTile(top, 0, 0).isNull());
    }

    void paintIsNotBlockedWhileTilesLoad() {
        const terrain::Site site = terrain::Site::open(sampleDtm());
        QObject receiver;
        TileLayer layer(std::make_shared<SlowSource>(site.dtm(), 150));
        int arrived = 0;
        TileLoader loader([&](TileLoader::Result r) {
            QMetaObject::invokeMethod(&receiver, [&, r] {
                layer.insert(r.key, r.image, r.pixelsRead, r.error);
                ++arrived;
            }, Qt::QueuedConnection);
        }, 2);
        loader.reset({&site.dtm()}, nullptr);
        MapViewport vp;
        vp.setSize({600, 600});
        vp.fit(site.extent(), 0.0);
        QImage frame(600, 600, QImage::Format_ARGB32_Premultiplied);
        auto paint = [&](std::vector<TileKey>& missing) {
            frame.fill(Qt::black);
            QPainter p(&frame);
            return layer.drawCached(p, vp, 1.0, missing);
        };
        std::vector<TileKey> missing;
        QElapsedTimer t;
        t.start();
        FrameReport first = paint(missing);
        const qint64 firstMs = t.elapsed();
        QVERIFY2(firstMs < 50, qPrintable(QStringLiteral("first paint took %1 ms").arg(firstMs)));
        QVERIFY(first.tilesPending > 0);
        QCOMPARE(first.tilesDrawn, 0);
        QCOMPARE(std::size_t(first.tilesPending), missing.size());
        std::vector<TileLoader::Job> jobs;
        for (const TileKey& k : missing) jobs.push_back({0, k, layer.sharedSource()});
        loader.request(jobs);
        // Painting while the workers sleep stays quick.
        for (int i = 0; i < 5; ++i) {
            std::vector<TileKey> m;
            t.restart();
            paint(m);
            QVERIFY2(t.elapsed() < 50, qPrintable(QStringLiteral("paint took %1 ms").arg(t.elapsed())));
            QCoreApplication::processEvents();
        }
        QTRY_COMPARE_WITH_TIMEOUT(arrived, int(missing.size()), 20000);
        std::vector<TileKey> none;
        const FrameReport done = paint(none);
        QVERIFY(none.empty());
        QCOMPARE(done.tilesDrawn, int(missing.size()));
        // The same picture as drawn synchronously.
        TileLayer sync(std::make_shared<HillshadeTileSource>(site.dtm()));
        QImage expected(600, 600, QImage::Format_ARGB32_Premultiplied);
        expected.fill(Qt::black);
        {
            QPainter p(&expected);
            sync.draw(p, vp, 1.0);
        }
        QCOMPARE(maxChannelDifference(frame, expected), 0);

        // Zoomed in or out, the new level's tiles are missing at first: cached tiles of a coarser
        // level (zooming in) or of the finer one (zooming out) stand in, so the view is not blank.
        const double fitted = vp.metresPerPixel();
        const QRgb black = QColor(Qt::black).rgb();
        for (const double scale : {0.5, 2.0}) {
            vp.setMetresPerPixel(fitted * scale);
            std::vector<TileKey> wanted;
            const FrameReport r = paint(wanted);
            QVERIFY(!wanted.empty());
            QVERIFY(r.level != first.level);
            QVERIFY2(frame.pixel(300, 300) != black, qPrintable(QStringLiteral("blank at scale %1").arg(scale)));
        }
        vp.setMetresPerPixel(fitted);

        // The map view too: its first paint with every layer on returns at once.
        MapView map;
        map.resize(800, 600);
        map.show();
        map.setSite(std::make_shared<const terrain::Site>(terrain::Site::open(sampleDtm(), sampleOrtho())));
        for (MapLayer l : kMapLayers) map.setLayerVisible(l, true);
        QImage img(map.size(), QImage::Format_ARGB32_Premultiplied);
        t.restart();
        map.render(&img);
        QVERIFY2(t.elapsed() < 250, qPrintable(QStringLiteral("map paint took %1 ms").arg(t.elapsed())));
        QVERIFY(map.tilesLoading());
        QVERIFY(map.waitForTiles());
        QVERIFY(!map.tilesLoading());

        // Tiles finished by the workers are taken by the next paint, even without an event loop
        // (a test or a tool grabbing the window repeatedly).
        map.setSite(std::make_shared<const terrain::Site>(terrain::Site::open(sampleDtm(), sampleOrtho())));
        QElapsedTimer clock;
        clock.start();
        map.render(&img);
        while (map.tilesLoading() && clock.elapsed() < 20000) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            map.render(&img);
        }
        QVERIFY(!map.tilesLoading());
    }

    void staleRequestsAreDropped() {
        const terrain::Site site = terrain::Site::open(sampleDtm());
        auto slow = std::make_shared<SlowSource>(site.dtm(), 80);
        Collector got;
        TileLoader loader(got.deliver(), 1);
        loader.reset({&site.dtm()}, nullptr);
        std::vector<TileLoader::Job> first;
        for (int ty = 0; ty < 4; ++ty)
            for (int tx = 0; tx < 4; ++tx) first.push_back({0, {0, tx, ty}, slow});
        loader.request(first);
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        // The view moved: only two other tiles are wanted now.
        const std::size_t stale = loader.request({{0, {1, 0, 0}, slow}, {0, {1, 1, 0}, slow}});
        QVERIFY2(stale >= 14, qPrintable(QString::number(stale)));
        QVERIFY(got.waitFor(3));
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        QVERIFY2(got.size() <= 4, qPrintable(QString::number(got.size())));  // in flight + the two new
        QVERIFY(loader.dropped() >= 14);
        bool sawNew = false;
        for (const auto& r : got.results) sawNew = sawNew || r.key.level == 1;
        QVERIFY(sawNew);

        // A new generation (another site) drops everything queued.
        loader.request(first);
        loader.reset({&site.dtm()}, nullptr);
        QCOMPARE(loader.queued(), std::size_t(0));
    }

    void tileCacheStaysBoundedWhilePanning() {
        MapFixture f;
        const std::int64_t budget = 48LL << 20;
        f.map.setLayerVisible(MapLayer::Slope, true);
        for (int i = 0; i < 10; ++i) QTest::keyClick(&f.map, Qt::Key_Plus);
        for (int i = 0; i < 12; ++i) {
            QTest::keyClick(&f.map, Qt::Key_Right);
            f.frame();
        }
        const TileLayer* ortho = f.map.layer(MapLayer::Orthoimage);
        QVERIFY(ortho->cache().bytes() <= 192LL << 20);
        QVERIFY(f.map.layer(MapLayer::Slope)->cache().bytes() <= budget);
        // And a small cache evicts: 4 tiles' worth holds 4 tiles.
        const terrain::Site site = terrain::Site::open(sampleDtm());
        TileLayer small(std::make_shared<HillshadeTileSource>(site.dtm()), 4LL * kTileSize * kTileSize * 4);
        for (int i = 0; i < 16; ++i) small.insert({0, i % 4, i / 4}, QImage(kTileSize, kTileSize, QImage::Format_ARGB32_Premultiplied), 1);
        QCOMPARE(small.cache().size(), std::size_t(4));
        QVERIFY(small.cache().bytes() <= 4LL * kTileSize * kTileSize * 4);
    }

    // ---- layers and legends ----

    void layerVisibilityAndOpacityChangeWhatIsDrawn() {
        MapFixture f;
        QCOMPARE(f.map.layerVisible(MapLayer::Orthoimage), true);
        QCOMPARE(f.map.layerVisible(MapLayer::Slope), false);
        const QImage ortho = f.frame();
        const QRect inner = QRect(QPoint(0, 0), f.map.size()).adjusted(250, 150, -250, -150);
        const QImage orthoInner = ortho.copy(inner);
        QVERIFY2(greyShare(orthoInner) > 0.95, qPrintable(QString::number(greyShare(orthoInner))));

        // Slope at full opacity: colours of the slope scale, not the grey image.
        f.map.setLayerVisible(MapLayer::Slope, true);
        f.map.setLayerOpacity(MapLayer::Slope, 1.0);
        const QImage slope = f.frame().copy(inner);
        QVERIFY2(greyShare(slope) < 0.2, qPrintable(QString::number(greyShare(slope))));
        int greenish = 0;
        for (int y = 0; y < slope.height(); y += 4)
            for (int x = 0; x < slope.width(); x += 4)
                if (qGreen(slope.pixel(x, y)) > qBlue(slope.pixel(x, y)) + 40) ++greenish;
        QVERIFY(greenish > 0);

        // Half opacity: half of each.
        f.map.setLayerOpacity(MapLayer::Slope, 0.5);
        const QImage half = f.frame().copy(inner);
        int worst = 0;
        for (int y = 5; y < half.height(); y += 17)
            for (int x = 5; x < half.width(); x += 13) {
                const QRgb a = orthoInner.pixel(x, y), b = slope.pixel(x, y), h = half.pixel(x, y);
                worst = std::max({worst, std::abs(qRed(h) - (qRed(a) + qRed(b)) / 2),
                                  std::abs(qGreen(h) - (qGreen(a) + qGreen(b)) / 2),
                                  std::abs(qBlue(h) - (qBlue(a) + qBlue(b)) / 2)});
            }
        QVERIFY2(worst <= 3, qPrintable(QStringLiteral("blend off by %1").arg(worst)));

        // Hidden again: the orthoimage as before.
        f.map.setLayerVisible(MapLayer::Slope, false);
        QCOMPARE(maxChannelDifference(f.frame().copy(inner), orthoInner), 0);

        // The hazard mask marks the sample's nodata gap (unknown, dark blue) and leaves the rest clear.
        f.map.setLayerVisible(MapLayer::HazardMask, true);
        f.map.setLayerOpacity(MapLayer::HazardMask, 1.0);
        const QImage mask = f.frame();
        int unknown = 0, unchanged = 0, n = 0;
        for (int y = 0; y < mask.height(); y += 3)
            for (int x = 0; x < mask.width(); x += 3) {
                ++n;
                if ((mask.pixel(x, y) | 0xff000000u) == kUnknownColour) ++unknown;
                if (mask.pixel(x, y) == ortho.pixel(x, y)) ++unchanged;
            }
        QVERIFY2(unknown > 0, "no unknown terrain drawn");
        QVERIFY2(unchanged > n / 2, qPrintable(QStringLiteral("%1 of %2 unchanged").arg(unchanged).arg(n)));
        // Hiding the base leaves the background where the mask is clear, and the mask where it is not.
        f.map.setLayerVisible(MapLayer::Orthoimage, false);
        const QImage alone = f.frame();
        int clearChecked = 0, wrong = 0;
        for (int y = inner.top(); y < inner.bottom(); y += 7)
            for (int x = inner.left(); x < inner.right(); x += 7) {
                const bool clear = mask.pixel(x, y) == ortho.pixel(x, y);
                if (clear) ++clearChecked;
                if (clear ? alone.pixel(x, y) != MapView::backgroundColor().rgb()
                          : alone.pixel(x, y) != mask.pixel(x, y))
                    ++wrong;
            }
        QVERIFY(clearChecked > 0);
        QVERIFY2(wrong == 0, qPrintable(QStringLiteral("%1 pixels wrong").arg(wrong)));
    }

    void layerPanelListsLayersWithLegends() {
        MapFixture f;
        LayerPanel panel(&f.map);
        panel.resize(300, 900);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        for (MapLayer l : kMapLayers) {
            QVERIFY(panel.checkBox(l));
            QVERIFY(panel.opacitySlider(l));
            QVERIFY(panel.legend(l));
            QCOMPARE(panel.checkBox(l)->isChecked(), f.map.layerVisible(l));
            QVERIFY(!panel.legend(l)->legend().title.isEmpty());
        }
        // The slope scale: green at 0, the ramp up to the rover's 30-degree limit, red beyond; unknown
        // terrain dark blue. The hazard mask: magenta hard hazards.
        const Legend& slope = panel.legend(MapLayer::Slope)->legend();
        QCOMPARE(slope.bar.front().colour.rgb(), rampColour(0.0));
        QCOMPARE(slope.bar.back().colour.rgb(), kTooSteepColour);
        QVERIFY(std::any_of(slope.ticks.begin(), slope.ticks.end(),
                            [](const Legend::Tick& t) { return t.label.startsWith(QStringLiteral("30")); }));
        QVERIFY(std::any_of(slope.swatches.begin(), slope.swatches.end(),
                            [](const Legend::Swatch& s) { return s.colour.rgb() == kUnknownColour; }));
        const Legend& mask = panel.legend(MapLayer::HazardMask)->legend();
        QVERIFY(std::any_of(mask.swatches.begin(), mask.swatches.end(),
                            [](const Legend::Swatch& s) { return s.colour.rgb() == kHardHazardColour; }));
        QCOMPARE(QColor(rampColour(0.0)).green() > QColor(rampColour(0.0)).red(), true);  // green
        QCOMPARE(QColor(rampColour(1.0)).red() > 200, true);                              // red
        // A legend is drawn, not blank.
        const QImage legendShot = panel.legend(MapLayer::Slope)->grab().toImage();
        QVERIFY(greyShare(legendShot) < 0.9);

        // The controls drive the map, and follow it.
        panel.checkBox(MapLayer::Step)->setChecked(true);
        QVERIFY(f.map.layerVisible(MapLayer::Step));
        panel.opacitySlider(MapLayer::Step)->setValue(25);
        QCOMPARE(f.map.layerOpacity(MapLayer::Step), 0.25);
        f.map.setLayerVisible(MapLayer::Cost, true);
        QVERIFY(panel.checkBox(MapLayer::Cost)->isChecked());
        QVERIFY(panel.grab().save(artefact(QStringLiteral("studio-layer-panel.png"))));

        // Another rover's tilt limit: the slope legend and tiles follow it.
        terrain::HazardParams steep;
        steep.limits.maxSlopeDeg = 20.0;
        f.map.setHazardParams(steep);
        const Legend& twenty = panel.legend(MapLayer::Slope)->legend();
        QVERIFY(std::any_of(twenty.ticks.begin(), twenty.ticks.end(),
                            [](const Legend::Tick& t) { return t.label.startsWith(QStringLiteral("20")); }));
        QVERIFY(f.map.layerVisible(MapLayer::Step));  // visibility kept
        const auto* slopeSource = dynamic_cast<const HazardTileSource*>(&f.map.layer(MapLayer::Slope)->source());
        QVERIFY(slopeSource && slopeSource->params().limits.maxSlopeDeg == 20.0);
        terrain::HazardParams bad;
        bad.wheelM = -1.0;
        QVERIFY_THROWS_EXCEPTION(Error, f.map.setHazardParams(bad));
        QCOMPARE(f.map.hazardParams().limits.maxSlopeDeg, 20.0);

        // A site without an orthoimage has no orthoimage layer: its row is disabled.
        f.map.setSite(std::make_shared<const terrain::Site>(terrain::Site::open(sampleDtm())));
        QVERIFY(!panel.checkBox(MapLayer::Orthoimage)->isEnabled());
        QVERIFY(panel.checkBox(MapLayer::Hillshade)->isChecked());
    }

    void hazardLayersScreenshot() {
        MapFixture f;
        f.map.resize(1000, 800);
        f.map.setLayerVisible(MapLayer::Slope, true);
        f.map.setLayerOpacity(MapLayer::Slope, 0.45);
        f.map.setLayerVisible(MapLayer::HazardMask, true);
        const QImage shot = f.frame();
        QVERIFY(shot.save(artefact(QStringLiteral("studio-hazard-layers.png"))));
        QVERIFY(f.map.lastFrame().error.isEmpty());
        // Closer: hazards at the DTM's cells over the image.
        for (int i = 0; i < 3; ++i) QTest::keyClick(&f.map, Qt::Key_Plus);
        QVERIFY(f.frame().save(artefact(QStringLiteral("studio-hazard-layers-zoomed.png"))));
        QVERIFY(f.map.lastFrame().error.isEmpty());
    }

    // ---- overviews from the map ----

    void mapOffersOverviewsAndUsesThem() {
        test::TempDir tmp;
        // A 4096-px orthoimage without overviews over the sample DTM's frame (a copy of the sample's
        // pixels, written here: the sample files are never modified).
        const terrain::Raster sample = terrain::Raster::open(sampleOrtho());
        const auto grid = sample.readWindowBytes({0, 0, sample.info().cols, sample.info().rows});
        const auto ortho = test::writeRaster(tmp / "ortho.tif", grid, sample.info().geoTransform);
        MapView map;
        map.resize(800, 600);
        std::vector<std::filesystem::path> offered;
        std::vector<double> shares;
        map.setOverviewPrompt([&](const std::vector<std::filesystem::path>& files) {
            offered = files;
            return buildOverviewsInBackground(files, [&](double s) {
                shares.push_back(s);
                return true;
            }).isEmpty();
        });
        auto site = std::make_shared<const terrain::Site>(terrain::Site::open(sampleDtm(), ortho));
        map.setSite(site);
        QCOMPARE(map.filesWithoutOverviews().size(), std::size_t(1));
        QTRY_COMPARE_WITH_TIMEOUT(offered.size(), std::size_t(1), 20000);
        QCOMPARE(offered[0], ortho);
        QTRY_VERIFY_WITH_TIMEOUT(map.filesWithoutOverviews().empty(), 20000);
        QVERIFY(!shares.empty());
        QVERIFY(std::filesystem::exists(ortho.string() + ".ovr"));
        // The view now draws the orthoimage from its new overviews; the site shown is the one given.
        QCOMPARE(map.site(), site.get());
        QVERIFY(map.layer(MapLayer::Orthoimage)->source().levels().size() >= 2);
        QCOMPARE(map.layer(MapLayer::Orthoimage)->source().levels()[1].rasterLevel, 1);
        QVERIFY(map.waitForTiles());
        QVERIFY(map.lastFrame().error.isEmpty());
    }
};

QTEST_MAIN(MapEngineTest)
#include "test_map_engine.moc"
