#pragma once
// Hazard layers of the map (slope, roughness, step height, traversal cost, hazard mask), computed at
// the DTM's full resolution and pooled to the tile's level with the worst cell winning (the steepest
// slope, any hazard, any unknown cell), as the VLM hazard view does. A tile whose window is at most
// kMaxHazardSide full-resolution pixels a side is computed from that window plus a margin: memory and
// time per tile stay bounded whatever the DTM's size. Coarser tiles (the whole of a large DTM in
// view) come from a hazard overview: the layers of the whole DTM computed once, streaming, and pooled
// to cells of kMaxHazardSide / kTileSize pixels a side (the first coarse tile needs it; meanwhile the
// tile is pending).
#include "studio/layer_style.hpp"
#include "studio/tile_source.hpp"

#include "terrain/hazard_maps.hpp"

#include <memory>

namespace traverse::studio {

// The largest full-resolution window side one hazard tile computes over.
inline constexpr int kMaxHazardSide = 2048;

// The hazard layers of one tile, pooled to the tile's pixels; shared by the layers of a site so that
// turning several on computes each tile once.
class HazardTileCache;
// Stops the cache's hazard overview if one is being computed (call when its site or parameters are
// replaced, or the map closes: a large DTM takes seconds).
void cancelHazardOverview(HazardTileCache& cache);

class HazardTileSource final : public TileSource {
public:
    // `shared` may be shared between the sources of one DTM (and parameters); nullptr: a private one.
    // `maxTileSide`: the largest window a tile computes over itself (tests make it small).
    HazardTileSource(const terrain::Raster& dtm, MapLayer layer, const terrain::HazardParams& params,
                     std::shared_ptr<HazardTileCache> shared = nullptr, int maxTileSide = kMaxHazardSide);
    QImage renderFrom(const terrain::Raster& from, int level, int tx, int ty) const override;
    QString name() const override;
    // Whether a tile of `level` is computed from its own window (else from the hazard overview).
    bool fromWindow(int level) const;
    // DTM cells a tile reads: its window at full resolution, or its cells of the overview.
    std::int64_t tileReadCost(int level) const override;
    bool readLimited() const override { return false; }
    MapLayer layer() const { return layer_; }
    const terrain::HazardParams& params() const { return params_; }

    static std::shared_ptr<HazardTileCache> makeCache();

private:
    MapLayer layer_;
    terrain::HazardParams params_;
    std::shared_ptr<HazardTileCache> cache_;
    int maxTileSide_;
};

}  // namespace traverse::studio
