#pragma once
// A raster layer of the map: draws the tiles of a TileSource that a viewport shows, at the pyramid
// level matching the scale, from a bounded cache. Rendering is synchronous on the calling (UI)
// thread, with a budget of file pixels per frame so that one paint never stalls for long.
#include "studio/map_viewport.hpp"
#include "studio/tile_cache.hpp"
#include "studio/tile_source.hpp"

#include <QString>

#include <cstdint>
#include <memory>

class QPainter;

namespace traverse::studio {

struct FrameReport {
    int level = 0;            // pyramid level drawn (index into TileSource::levels())
    int tilesDrawn = 0;
    int tilesRendered = 0;    // of which read from the file in this frame
    int tilesPending = 0;     // left for the next frame (read budget spent)
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

    explicit TileLayer(std::unique_ptr<TileSource> source, std::int64_t cacheBytes = 192LL << 20);

    // Draws what `viewport` shows. devicePixelRatio converts logical to device pixels.
    FrameReport draw(QPainter& painter, const MapViewport& viewport, double devicePixelRatio);
    // File pixels that drawing `viewport` would still read (tiles not in the cache).
    std::int64_t readCost(const MapViewport& viewport, double devicePixelRatio) const;
    bool affordable(const MapViewport& viewport, double devicePixelRatio) const {
        return readCost(viewport, devicePixelRatio) <= kFrameReadLimit;
    }

    const TileSource& source() const { return *source_; }
    const LayerStats& stats() const { return stats_; }
    const TileCache& cache() const { return cache_; }

private:
    QImage render(int level, int tx, int ty, FrameReport& report);

    std::unique_ptr<TileSource> source_;
    TileCache cache_;
    LayerStats stats_;
};

}  // namespace traverse::studio
