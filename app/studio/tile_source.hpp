#pragma once
// Tiles of a raster, rendered as images for the map view, from a pyramid built on the file's own
// overview levels. A tile never reads more than it shows, except when the file has no overview
// coarse enough for the scale (then the in-memory decimation reads `decimation`^2 pixels per
// output pixel, which TileLayer budgets).
#include "terrain/geometry.hpp"
#include "terrain/raster.hpp"

#include <QImage>
#include <QString>

#include <array>
#include <cstdint>
#include <vector>

namespace traverse::studio {

// Output pixels per tile side.
inline constexpr int kTileSize = 256;

// One level of the pyramid: a level of the file (0 = full resolution, k = its k-th overview),
// optionally reduced further in memory by a power of two beyond the file's coarsest level.
struct PyramidLevel {
    int rasterLevel = 0;
    int decimation = 1;
    int cols = 0, rows = 0;  // size in output pixels
    double pixelSize = 0.0;  // metres per output pixel (along a row)
};

class TileSource {
public:
    virtual ~TileSource() = default;
    TileSource(const TileSource&) = delete;
    TileSource& operator=(const TileSource&) = delete;

    // Finest first; levels()[0] is the full-resolution file.
    const std::vector<PyramidLevel>& levels() const { return levels_; }
    // The level to draw at a screen scale (metres per device pixel): the coarsest level whose pixels
    // are no larger than the screen's (within a small tolerance); level 0 when zoomed in further.
    int levelFor(double metresPerDevicePixel) const;

    int tilesAcross(int level) const;
    int tilesDown(int level) const;
    // The tiles of `level` that intersect a map extent: columns [x0, x1), rows [y0, y1).
    struct TileRange {
        int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        bool empty() const { return x1 <= x0 || y1 <= y0; }
    };
    TileRange tilesIn(int level, const terrain::MapExtent& extent) const;
    // The map extent a tile covers (exact edges of its pixels in the file, no rounding drift).
    terrain::MapExtent tileExtent(int level, int tx, int ty) const;
    // Pixels of the file one tile of `level` reads, at most (the budget's unit).
    virtual std::int64_t tileReadCost(int level) const;
    // Whether a view whose tiles would read more than TileLayer::kFrameReadLimit is refused (a file
    // without overviews seen whole); a source with its own bound per tile (hazards) says no.
    virtual bool readLimited() const { return true; }

    // Renders one tile as a premultiplied ARGB image, transparent where the raster has no data.
    // Throws traverse::Error (Io) naming the file when the read fails. Reads through raster().
    QImage renderTile(int level, int tx, int ty) const { return renderFrom(raster_, level, tx, ty); }
    // Same, reading through `from`: another handle on the same raster (Raster::reopen), so that
    // worker threads render in parallel. A source is immutable once built: any thread may call this
    // concurrently, each with its own handle.
    virtual QImage renderFrom(const terrain::Raster& from, int level, int tx, int ty) const = 0;
    // What the layer shows, for a person ("orthoimage", "DTM hillshade").
    virtual QString name() const = 0;
    const terrain::Raster& raster() const { return raster_; }

protected:
    explicit TileSource(const terrain::Raster& raster);

    // Where a tile lies in its file level: the window (level pixels) and the output size.
    struct TileWindow {
        int rasterLevel = 0;
        int decimation = 1;
        terrain::PixelWindow window;
        int outCols = 0, outRows = 0;
    };
    TileWindow tileWindow(int level, int tx, int ty) const;

public:
    // Reads outCols x outRows cells of a level, each the mean of a `d` x `d` block of the file's
    // pixels starting at (col0, row0), plus `border` cells on every side; NaN outside the raster and
    // where no pixel is valid.
    static terrain::Grid<float> readDecimated(const terrain::Raster& raster, int level, int band, int col0, int row0,
                                              int outCols, int outRows, int d, int border);

protected:

    const terrain::Raster& raster_;

private:
    std::vector<PyramidLevel> levels_;
};

// The orthoimage: one band in grey, or the first three as RGB. 8-bit files are shown as they are;
// other types are stretched linearly between the 0.5 and 99.5 percentiles of the coarsest level.
class ImageryTileSource final : public TileSource {
public:
    // Throws traverse::Error when the statistics for the stretch cannot be read.
    explicit ImageryTileSource(const terrain::Raster& image);
    QImage renderFrom(const terrain::Raster& from, int level, int tx, int ty) const override;
    QString name() const override { return QStringLiteral("orthoimage"); }

private:
    struct Stretch {
        double lo = 0.0, hi = 255.0;
    };
    int bandCount_ = 1;
    bool bytes_ = true;
    std::array<Stretch, 3> stretch_{};
};

// A grey hillshade of a DTM (sun from the north-west, 45 degrees high), for sites without an
// orthoimage.
class HillshadeTileSource final : public TileSource {
public:
    explicit HillshadeTileSource(const terrain::Raster& dtm);
    QImage renderFrom(const terrain::Raster& from, int level, int tx, int ty) const override;
    QString name() const override { return QStringLiteral("DTM hillshade"); }
};

}  // namespace traverse::studio
