// traverse-studio's widgets, driven offscreen (QT_QPA_PLATFORM=offscreen) on the sample site.
#include "studio/main_window.hpp"
#include "studio/map_decorations.hpp"
#include "studio/map_readout.hpp"
#include "studio/map_view.hpp"
#include "studio/map_viewport.hpp"
#include "studio/open_site_dialog.hpp"
#include "studio/tile_cache.hpp"
#include "studio/tile_source.hpp"

#include "studio_test_support.hpp"
#include "support/test_support.hpp"
#include "terrain/site.hpp"

#include <gdal.h>

#include <QDialogButtonBox>
#include <QDir>
#include <QLineEdit>
#include <QPushButton>
#include <QMouseEvent>
#include <QStatusBar>
#include <QTest>
#include <QWheelEvent>

#include <cmath>

using namespace traverse;
using namespace traverse::studio;
using traverse::studio_test::artefact;
using traverse::studio_test::sampleDtm;
using traverse::studio_test::sampleOrtho;

namespace {

struct AreaStats {
    double stddev = 0.0;          // of the grey level
    double backgroundShare = 0.0; // pixels exactly the map's background colour
};

AreaStats statsOf(const QImage& image, const QRect& area) {
    const QRgb bg = MapView::backgroundColor().rgb() | 0xff000000u;
    double sum = 0, sum2 = 0, n = 0, bgCount = 0;
    for (int y = area.top(); y <= area.bottom(); ++y)
        for (int x = area.left(); x <= area.right(); ++x) {
            const QRgb c = image.pixel(x, y);
            const double g = qGray(c);
            sum += g;
            sum2 += g * g;
            n += 1;
            if ((c | 0xff000000u) == bg) bgCount += 1;
        }
    const double mean = sum / n;
    return {std::sqrt(std::max(0.0, sum2 / n - mean * mean)), bgCount / n};
}

// A window on the sample site, shown offscreen, that records errors instead of showing dialogs.
struct Fixture {
    MainWindow window;
    QStringList errors;
    bool ready = false;  // check with QVERIFY(f.ready): a failed QVERIFY here only leaves the constructor

    explicit Fixture(bool withOrtho = true) {
        window.setErrorReporter([this](const QString&, const QString& m) { errors << m; });
        window.resize(1200, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        if (withOrtho) QVERIFY(window.openSite(sampleDtm(), sampleOrtho()));
        QVERIFY(window.mapView()->waitForTiles());  // tiles arrive from worker threads
        ready = true;
    }
    MapView& map() { return *window.mapView(); }
    // The map area of a grab of the whole window.
    QRect mapArea() { return QRect(map().mapTo(&window, QPoint(0, 0)), map().size()); }
};

void wheel(QWidget& w, QPointF at, int notches) {
    QWheelEvent e(at, w.mapToGlobal(at), QPoint(), QPoint(0, 120 * notches), Qt::NoButton, Qt::NoModifier,
                  Qt::NoScrollPhase, false);
    QApplication::sendEvent(&w, &e);
}

void hover(QWidget& w, QPointF at) {
    QMouseEvent e(QEvent::MouseMove, at, w.mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &e);
}

}  // namespace

class StudioTest : public QObject {
    Q_OBJECT

private slots:
    // ---- pieces without a window ----

    void viewportMapsScreenToMapAndBack() {
        MapViewport v;
        v.setSize({800, 600});
        v.fit({1000, 2000, 1400, 2600}, 0.0);  // 400 x 600 m into 800 x 600 px: height decides
        QCOMPARE(v.metresPerPixel(), 1.0);
        const terrain::MapPoint p = v.toMap({100, 50});
        QCOMPARE(p.e, 1200.0 - 300.0);
        QCOMPARE(p.n, 2300.0 + 250.0);  // screen y grows southwards
        const QPointF s = v.toScreen(p);
        QCOMPARE(s, QPointF(100, 50));

        v.zoomAbout({100, 50}, 2.0, 0.01, 100.0);
        QCOMPARE(v.metresPerPixel(), 0.5);
        QVERIFY(std::abs(v.toMap({100, 50}).e - p.e) < 1e-9);  // the anchor stays put
        QVERIFY(std::abs(v.toMap({100, 50}).n - p.n) < 1e-9);
        v.zoomAbout({0, 0}, 1e6, 0.01, 100.0);
        QCOMPARE(v.metresPerPixel(), 0.01);  // clamped
    }

    void scaleBarUsesRoundLengths() {
        QCOMPARE(niceScaleLength(252.0), 200.0);
        QCOMPARE(niceScaleLength(180.0), 100.0);
        QCOMPARE(niceScaleLength(5.0), 5.0);
        QCOMPARE(niceScaleLength(0.9), 0.5);
        QCOMPARE(formatLength(200.0), QStringLiteral("200 m"));
        QCOMPARE(formatLength(2000.0), QStringLiteral("2 km"));
        QCOMPARE(formatLength(0.5), QStringLiteral("50 cm"));
    }

    void tileCacheEvictsLeastRecentlyUsed() {
        QImage tile(16, 16, QImage::Format_ARGB32_Premultiplied);  // 1 KiB
        TileCache cache(3 * tile.sizeInBytes());
        cache.insert({0, 0, 0}, tile);
        cache.insert({0, 1, 0}, tile);
        cache.insert({0, 2, 0}, tile);
        QVERIFY(cache.find({0, 0, 0}));  // now the most recent
        cache.insert({0, 3, 0}, tile);   // evicts (0, 1, 0)
        QCOMPARE(cache.size(), std::size_t(3));
        QVERIFY(cache.find({0, 0, 0}));
        QVERIFY(!cache.find({0, 1, 0}));
        QVERIFY(cache.bytes() <= 3 * tile.sizeInBytes());
    }

    void pyramidFollowsTheFileOverviews() {
        const terrain::Site site = terrain::Site::open(sampleDtm(), sampleOrtho());
        const ImageryTileSource source(*site.ortho());
        // 4096 px at 0.25 m with overviews 2..16: one level per file level, the last fits a tile.
        const auto& levels = source.levels();
        QCOMPARE(int(levels.size()), 5);
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(levels[std::size_t(i)].rasterLevel, i);
            QCOMPARE(levels[std::size_t(i)].pixelSize, 0.25 * (1 << i));
        }
        QCOMPARE(source.levelFor(0.05), 0);  // zoomed in past full resolution
        QCOMPARE(source.levelFor(0.25), 0);
        QCOMPARE(source.levelFor(1.4), 2);   // 1 m pixels for 1.4 m screen pixels
        QCOMPARE(source.levelFor(1000.0), 4);
        // A tile covers exactly its pixels: the last tile of level 0 ends at the image's corner.
        const terrain::MapExtent whole = site.ortho()->info().extent();
        const terrain::MapExtent last = source.tileExtent(0, 15, 15);
        QCOMPARE(last.maxE, whole.maxE);
        QCOMPARE(last.minN, whole.minN);

        // The DTM's .IMG has no overviews: levels beyond it are decimated in memory.
        const terrain::Raster img = terrain::Raster::open(test::sampleDir() / "sample_dtm.IMG");
        const HillshadeTileSource hill(img);
        QCOMPARE(int(hill.levels().size()), 3);  // 1024, then 512 and 256 by decimation
        QCOMPARE(hill.levels()[2].decimation, 4);
        QCOMPARE(hill.tileReadCost(2), std::int64_t(1024) * 1024);
    }

    void hillshadeLightsSlopesFromTheNorthWest() {
        // Planes of known aspect, 45 degrees steep: lit from azimuth 315, altitude 45, a slope facing
        // west or north is brighter than flat ground, one facing east or south darker.
        // grey = 30 + 225 * cos(angle to the sun): flat 189, facing W or N 222, facing E or S 63.
        test::TempDir tmp;
        const auto gt = terrain::GeoTransform::northUp({0.0, 0.0}, 2.0, 2.0);
        auto centreGrey = [&](const char* name, auto height) {
            terrain::Grid<float> z(64, 64);
            for (int r = 0; r < 64; ++r)
                for (int c = 0; c < 64; ++c) z.at(c, r) = float(height(c * 2.0, r * 2.0));
            const terrain::Raster dtm = terrain::Raster::open(test::writeRaster(tmp / name, z, gt));
            return qGray(HillshadeTileSource(dtm).renderTile(0, 0, 0).pixel(32, 32));
        };
        QCOMPARE(centreGrey("flat.tif", [](double, double) { return 5.0; }), 189);
        QCOMPARE(centreGrey("west.tif", [](double x, double) { return x; }), 222);    // rises to the east
        QCOMPARE(centreGrey("east.tif", [](double x, double) { return -x; }), 63);
        QCOMPARE(centreGrey("north.tif", [](double, double y) { return y; }), 222);   // rises to the south
        QCOMPARE(centreGrey("south.tif", [](double, double y) { return -y; }), 63);
    }

    // ---- the window ----

    void opensSampleSiteAndShowsOrthoimage() {
        Fixture f;
        QVERIFY(f.ready);
        QVERIFY(f.errors.isEmpty());
        QVERIFY(f.window.windowTitle().contains(QStringLiteral("sample_dtm.tif")));
        QVERIFY(f.window.windowTitle().contains(QStringLiteral("sample_ortho.tif")));
        QCOMPARE(f.map().imagery()->source().name(), QStringLiteral("orthoimage"));

        const QImage shot = f.window.grab().toImage();
        const QString path = artefact(QStringLiteral("studio-main-window.png"));
        QVERIFY(shot.save(path));
        qInfo("screenshot: %s", qPrintable(path));

        const AreaStats s = statsOf(shot, f.mapArea());
        QVERIFY2(s.stddev > 10.0, qPrintable(QStringLiteral("map is flat: stddev %1").arg(s.stddev)));
        // The site fills the map along one side; the letterbox is background.
        QVERIFY2(s.backgroundShare < 0.6, qPrintable(QStringLiteral("background share %1").arg(s.backgroundShare)));
        // Fitted: the whole site is visible, and the view is not much larger than needed.
        const terrain::MapExtent site = f.window.site()->extent(), view = f.map().visibleExtent();
        QVERIFY(view.minE <= site.minE && view.maxE >= site.maxE && view.minN <= site.minN && view.maxN >= site.maxN);
        // Fitted tightly along the constraining side (the docks decide which one it is).
        QVERIFY(std::min(view.width() / site.width(), view.height() / site.height()) < 1.1);
        // Square map pixels: the site's aspect on screen is its aspect in metres.
        const QPointF a = f.map().viewport().toScreen({site.minE, site.maxN});
        const QPointF b = f.map().viewport().toScreen({site.maxE, site.minN});
        QVERIFY(std::abs((b.x() - a.x()) / (b.y() - a.y()) - site.width() / site.height()) < 1e-9);
    }

    void zoomedOutViewReadsOverviewsOnly() {
        Fixture f;
        QVERIFY(f.ready);
        QVERIFY(f.map().waitForTiles());  // paints until the workers delivered every tile
        const TileLayer& layer = *f.map().imagery();
        const PyramidLevel& level = layer.source().levels()[std::size_t(f.map().lastFrame().level)];
        QVERIFY2(level.rasterLevel >= 2, qPrintable(QStringLiteral("drew file level %1").arg(level.rasterLevel)));
        const std::int64_t fullResPixels = 4096LL * 4096LL;
        QVERIFY(layer.stats().pixelsRead > 0);
        QVERIFY(layer.stats().pixelsRead <= fullResPixels / 8);

        // Zoomed in on a spot: full resolution, but only the few tiles on screen.
        for (int i = 0; i < 12; ++i) wheel(f.map(), f.map().rect().center(), 1);
        QVERIFY(f.map().metresPerPixel() < 0.25);
        const std::int64_t before = layer.stats().pixelsRead;
        QVERIFY(f.map().waitForTiles());
        QVERIFY(f.window.grab().save(artefact(QStringLiteral("studio-zoomed-in.png"))));
        QCOMPARE(layer.source().levels()[std::size_t(f.map().lastFrame().level)].rasterLevel, 0);
        QVERIFY(f.map().lastFrame().tilesDrawn <= 16);
        QVERIFY(layer.stats().pixelsRead - before <= 16LL * kTileSize * kTileSize);
        QVERIFY(f.map().lastFrame().error.isEmpty());
    }

    void wheelZoomsAboutTheCursor() {
        Fixture f;
        QVERIFY(f.ready);
        const terrain::MapExtent before = f.map().visibleExtent();
        const QPointF at(f.map().width() * 0.3, f.map().height() * 0.4);
        const terrain::MapPoint under = f.map().viewport().toMap(at);

        wheel(f.map(), at, 2);
        const terrain::MapExtent after = f.map().visibleExtent();
        QVERIFY(after.width() < before.width() * 0.7);  // 1.25^2 = 1.5625 times closer
        QVERIFY(std::abs(after.width() * 1.5625 - before.width()) < 1e-6 * before.width());
        const terrain::MapPoint still = f.map().viewport().toMap(at);
        QVERIFY(std::abs(still.e - under.e) < 1e-6 && std::abs(still.n - under.n) < 1e-6);

        wheel(f.map(), at, -2);
        QVERIFY(std::abs(f.map().visibleExtent().width() - before.width()) < 1e-6 * before.width());
    }

    void dragPansTheMap() {
        Fixture f;
        QVERIFY(f.ready);
        wheel(f.map(), f.map().rect().center(), 3);
        const terrain::MapExtent before = f.map().visibleExtent();
        const double mpp = f.map().metresPerPixel();
        const QPoint from = f.map().rect().center();
        const QPoint to = from + QPoint(150, 0);

        QTest::mousePress(&f.map(), Qt::LeftButton, {}, from);
        QTest::mouseMove(&f.map(), from + QPoint(75, 0));
        QTest::mouseMove(&f.map(), to);
        QTest::mouseRelease(&f.map(), Qt::LeftButton, {}, to);
        QVERIFY(f.window.grab().save(artefact(QStringLiteral("studio-panned.png"))));

        // Dragging to the right pulls the map along: the view now looks further west.
        const terrain::MapExtent after = f.map().visibleExtent();
        QVERIFY(std::abs((before.minE - after.minE) - 150 * mpp) < 1e-6);
        QVERIFY(std::abs(after.maxN - before.maxN) < 1e-6);
        QCOMPARE(f.map().metresPerPixel(), mpp);
    }

    void keyboardZoomsPansAndFits() {
        Fixture f;
        QVERIFY(f.ready);
        const terrain::MapExtent fitted = f.map().visibleExtent();
        QTest::keyClick(&f.map(), Qt::Key_Plus);
        const terrain::MapExtent zoomed = f.map().visibleExtent();
        QVERIFY(zoomed.width() < fitted.width());
        QTest::keyClick(&f.map(), Qt::Key_Right);
        QVERIFY(f.map().visibleExtent().minE > zoomed.minE);
        QTest::keyClick(&f.map(), Qt::Key_Up);
        QVERIFY(f.map().visibleExtent().maxN > zoomed.maxN);
        QTest::keyClick(&f.map(), Qt::Key_F);
        QVERIFY(std::abs(f.map().visibleExtent().minE - fitted.minE) < 1e-6);
        QVERIFY(std::abs(f.map().visibleExtent().width() - fitted.width()) < 1e-6);

        QTest::keyClick(&f.map(), Qt::Key_Minus);
        QVERIFY(f.map().visibleExtent().width() > fitted.width());
        QTest::mouseDClick(&f.map(), Qt::LeftButton, {}, f.map().rect().center());
        QVERIFY(std::abs(f.map().visibleExtent().width() - fitted.width()) < 1e-6);
    }

    void statusBarShowsPositionAndElevation() {
        Fixture f;
        QVERIFY(f.ready);
        const terrain::Site& site = *f.window.site();
        const terrain::Raster& dtm = site.dtm();

        // A valid cell: the readout's elevation is the DTM's value at the cell under the cursor.
        const QPointF at(f.map().width() / 2.0 + 0.3, f.map().height() / 2.0 + 0.3);
        hover(f.map(), at);
        const terrain::MapPoint p = f.map().viewport().toMap(at);
        const terrain::PixelPoint px = site.geoTransform().toPixel(p);
        const float z = dtm.readWindow({int(px.col), int(px.row), 1, 1}).values[0];
        const QString text = f.window.cursorText();
        QVERIFY2(text.contains(QStringLiteral("E %1 m").arg(p.e, 0, 'f', 2)), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("N %1 m").arg(p.n, 0, 'f', 2)), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("elevation %1 m").arg(double(z), 0, 'f', 2)), qPrintable(text));

        // A nodata cell of the sample DTM (it has a gap): "nodata".
        const terrain::Grid<float> all = dtm.readWindow({0, 0, dtm.info().cols, dtm.info().rows});
        std::optional<terrain::PixelPoint> gap;
        for (int r = 0; r < all.rows && !gap; ++r)
            for (int c = 0; c < all.cols && !gap; ++c)
                if (terrain::isNoData(all.at(c, r), dtm.info().noData)) gap = terrain::PixelPoint{c + 0.5, r + 0.5};
        QVERIFY(gap);
        hover(f.map(), f.map().viewport().toScreen(site.geoTransform().toMap(*gap)));
        QVERIFY2(f.window.cursorText().endsWith(QStringLiteral("elevation nodata")), qPrintable(f.window.cursorText()));

        // Off the site (the letterbox beside it).
        hover(f.map(), QPointF(2, f.map().height() / 2.0));
        QVERIFY2(f.window.cursorText().endsWith(QStringLiteral("outside the DTM")), qPrintable(f.window.cursorText()));
    }

    void missingFileReportsErrorAndKeepsSite() {
        Fixture f;
        QVERIFY(f.ready);
        const terrain::Site* open = f.window.site();
        const QString title = f.window.windowTitle();
        const terrain::MapExtent view = f.map().visibleExtent();

        test::TempDir tmp;
        const auto missing = tmp / "no_such_dtm.tif";
        QVERIFY(!f.window.openSite(missing, std::nullopt));
        QCOMPARE(f.errors.size(), 1);
        QVERIFY2(f.errors[0].contains(QStringLiteral("no_such_dtm.tif")), qPrintable(f.errors[0]));

        // A good DTM with a missing orthoimage fails as a whole, naming the orthoimage.
        QVERIFY(!f.window.openSite(sampleDtm(), tmp / "no_such_ortho.tif"));
        QCOMPARE(f.errors.size(), 2);
        QVERIFY2(f.errors[1].contains(QStringLiteral("no_such_ortho.tif")), qPrintable(f.errors[1]));

        QCOMPARE(f.window.site(), open);
        QCOMPARE(f.map().site(), open);
        QCOMPARE(f.window.windowTitle(), title);
        QCOMPARE(f.map().visibleExtent().minE, view.minE);
        QCOMPARE(f.map().visibleExtent().width(), view.width());
    }

    void siteWithoutOrthoShowsHillshade() {
        Fixture f(false);
        QVERIFY(f.ready);
        QVERIFY(f.window.openSite(test::sampleDir() / "sample_dtm.IMG", std::nullopt));
        QCOMPARE(f.map().imagery()->source().name(), QStringLiteral("DTM hillshade"));
        QVERIFY(!f.window.windowTitle().contains(QStringLiteral("+")));
        QVERIFY(f.map().waitForTiles());
        const QImage shot = f.window.grab().toImage();
        QVERIFY(shot.save(artefact(QStringLiteral("studio-hillshade.png"))));
        const AreaStats s = statsOf(shot, f.mapArea());
        QVERIFY2(s.stddev > 10.0, qPrintable(QStringLiteral("stddev %1").arg(s.stddev)));
        QVERIFY(s.backgroundShare < 0.6);
        QVERIFY(f.map().lastFrame().error.isEmpty());
    }

    void openSiteDialogNeedsADtm() {
        OpenSiteDialog dialog(sampleDtm(), std::nullopt);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QVERIFY(dialog.grab().save(artefact(QStringLiteral("studio-open-site-dialog.png"))));
        QPushButton* open = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Open);
        QCOMPARE(dialog.dtmPath(), sampleDtm());
        QVERIFY(!dialog.orthoPath());
        QVERIFY(open->isEnabled());

        const auto fields = dialog.findChildren<QLineEdit*>();
        QCOMPARE(fields.size(), 2);
        fields[0]->clear();
        QVERIFY(!open->isEnabled());  // the DTM is required
        QTest::keyClicks(fields[0], QStringLiteral(" a.tif "));
        QVERIFY(open->isEnabled());
        QCOMPARE(dialog.dtmPath(), std::filesystem::path("a.tif"));
        QTest::keyClicks(fields[1], QStringLiteral("b.tif"));
        QCOMPARE(dialog.orthoPath(), std::optional<std::filesystem::path>("b.tif"));
    }

    void imageryWithoutOverviewsFallsBackToHillshade() {
        // A 16384^2 orthoimage without overviews (sparse: nothing is written, reads are zeros) over a
        // 256^2 DTM of the same frame. Seen whole, the orthoimage would need a full read.
        test::TempDir tmp;
        const double orthoPx = 0.25, dtmPx = 16.0;
        const auto gt = terrain::GeoTransform::northUp({1000.0, 5000.0}, dtmPx, dtmPx);
        terrain::Grid<float> z(256, 256);
        for (int r = 0; r < z.rows; ++r)
            for (int c = 0; c < z.cols; ++c) z.at(c, r) = float(40.0 * std::sin(c / 9.0) * std::cos(r / 13.0));
        const auto dtm = test::writeRaster(tmp / "dtm.tif", z, gt);
        const auto ortho = tmp / "ortho.tif";
        {
            GDALAllRegister();
            const char* options[] = {"TILED=YES", "SPARSE_OK=TRUE", nullptr};
            GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), ortho.c_str(), 16384, 16384, 1, GDT_Byte,
                                         const_cast<char**>(options));
            QVERIFY(ds);
            double g[6] = {1000.0, orthoPx, 0.0, 5000.0, 0.0, -orthoPx};
            GDALSetGeoTransform(ds, g);
            GDALSetProjection(ds, test::marsEqcWkt().c_str());
            GDALClose(ds);
        }

        Fixture f(false);
        QVERIFY(f.ready);
        QVERIFY(f.window.openSite(dtm, ortho));
        f.window.grab();
        QCOMPARE(f.map().lastLayer()->source().name(), QStringLiteral("DTM hillshade"));
        QCOMPARE(f.map().imagery()->stats().pixelsRead, std::int64_t(0));
        QVERIFY(f.map().lastLayer()->stats().pixelsRead <= 256 * 256 * 4);
        QVERIFY(f.window.grab().save(artefact(QStringLiteral("studio-no-overviews.png"))));

        // Zoomed in far enough, the orthoimage is back, read only where the view is.
        for (int i = 0; i < 30 && f.map().lastLayer() != f.map().imagery(); ++i) {
            wheel(f.map(), f.map().rect().center(), 1);
            f.window.grab();
        }
        QCOMPARE(f.map().lastLayer(), f.map().imagery());
        QVERIFY(f.map().imagery()->stats().pixelsRead <= TileLayer::kFrameReadLimit);
    }
};

QTEST_MAIN(StudioTest)
#include "test_studio.moc"
