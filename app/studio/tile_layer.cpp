#include "studio/tile_layer.hpp"

#include "terrain/error.hpp"

#include <QPainter>

#include <algorithm>
#include <cmath>
#include <vector>

namespace traverse::studio {

namespace {

// A tile that could not be read: hatched, so that the gap is visible and not mistaken for terrain.
QImage unreadableTile(int cols, int rows) {
    QImage img(std::max(cols, 1), std::max(rows, 1), QImage::Format_ARGB32_Premultiplied);
    img.fill(QColor(90, 20, 20, 160));
    QPainter p(&img);
    p.setPen(QPen(QColor(230, 80, 80), 2));
    for (int x = -rows; x < cols; x += 16) p.drawLine(x, rows, x + rows, 0);
    return img;
}

// How many coarser levels a missing tile looks up for a stand-in.
constexpr int kStandInLevels = 4;

}  // namespace

TileLayer::TileLayer(std::shared_ptr<const TileSource> source, std::int64_t cacheBytes)
    : source_(std::move(source)), cache_(cacheBytes) {}

QImage TileLayer::unreadable(const TileKey& key) const {
    const terrain::MapExtent ext = source_->tileExtent(key.level, key.tx, key.ty);
    const double px = source_->levels()[std::size_t(key.level)].pixelSize;
    return unreadableTile(int(std::lround(ext.width() / px)), int(std::lround(ext.height() / px)));
}

QImage TileLayer::render(int level, int tx, int ty, FrameReport& report) {
    try {
        QImage img = source_->renderTile(level, tx, ty);
        ++stats_.tilesRendered;
        stats_.pixelsRead += source_->tileReadCost(level);
        ++report.tilesRendered;
        return img;
    } catch (const Error& e) {
        if (report.error.isEmpty()) report.error = QString::fromStdString(e.what());
        return unreadable({level, tx, ty});
    }
}

void TileLayer::insert(const TileKey& key, QImage image, std::int64_t pixelsRead, const QString& error) {
    if (!error.isEmpty() || image.isNull()) {
        cache_.insert(key, unreadable(key));
        return;
    }
    ++stats_.tilesRendered;
    stats_.pixelsRead += pixelsRead;
    cache_.insert(key, std::move(image));
}

std::int64_t TileLayer::readCost(const MapViewport& viewport, double dpr) const {
    const int level = source_->levelFor(viewport.metresPerPixel() / dpr);
    const TileSource::TileRange range = source_->tilesIn(level, viewport.visibleExtent());
    std::int64_t missing = 0;
    for (int ty = range.y0; ty < range.y1; ++ty)
        for (int tx = range.x0; tx < range.x1; ++tx)
            if (!cache_.contains({level, tx, ty})) ++missing;
    return missing * source_->tileReadCost(level);
}

QRectF TileLayer::screenRect(const MapViewport& viewport, double dpr, int level, int tx, int ty) const {
    // Edges snapped to device pixels, so that neighbouring tiles meet without a seam.
    auto snap = [dpr](double v) { return std::round(v * dpr) / dpr; };
    const terrain::MapExtent e = source_->tileExtent(level, tx, ty);
    const QPointF a = viewport.toScreen({e.minE, e.maxN});
    const QPointF b = viewport.toScreen({e.maxE, e.minN});
    return QRectF(QPointF(snap(a.x()), snap(a.y())), QPointF(snap(b.x()), snap(b.y())));
}

TileSource::TileRange TileLayer::beginFrame(QPainter& painter, const MapViewport& viewport, double dpr,
                                            FrameReport& report) const {
    const double mppDevice = viewport.metresPerPixel() / dpr;
    report.level = source_->levelFor(mppDevice);
    const TileSource::TileRange range = source_->tilesIn(report.level, viewport.visibleExtent());
    if (range.empty()) return range;
    report.unaffordable = source_->readLimited() && readCost(viewport, dpr) > kFrameReadLimit;
    painter.save();
    painter.setRenderHint(QPainter::SmoothPixmapTransform,
                          source_->levels()[std::size_t(report.level)].pixelSize < mppDevice);
    return range;
}

FrameReport TileLayer::draw(QPainter& painter, const MapViewport& viewport, double dpr) {
    FrameReport report;
    const TileSource::TileRange range = beginFrame(painter, viewport, dpr, report);
    if (range.empty()) return report;
    const int level = report.level;
    const std::int64_t cost = source_->tileReadCost(level);
    std::int64_t spent = 0;
    for (int ty = range.y0; ty < range.y1; ++ty) {
        for (int tx = range.x0; tx < range.x1; ++tx) {
            const TileKey key{level, tx, ty};
            const QImage* img = cache_.find(key);
            if (!img) {
                if (report.unaffordable) continue;
                // At least one tile per frame, so that progress is made whatever the budget.
                if (spent > 0 && spent + cost > kFrameReadBudget) {
                    ++report.tilesPending;
                    continue;
                }
                spent += cost;
                cache_.insert(key, render(level, tx, ty, report));
                img = cache_.find(key);
            }
            painter.drawImage(screenRect(viewport, dpr, level, tx, ty), *img, QRectF(img->rect()));
            ++report.tilesDrawn;
        }
    }
    painter.restore();
    return report;
}

bool TileLayer::drawStandIn(QPainter& painter, const MapViewport& viewport, double dpr, int level, int tx, int ty) {
    const QRectF target = screenRect(viewport, dpr, level, tx, ty);
    const terrain::MapExtent e = source_->tileExtent(level, tx, ty);
    // Shrunk a little so that a tile edge on a coarser tile's edge does not pull in its neighbour.
    const double inset = 1e-6 * std::max(e.width(), e.height());
    const terrain::MapExtent inner{e.minE + inset, e.minN + inset, e.maxE - inset, e.maxN - inset};
    const int top = std::min(int(source_->levels().size()) - 1, level + kStandInLevels);
    // Coarser levels first (zooming in, panning), then the next finer one (zooming out).
    std::vector<int> candidates;
    for (int up = level + 1; up <= top; ++up) candidates.push_back(up);
    if (level > 0) candidates.push_back(level - 1);
    for (const int up : candidates) {
        const TileSource::TileRange r = source_->tilesIn(up, inner);
        bool all = !r.empty() && (r.x1 - r.x0) * (r.y1 - r.y0) <= 9;
        for (int y = r.y0; all && y < r.y1; ++y)
            for (int x = r.x0; all && x < r.x1; ++x) all = cache_.contains({up, x, y});
        if (!all) continue;
        painter.save();
        painter.setClipRect(target, Qt::IntersectClip);
        painter.setRenderHint(QPainter::SmoothPixmapTransform, true);
        for (int y = r.y0; y < r.y1; ++y)
            for (int x = r.x0; x < r.x1; ++x) {
                const QImage* img = cache_.find({up, x, y});
                painter.drawImage(screenRect(viewport, dpr, up, x, y), *img, QRectF(img->rect()));
            }
        painter.restore();
        return true;
    }
    return false;
}

FrameReport TileLayer::drawCached(QPainter& painter, const MapViewport& viewport, double dpr,
                                  std::vector<TileKey>& missing) {
    FrameReport report;
    const TileSource::TileRange range = beginFrame(painter, viewport, dpr, report);
    if (range.empty()) return report;
    const int level = report.level;
    const QPointF centre(viewport.size().width() / 2.0, viewport.size().height() / 2.0);
    std::vector<std::pair<double, TileKey>> wanted;
    for (int ty = range.y0; ty < range.y1; ++ty) {
        for (int tx = range.x0; tx < range.x1; ++tx) {
            const TileKey key{level, tx, ty};
            if (const QImage* img = cache_.find(key)) {
                painter.drawImage(screenRect(viewport, dpr, level, tx, ty), *img, QRectF(img->rect()));
                ++report.tilesDrawn;
                continue;
            }
            drawStandIn(painter, viewport, dpr, level, tx, ty);
            if (report.unaffordable) continue;
            ++report.tilesPending;
            const QPointF d = screenRect(viewport, dpr, level, tx, ty).center() - centre;
            wanted.emplace_back(d.x() * d.x() + d.y() * d.y(), key);
        }
    }
    painter.restore();
    std::stable_sort(wanted.begin(), wanted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& w : wanted) missing.push_back(w.second);
    return report;
}

}  // namespace traverse::studio
