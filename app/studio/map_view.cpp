#include "studio/map_view.hpp"

#include "studio/map_decorations.hpp"
#include "studio/map_overlay.hpp"

#include "terrain/site.hpp"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QTimer>
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

}  // namespace

MapView::MapView(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setCursor(Qt::OpenHandCursor);
}

MapView::~MapView() = default;

void MapView::setSite(std::shared_ptr<const terrain::Site> site) {
    // Build the new layers before touching the view, so that a failure leaves it as it was.
    std::unique_ptr<TileLayer> imagery, standIn;
    if (site) {
        auto hillshade = std::make_unique<TileLayer>(std::make_unique<HillshadeTileSource>(site->dtm()));
        if (const terrain::Raster* ortho = site->ortho()) {
            imagery = std::make_unique<TileLayer>(std::make_unique<ImageryTileSource>(*ortho));
            standIn = std::move(hillshade);
        } else {
            imagery = std::move(hillshade);
        }
    }
    lastLayer_ = nullptr;
    imagery_ = std::move(imagery);
    standIn_ = std::move(standIn);
    site_ = std::move(site);
    lastProblem_.clear();
    lastFrame_ = {};
    fitToSite();
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
    const double finest = imagery_ ? imagery_->source().levels().front().pixelSize : site_->geoTransform().pixelWidth();
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
    if (!site_ || !imagery_) {
        drawPlaceholder(p, tr("File \u25B8 Open site\u2026 to show a DTM and its orthoimage"));
        return;
    }
    const double dpr = devicePixelRatioF();
    TileLayer* layer = imagery_.get();
    if (standIn_ && !imagery_->affordable(viewport_, dpr) && standIn_->affordable(viewport_, dpr))
        layer = standIn_.get();
    lastLayer_ = layer;
    lastFrame_ = layer->draw(p, viewport_, dpr);
    if (lastFrame_.tilesPending > 0 && !repaintQueued_) {
        // Finish the frame in the next paint, letting input events through in between.
        repaintQueued_ = true;
        QTimer::singleShot(0, this, [this] {
            repaintQueued_ = false;
            update();
        });
    }
    if (layer != imagery_.get())
        drawBanner(p, rect(),
                   tr("Showing the %1: the %2 has no overviews for this scale (zoom in, or build them with gdaladdo)")
                       .arg(layer->source().name(), imagery_->source().name()));
    else if (lastFrame_.unaffordable)
        drawBanner(p, rect(), tr("The %1 has no overviews for this scale: zoom in, or build them with gdaladdo")
                                  .arg(imagery_->source().name()));
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
