#pragma once
// Hazard layers of the map (slope, roughness, step height, traversal cost, hazard mask), computed per
// tile from the DTM window under the tile plus a margin, at the DTM's full resolution, then pooled to
// the tile's level with the worst cell winning (the steepest slope, any hazard, any unknown cell), as
// the VLM hazard view does. Memory and time per tile are bounded by the tile's window, whatever the
// DTM's size; a tile whose window would exceed kMaxHazardSide full-resolution pixels a side is not
// computed (the map asks the planner to zoom in).
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

class HazardTileSource final : public TileSource {
public:
    // `shared` may be shared between the sources of one DTM (and parameters); nullptr: a private one.
    HazardTileSource(const terrain::Raster& dtm, MapLayer layer, const terrain::HazardParams& params,
                     std::shared_ptr<HazardTileCache> shared = nullptr);
    QImage renderFrom(const terrain::Raster& from, int level, int tx, int ty) const override;
    QString name() const override;
    // Whether a tile of `level` is small enough to compute (see kMaxHazardSide).
    bool renderable(int level) const override;
    // Full-resolution DTM cells a tile reads.
    std::int64_t tileReadCost(int level) const override;
    bool readLimited() const override { return false; }
    MapLayer layer() const { return layer_; }
    const terrain::HazardParams& params() const { return params_; }

    static std::shared_ptr<HazardTileCache> makeCache();

private:
    MapLayer layer_;
    terrain::HazardParams params_;
    std::shared_ptr<HazardTileCache> cache_;
};

}  // namespace traverse::studio
