#pragma once
// A raster layer of the map: draws the tiles of a TileSource that a viewport shows, at the pyramid
// level matching the scale, from a bounded cache. Two ways to fill the cache: draw() renders missing
// tiles on the calling thread (bounded by a read budget per frame; tests and tools), drawCached()
// only lists them for a TileLoader and stands in for them with coarser cached tiles (the map view).
#include "studio/map_viewport.hpp"
#include "studio/tile_cache.hpp"
#include "studio/tile_source.hpp"

#include <QString>

#include <cstdint>
#include <memory>
#include <vector>

class QPainter;

namespace traverse::studio {

struct FrameReport {
    int level = 0;            // pyramid level drawn (index into TileSource::levels())
    int tilesDrawn = 0;
    int tilesRendered = 0;    // of which read from the file in this frame
    int tilesPending = 0;     // left for the next frame (read budget spent), or being loaded
    bool unaffordable = false;  // the frame would read too much (a file without overviews): not read
    QString error;            // the first read error of the frame, if any
};

struct LayerStats {
    std::int64_t tilesRendered = 0;
    std::int64_t pixelsRead = 0;  // file pixels read for tiles, at the levels read
};

class TileLayer {
public:
    // File pixels read per paint, at most; further tiles are left for the next paint.
    static constexpr std::int64_t kFrameReadBudget = 16LL << 20;
    // A view needing more than this is not read at all (a file without overviews seen from afar):
    // the map falls back to another layer or asks the user to zoom in.
    static constexpr std::int64_t kFrameReadLimit = 64LL << 20;

    explicit TileLayer(std::shared_ptr<const TileSource> source, std::int64_t cacheBytes = 192LL << 20);

    // Draws what `viewport` shows, rendering missing tiles on this thread within the read budget.
    // devicePixelRatio converts logical to device pixels.
    FrameReport draw(QPainter& painter, const MapViewport& viewport, double devicePixelRatio);
    // Draws the cached tiles `viewport` shows and appends the missing ones to `missing`, nearest the
    // centre first; where a tile is missing, cached tiles of a coarser level (up to four up) or of the
    // next finer one stand in. Never reads the file.
    FrameReport drawCached(QPainter& painter, const MapViewport& viewport, double devicePixelRatio,
                           std::vector<TileKey>& missing);
    // A tile rendered elsewhere (a worker); `error` non-empty: the read failed, a hatched tile shows it.
    void insert(const TileKey& key, QImage image, std::int64_t pixelsRead, const QString& error = {});

    // File pixels that drawing `viewport` would still read (tiles not in the cache).
    std::int64_t readCost(const MapViewport& viewport, double devicePixelRatio) const;
    bool affordable(const MapViewport& viewport, double devicePixelRatio) const {
        return !source_->readLimited() || readCost(viewport, devicePixelRatio) <= kFrameReadLimit;
    }

    const TileSource& source() const { return *source_; }
    const std::shared_ptr<const TileSource>& sharedSource() const { return source_; }
    const LayerStats& stats() const { return stats_; }
    const TileCache& cache() const { return cache_; }

private:
    // What both ways of drawing start with: the level for the view, the tiles it shows (empty: none,
    // and the report is final), whether the view is too costly to read; the painter smoothing
    // downsampled tiles (magnified ones show their pixels as squares, as an analyst inspecting rocks
    // at full resolution expects). Ends with painter.save() when the range is not empty.
    TileSource::TileRange beginFrame(QPainter& painter, const MapViewport& viewport, double dpr,
                                     FrameReport& report) const;
    QImage render(int level, int tx, int ty, FrameReport& report);
    QImage unreadable(const TileKey& key) const;
    QRectF screenRect(const MapViewport& viewport, double dpr, int level, int tx, int ty) const;
    // Draws cached tiles of a coarser level (or of the next finer one) over a missing tile of
    // `level`; true if any was found.
    bool drawStandIn(QPainter& painter, const MapViewport& viewport, double dpr, int level, int tx, int ty);

    std::shared_ptr<const TileSource> source_;
    TileCache cache_;
    LayerStats stats_;
};

}  // namespace traverse::studio
