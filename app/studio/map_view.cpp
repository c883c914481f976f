#include "studio/map_view.hpp"

#include "studio/hazard_tile_source.hpp"
#include "studio/map_decorations.hpp"
#include "studio/map_overlay.hpp"

#include "terrain/error.hpp"
#include "terrain/site.hpp"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QTimer>
#include <QThread>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <utility>

namespace traverse::studio {

namespace {

constexpr double kWheelStep = 1.25;      // zoom factor per wheel notch
constexpr double kKeyStep = 1.5;         // zoom factor per +/- key press
constexpr double kKeyPanShare = 0.25;    // share of the view an arrow key pans
constexpr double kMaxMagnification = 16; // screen pixels per finest image pixel, at most
constexpr double kMaxZoomOut = 4;        // times the fitted extent, at most
// Rendered tiles kept per layer. The imagery gets most: it is what a planner pans over; hazard tiles
// are recomputed from the DTM on a miss. About 0.5 GB at most in all.
constexpr std::int64_t kImageryCacheBytes = 192LL << 20;
constexpr std::int64_t kOtherCacheBytes = 48LL << 20;
// GDAL's block cache (process-wide): bounded, so that panning a large image stays within memory.
constexpr std::int64_t kGdalCacheBytes = 128LL << 20;
// A file larger than this (pixels a side) without overviews is offered overviews.
constexpr int kOverviewsWorthFrom = 4 * kTileSize;

}  // namespace

MapView::MapView(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setCursor(Qt::OpenHandCursor);
    opacity_.fill(1.0);
    opacity_[std::size_t(MapLayer::Slope)] = opacity_[std::size_t(MapLayer::Roughness)] =
        opacity_[std::size_t(MapLayer::Step)] = opacity_[std::size_t(MapLayer::Cost)] = 0.6;
    opacity_[std::size_t(MapLayer::HazardMask)] = 0.8;
    terrain::limitRasterCache(kGdalCacheBytes);
    // Results arrive on a worker thread: into the inbox, and the first of a batch asks for a
    // repaint (posted to this object, dropped if it is gone), which takes them all.
    loader_ = std::make_unique<TileLoader>([this](TileLoader::Result r) {
        bool first = false;
        {
            std::lock_guard lock(inboxMutex_);
            first = inbox_.empty();
            inbox_.push_back(std::move(r));
        }
        if (first) QMetaObject::invokeMethod(this, [this] { drainInbox(); update(); }, Qt::QueuedConnection);
    });
}

MapView::~MapView() {
    if (hazardCache_) cancelHazardOverview(*hazardCache_);
    loader_.reset();  // joins the workers before anything they post to is destroyed
}

const TileLayer* MapView::imagery() const {
    if (const TileLayer* o = layer(MapLayer::Orthoimage)) return o;
    return layer(MapLayer::Hillshade);
}

void MapView::buildLayers(std::shared_ptr<const terrain::Site> rendered) {
    // Build the new layers before touching the view, so that a failure leaves it as it was.
    std::array<std::unique_ptr<TileLayer>, kMapLayerCount> layers;
    bool async = false;
    std::uint64_t generation = generation_;
    std::shared_ptr<HazardTileCache> hazardCache;
    // The layers being replaced may be computing a hazard overview: stop it (it takes seconds on a
    // large DTM, and the loader's reset waits for the tile being rendered).
    auto replaceHazardCache = [&] {
        if (hazardCache_) cancelHazardOverview(*hazardCache_);
        hazardCache_ = hazardCache;
    };
    if (rendered) {
        const terrain::Raster& dtm = rendered->dtm();
        auto at = [&](MapLayer l) -> std::unique_ptr<TileLayer>& { return layers[std::size_t(l)]; };
        if (const terrain::Raster* ortho = rendered->ortho())
            at(MapLayer::Orthoimage) =
                std::make_unique<TileLayer>(std::make_shared<ImageryTileSource>(*ortho), kImageryCacheBytes);
        at(MapLayer::Hillshade) = std::make_unique<TileLayer>(std::make_shared<HillshadeTileSource>(dtm),
                                                              rendered->ortho() ? kOtherCacheBytes : kImageryCacheBytes);
        hazardCache = HazardTileSource::makeCache();
        for (MapLayer l : kMapLayers)
            if (isHazardLayer(l))
                at(l) = std::make_unique<TileLayer>(
                    std::make_shared<HazardTileSource>(dtm, l, hazardParams_, hazardCache), kOtherCacheBytes);
        replaceHazardCache();
        try {
            generation = loader_->reset({&dtm, rendered->ortho()}, rendered);
            async = true;
        } catch (const Error&) {
            // The files cannot be opened a second time (e.g. removed since): draw on this thread.
            generation = loader_->reset({}, nullptr);
        }
    } else {
        replaceHazardCache();
        generation = loader_->reset({}, nullptr);
    }
    layers_ = std::move(layers);
    rendered_ = std::move(rendered);
    asyncTiles_ = async;
    generation_ = generation;
    pendingTiles_ = 0;
}

void MapView::setSite(std::shared_ptr<const terrain::Site> site) {
    buildLayers(site);
    lastLayer_ = nullptr;
    site_ = std::move(site);
    // The base: the orthoimage, or the hillshade for a site without one; hazards start hidden.
    visible_.fill(false);
    if (site_) visible_[std::size_t(site_->ortho() ? MapLayer::Orthoimage : MapLayer::Hillshade)] = true;
    lastProblem_.clear();
    lastFrame_ = {};
    fitToSite();
    emit layersChanged();
    if (site_ && overviewPrompt_ && !filesWithoutOverviews().empty())
        QTimer::singleShot(0, this, [this, shown = site_.get()] {
            if (site_.get() == shown) offerOverviews();
        });
}

std::vector<std::filesystem::path> MapView::filesWithoutOverviews() const {
    std::vector<std::filesystem::path> files;
    if (!rendered_) return files;
    auto check = [&](const terrain::Raster* r) {
        if (r && r->info().overviews.empty() && std::max(r->info().cols, r->info().rows) > kOverviewsWorthFrom)
            files.push_back(r->path());
    };
    check(rendered_->orthoSource());
    check(&rendered_->dtm());
    return files;
}

void MapView::offerOverviews() {
    const auto files = filesWithoutOverviews();
    if (files.empty() || !overviewPrompt_ || !overviewPrompt_(files) || !site_) return;
    try {
        // Reopened, the files show their new overviews; the site shown stays the one given.
        const terrain::Raster* ortho = site_->orthoSource();
        auto reopened = std::make_shared<const terrain::Site>(terrain::Site::open(
            site_->dtm().path(), ortho ? std::optional<std::filesystem::path>(ortho->path()) : std::nullopt));
        buildLayers(std::move(reopened));
        lastLayer_ = nullptr;
        lastFrame_ = {};
        update();
        emit layersChanged();
    } catch (const Error& e) {
        emit renderProblem(QString::fromStdString(e.what()));
    }
}

void MapView::setHazardParams(const terrain::HazardParams& params) {
    if (rendered_) terrain::hazardWindows(params, rendered_->dtm().info().geoTransform.pixelWidth());  // validates
    hazardParams_ = params;
    if (rendered_) {
        buildLayers(rendered_);
        lastLayer_ = nullptr;
        lastFrame_ = {};
    }
    update();
    emit layersChanged();
}

void MapView::setLayerVisible(MapLayer which, bool visible) {
    bool& v = visible_[std::size_t(which)];
    if (v == visible) return;
    v = visible;
    update();
    emit layersChanged();
}

void MapView::setLayerOpacity(MapLayer which, double opacity) {
    opacity = std::clamp(opacity, 0.0, 1.0);
    double& o = opacity_[std::size_t(which)];
    if (o == opacity) return;
    o = opacity;
    update();
    emit layersChanged();
}

void MapView::drainInbox() {
    std::vector<TileLoader::Result> arrived;
    {
        std::lock_guard lock(inboxMutex_);
        arrived.swap(inbox_);
    }
    for (const TileLoader::Result& r : arrived) {
        if (r.generation != generation_ || r.layer < 0 || r.layer >= kMapLayerCount) continue;
        TileLayer* layer = layers_[std::size_t(r.layer)].get();
        if (!layer) continue;
        layer->insert(r.key, r.image, r.pixelsRead, r.error);
        if (!r.error.isEmpty() && r.error != lastProblem_) {
            lastProblem_ = r.error;
            // Not from inside a paint: a receiver may open a dialog.
            QTimer::singleShot(0, this, [this, message = r.error] { emit renderProblem(message); });
        }
    }
}

bool MapView::waitForTiles(int timeoutMs) {
    QElapsedTimer clock;
    clock.start();
    QImage frame(size().expandedTo({1, 1}), QImage::Format_ARGB32_Premultiplied);
    for (;;) {
        QCoreApplication::processEvents();
        render(&frame);  // paints now, visible or not: requests what is missing
        if (!tilesLoading()) return true;
        if (clock.elapsed() > timeoutMs) return false;
        QThread::msleep(2);
    }
}

void MapView::fitToSite() {
    viewport_.setSize(size());
    if (site_) viewport_.fit(site_->extent());
    fitted_ = true;
    changed();
}

void MapView::zoomIn() { zoomAbout(rect().center(), kKeyStep); }
void MapView::zoomOut() { zoomAbout(rect().center(), 1.0 / kKeyStep); }

void MapView::zoomAbout(QPointF anchor, double factor) {
    if (!site_) return;
    const double before = viewport_.metresPerPixel();
    const auto [minMpp, maxMpp] = scaleLimits();
    viewport_.zoomAbout(anchor, factor, minMpp, maxMpp);
    viewport_.clampCenterTo(site_->extent());
    if (viewport_.metresPerPixel() == before) return;
    fitted_ = false;
    changed();
}

void MapView::panBy(QPointF pixels) {
    if (!site_) return;
    viewport_.panByPixels(pixels);
    viewport_.clampCenterTo(site_->extent());
    fitted_ = false;
    changed();
}

std::pair<double, double> MapView::scaleLimits() const {
    const terrain::MapExtent e = site_->extent();
    const TileLayer* base = imagery();
    const double finest = base ? base->source().levels().front().pixelSize : site_->geoTransform().pixelWidth();
    const double fitMpp = std::max(e.width() / std::max(1, width()), e.height() / std::max(1, height()));
    const double minMpp = finest / kMaxMagnification;
    return {minMpp, std::max(minMpp, fitMpp * kMaxZoomOut)};
}

void MapView::changed() {
    update();
    emit viewChanged();
}

void MapView::resizeEvent(QResizeEvent*) {
    viewport_.setSize(size());
    if (fitted_ && site_) viewport_.fit(site_->extent());
    emit viewChanged();
}

void MapView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), backgroundColor());
    if (!site_ || !imagery()) {
        pendingTiles_ = 0;
        drawPlaceholder(p, tr("File \u25B8 Open site\u2026 to show a DTM and its orthoimage"));
        return;
    }
    drainInbox();
    const double dpr = devicePixelRatioF();
    std::vector<TileLoader::Job> jobs;
    int pending = 0;
    const TileLayer* ortho = layer(MapLayer::Orthoimage);
    const TileLayer* hillshade = layer(MapLayer::Hillshade);
    lastLayer_ = nullptr;
    lastFrame_ = {};
    for (MapLayer which : kMapLayers) {
        if (!layerVisible(which)) continue;
        MapLayer drawn = which;
        // The hillshade stands in for an orthoimage without overviews for this scale.
        if (which == MapLayer::Orthoimage && !ortho->affordable(viewport_, dpr) && hillshade &&
            hillshade->affordable(viewport_, dpr) && !layerVisible(MapLayer::Hillshade))
            drawn = MapLayer::Hillshade;
        TileLayer& L = *layers_[std::size_t(drawn)];
        p.save();
        p.setOpacity(layerOpacity(which));
        FrameReport report;
        if (asyncTiles_) {
            std::vector<TileKey> missing;
            report = L.drawCached(p, viewport_, dpr, missing);
            for (const TileKey& k : missing) jobs.push_back({int(drawn), k, L.sharedSource()});
        } else {
            report = L.draw(p, viewport_, dpr);
        }
        p.restore();
        pending += report.tilesPending;
        if (!lastLayer_ && !isHazardLayer(which)) {
            lastLayer_ = &L;
            lastFrame_ = report;
        }
        if (!report.error.isEmpty() && lastFrame_.error.isEmpty()) lastFrame_.error = report.error;
    }
    pendingTiles_ = pending;
    if (asyncTiles_) {
        loader_->request(std::move(jobs));
    } else if (pending > 0 && !repaintQueued_) {
        // Finish the frame in the next paint, letting input events through in between.
        repaintQueued_ = true;
        QTimer::singleShot(0, this, [this] {
            repaintQueued_ = false;
            update();
        });
    }
    if (ortho && lastLayer_ == hillshade && layerVisible(MapLayer::Orthoimage) && !layerVisible(MapLayer::Hillshade))
        drawBanner(p, rect(),
                   tr("Showing the %1: the %2 has no overviews for this scale (zoom in, or build overviews: gdaladdo)")
                       .arg(hillshade->source().name(), ortho->source().name()));
    else if (lastFrame_.unaffordable && lastLayer_)
        drawBanner(p, rect(), tr("The %1 has no overviews for this scale: zoom in, or build overviews (gdaladdo)")
                                  .arg(lastLayer_->source().name()));
    if (!lastFrame_.error.isEmpty() && lastFrame_.error != lastProblem_) {
        lastProblem_ = lastFrame_.error;
        // Not from inside the paint: a receiver may open a dialog.
        QTimer::singleShot(0, this, [this, message = lastProblem_] { emit renderProblem(message); });
    }
    for (MapOverlay* o : overlays_) {
        p.save();
        o->paint(p, viewport_);
        p.restore();
    }
    drawScaleBar(p, rect(), viewport_.metresPerPixel());
    drawNorthArrow(p, rect());
}

void MapView::addOverlay(MapOverlay* overlay) {
    if (overlay && std::find(overlays_.begin(), overlays_.end(), overlay) == overlays_.end()) overlays_.push_back(overlay);
    update();
}

void MapView::removeOverlay(MapOverlay* overlay) {
    overlays_.erase(std::remove(overlays_.begin(), overlays_.end(), overlay), overlays_.end());
    if (mouseGrabber_ == overlay) mouseGrabber_ = nullptr;
    update();
}

void MapView::drawPlaceholder(QPainter& p, const QString& text) {
    p.save();
    p.setPen(QColor(220, 220, 220));
    p.drawText(rect().adjusted(20, 20, -20, -20), Qt::AlignCenter | Qt::TextWordWrap, text);
    p.restore();
}

void MapView::wheelEvent(QWheelEvent* event) {
    const double notches = event->angleDelta().y() / 120.0;
    if (notches != 0.0) zoomAbout(event->position(), std::pow(kWheelStep, notches));
    event->accept();
}

void MapView::mousePressEvent(QMouseEvent* event) {
    if (site_)
        for (auto it = overlays_.rbegin(); it != overlays_.rend(); ++it)
            if ((*it)->mousePress(event, viewport_.toMap(event->position()))) {
                mouseGrabber_ = *it;
                event->accept();
                update();
                return;
            }
    if (event->button() == Qt::LeftButton) {
        dragFrom_ = event->position();
        setCursor(Qt::ClosedHandCursor);
    }
    event->accept();
}

void MapView::mouseMoveEvent(QMouseEvent* event) {
    if (site_) {
        const terrain::MapPoint at = viewport_.toMap(event->position());
        bool taken = mouseGrabber_ && mouseGrabber_->mouseMove(event, at);
        for (auto it = overlays_.rbegin(); !taken && !dragFrom_ && it != overlays_.rend(); ++it)
            taken = (*it)->mouseMove(event, at);  // hover feedback
        if (taken) {
            update();
            emit cursorMoved(at);
            return;
        }
    }
    if (dragFrom_) {
        const QPointF delta = event->position() - *dragFrom_;
        dragFrom_ = event->position();
        if (!delta.isNull()) panBy(delta);
    }
    if (site_) emit cursorMoved(viewport_.toMap(event->position()));
}

void MapView::mouseReleaseEvent(QMouseEvent* event) {
    if (mouseGrabber_) {
        MapOverlay* grabber = std::exchange(mouseGrabber_, nullptr);
        grabber->mouseRelease(event, viewport_.toMap(event->position()));
        event->accept();
        update();
        return;
    }
    if (event->button() == Qt::LeftButton && dragFrom_) {
        const QPointF delta = event->position() - *dragFrom_;
        if (!delta.isNull()) panBy(delta);
        dragFrom_.reset();
        setCursor(Qt::OpenHandCursor);
    }
    event->accept();
}

void MapView::mouseDoubleClickEvent(QMouseEvent* event) {
    if (site_)
        for (auto it = overlays_.rbegin(); it != overlays_.rend(); ++it)
            if ((*it)->mouseDoubleClick(event, viewport_.toMap(event->position()))) {
                event->accept();
                update();
                return;
            }
    if (event->button() == Qt::LeftButton) fitToSite();
    event->accept();
}

void MapView::keyPressEvent(QKeyEvent* event) {
    for (auto it = overlays_.rbegin(); it != overlays_.rend(); ++it)
        if ((*it)->keyPress(event)) {
            event->accept();
            update();
            return;
        }
    const double dx = width() * kKeyPanShare, dy = height() * kKeyPanShare;
    switch (event->key()) {
        case Qt::Key_Plus:
        case Qt::Key_Equal: zoomIn(); break;
        case Qt::Key_Minus: zoomOut(); break;
        // An arrow looks that way: the content moves the other way.
        case Qt::Key_Left: panBy({dx, 0}); break;
        case Qt::Key_Right: panBy({-dx, 0}); break;
        case Qt::Key_Up: panBy({0, dy}); break;
        case Qt::Key_Down: panBy({0, -dy}); break;
        case Qt::Key_F:
        case Qt::Key_Home: fitToSite(); break;
        default: QWidget::keyPressEvent(event); return;
    }
    event->accept();
}

void MapView::leaveEvent(QEvent*) { emit cursorLeft(); }

}  // namespace traverse::studio
