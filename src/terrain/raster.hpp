#pragma once
// A raster file opened through GDAL (GeoTIFF/COG, PDS3 .IMG, JPEG2000, ISIS3 cubes, anything GDAL
// reads). The GDAL handle is owned here and never escapes the terrain module.
#include "terrain/geometry.hpp"
#include "terrain/grid.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace traverse::terrain {

namespace detail {
class FloatTiles;
}

struct OverviewInfo {
    int cols = 0;
    int rows = 0;
};

struct RasterInfo {
    std::filesystem::path path;
    std::string driver;        // GDAL short driver name, e.g. "GTiff", "PDS"
    int cols = 0;
    int rows = 0;
    int bands = 0;
    std::string dataType;      // GDAL data type name of band 1, e.g. "Float32"
    bool hasGeoreference = false;  // a geotransform and a CRS are both present
    GeoTransform geoTransform;
    std::string crsWkt;        // empty when the file has no CRS
    std::string crsName;
    std::string crsProj;       // PROJ definition (+proj=...), empty when unavailable
    std::optional<double> noData;  // band 1
    double scale = 1.0, offset = 0.0;  // band 1: value = stored * scale + offset
    std::vector<OverviewInfo> overviews;  // band 1, finest first
    int blockCols = 0, blockRows = 0;
    MapExtent extent() const { return geoTransform.extent(cols, rows); }
};

class Raster {
public:
    // Opens a raster read-only. Throws traverse::Error naming the file: NotFound when it does not
    // exist, Format when GDAL cannot read it as a raster.
    static Raster open(const std::filesystem::path& path);

    Raster(Raster&&) noexcept;
    Raster& operator=(Raster&&) noexcept;
    ~Raster();

    // An independent handle on the same data, for another thread (a GDAL handle must not be used by
    // two threads at once): the file opened again, or for a virtual raster built in memory (an
    // orthoimage resampled into the DTM's frame) its definition instantiated again, with the same
    // size, levels and georeferencing. Call it on the thread that uses this handle. Throws as open().
    Raster reopen() const;
    // The same in two steps, for a handle to be used by another thread: what to open, taken on the
    // thread that uses this handle, then opened on the thread that will use the new one. GDAL may
    // open a virtual raster's sources in its per-thread shared mode; opened where it is used, the new
    // handle stays independent whatever GDAL shares.
    struct ReopenSpec {
        std::filesystem::path path;  // the file, or the display path of a virtual raster
        std::string vrtXml;          // non-empty: the definition of a virtual raster built in memory
    };
    ReopenSpec reopenSpec() const;
    static Raster reopen(const ReopenSpec& spec);

    const RasterInfo& info() const { return info_; }
    const std::filesystem::path& path() const { return info_.path; }

    // Number of levels: 1 (full resolution) + overviews.
    int levelCount() const { return int(info_.overviews.size()) + 1; }
    // Size of a level (0 = full resolution, k = k-th overview).
    OverviewInfo levelSize(int level) const;
    // The geotransform of a level.
    GeoTransform levelGeoTransform(int level) const;

    // Reads a window of band `band` at an overview level, in that level's pixel coordinates, as
    // float32 with the band's scale and offset applied (nodata cells keep the file's nodata value). Throws Error (Io) naming the file when the
    // read fails (e.g. a truncated file) and InvalidArgument when the window is outside the level.
    Grid<float> readWindow(PixelWindow window, int level = 0, int band = 1) const;
    // Same, as 8-bit values (for imagery), with GDAL's conversion (clamping) from the band's type.
    Grid<std::uint8_t> readWindowBytes(PixelWindow window, int level = 0, int band = 1) const;
    // Reads a full-resolution window resampled to outCols x outRows (GDAL picks the best overview,
    // average resampling).
    Grid<std::uint8_t> readResampledBytes(PixelWindow window, int outCols, int outRows, int band = 1) const;

    // Reads full-resolution rows [row0, row0 + rows) of band 1 into dst (rows * cols floats). A tiled
    // float32 GeoTIFF, uncompressed or DEFLATE (the usual DTM), is decoded directly, bit-identical
    // to GDAL and several times faster (detail/float_tiles.hpp); TRAVERSE_DIRECT_TIFF=0 reads it
    // through GDAL instead.
    void readRows(int row0, int rows, float* dst) const;

    // For terrain internals only (co-registration wraps a file in a warped VRT).
    void* gdalHandle() const { return ds_; }
    static Raster adopt(void* gdalDataset, const std::filesystem::path& displayPath);

private:
    Raster() = default;
    void loadInfo();
    void applyScale(float* values, std::size_t count) const;
    void read(PixelWindow window, int level, int band, void* dst, int bufCols, int bufRows, int gdalType) const;

    void* ds_ = nullptr;  // GDALDatasetH
    RasterInfo info_;
    // The direct decoder for readRows, made on first use (null: GDAL reads the file).
    mutable std::unique_ptr<detail::FloatTiles> tiles_;
    mutable bool tilesChecked_ = false;
};

// Statistics of band 1 over all valid cells of a level (0 = full resolution), streaming row blocks.
struct ElevationStats {
    std::int64_t validCells = 0;
    std::int64_t noDataCells = 0;
    double minZ = 0.0, maxZ = 0.0, meanZ = 0.0;
    double noDataShare() const {
        const auto n = validCells + noDataCells;
        return n ? double(noDataCells) / double(n) : 0.0;
    }
};
ElevationStats computeElevationStats(const Raster& dtm, int level = 0);

// Bounds GDAL's block cache (process-wide) so that streaming jobs use memory proportional to a block
// of rows; a GDAL_CACHEMAX set by the user wins.
void limitRasterCache(std::int64_t bytes);

// True when v is the raster's nodata value (or NaN).
bool isNoData(float v, const std::optional<double>& noData);

}  // namespace traverse::terrain
