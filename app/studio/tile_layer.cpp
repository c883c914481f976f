#include "studio/tile_layer.hpp"

#include "terrain/error.hpp"

#include <QPainter>

#include <cmath>

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

}  // namespace

TileLayer::TileLayer(std::unique_ptr<TileSource> source, std::int64_t cacheBytes)
    : source_(std::move(source)), cache_(cacheBytes) {}

QImage TileLayer::render(int level, int tx, int ty, FrameReport& report) {
    try {
        QImage img = source_->renderTile(level, tx, ty);
        ++stats_.tilesRendered;
        stats_.pixelsRead += source_->tileReadCost(level);
        ++report.tilesRendered;
        return img;
    } catch (const Error& e) {
        if (report.error.isEmpty()) report.error = QString::fromStdString(e.what());
        const terrain::MapExtent ext = source_->tileExtent(level, tx, ty);
        const double px = source_->levels()[std::size_t(level)].pixelSize;
        return unreadableTile(int(std::lround(ext.width() / px)), int(std::lround(ext.height() / px)));
    }
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

FrameReport TileLayer::draw(QPainter& painter, const MapViewport& viewport, double dpr) {
    FrameReport report;
    const double mppDevice = viewport.metresPerPixel() / dpr;
    report.level = source_->levelFor(mppDevice);
    const int level = report.level;
    const TileSource::TileRange range = source_->tilesIn(level, viewport.visibleExtent());
    if (range.empty()) return report;

    const std::int64_t cost = source_->tileReadCost(level);
    report.unaffordable = readCost(viewport, dpr) > kFrameReadLimit;

    // Downsampled tiles are smoothed; magnified ones show their pixels as squares, as an analyst
    // expects when inspecting rocks at full resolution.
    painter.save();
    painter.setRenderHint(QPainter::SmoothPixmapTransform,
                          source_->levels()[std::size_t(level)].pixelSize < mppDevice);
    auto snap = [dpr](double v) { return std::round(v * dpr) / dpr; };
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
            // Edges snapped to device pixels, so that neighbouring tiles meet without a seam.
            const terrain::MapExtent e = source_->tileExtent(level, tx, ty);
            const QPointF a = viewport.toScreen({e.minE, e.maxN});
            const QPointF b = viewport.toScreen({e.maxE, e.minN});
            const QRectF target(QPointF(snap(a.x()), snap(a.y())), QPointF(snap(b.x()), snap(b.y())));
            painter.drawImage(target, *img, QRectF(img->rect()));
            ++report.tilesDrawn;
        }
    }
    painter.restore();
    return report;
}

}  // namespace traverse::studio
