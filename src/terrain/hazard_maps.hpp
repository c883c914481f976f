#pragma once
// Hazard layers derived from a DTM, as named layers over the DTM's own geometry (grid_map style):
//  slope       degrees, Horn's method (as gdaldem slope, scale 1); kNoData on the border ring and
//              wherever the 3x3 window holds nodata
//  roughness   metres: RMS residual of a least-squares plane fitted over a square window the size of
//              the rover's footprint; kNoData where the window holds nodata
//  step        metres: the largest height difference within any wheel-sized square window that
//              contains the cell (valid cells only; 0 where fewer than two valid cells)
//  unknown     0/1: nodata, or within `unknownBufferM` of nodata or of the edge of the DTM
//  hazard      bit mask of hard hazards (HazardBit): a cell the rover must not enter
//  cost        0..1 traversability cost: 0 flat and smooth, rising towards 1 at the limits; 1 on
//              every hard-hazard cell
// Everything is computed in one streaming pass over row blocks, on several threads, with memory
// bounded by the block size (not by the DTM's size).
#include "terrain/geometry.hpp"
#include "terrain/grid.hpp"
#include "terrain/progress.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string_view>

namespace traverse::terrain {

class Raster;

inline constexpr float kNoData = -9999.0f;  // nodata of the float layers (gdaldem's)

enum HazardBit : std::uint8_t {
    kHazardSlope = 1,
    kHazardStep = 2,
    kHazardRoughness = 4,
    kHazardUnknown = 8,
};

struct HazardLimits {
    double maxSlopeDeg = 30.0;   // planning tilt limit
    double maxStepM = 0.40;      // largest rock / step the wheels may climb
    double maxRoughnessM = 0.15; // RMS residual over the footprint
};

struct HazardParams {
    double footprintM = 3.0;      // side of the roughness window (rover body length)
    double wheelM = 0.525;        // wheel diameter: side of the step window
    double unknownBufferM = 1.5;  // distance around nodata that is also unknown terrain
    HazardLimits limits;
};

// Window sizes in pixels for a given pixel size; `halo` is how many rows a block needs on each side.
struct HazardWindows {
    int roughnessRadius = 1;  // window side 2r+1
    int stepSide = 2;         // window side, anchored windows containing the cell
    int unknownRadius = 2;
    int halo = 2;
};
// Throws traverse::Error (InvalidArgument) when a parameter is not finite and positive.
HazardWindows hazardWindows(const HazardParams& params, double pixelSize);

// The geometry the computation needs to know about a DTM.
struct DemGeometry {
    int cols = 0;
    int rows = 0;
    double ewres = 1.0;  // geotransform[1]
    double nsres = -1.0; // geotransform[5]
    std::optional<double> noData;
};

// Consecutive full-width rows [row0, row0 + rows) of every layer, handed to a sink in row order.
struct HazardBlock {
    int row0 = 0, rows = 0, cols = 0;
    const float* slope = nullptr;
    const float* roughness = nullptr;
    const float* step = nullptr;
    const float* cost = nullptr;
    const std::uint8_t* unknown = nullptr;
    const std::uint8_t* hazard = nullptr;
};

class HazardSink {
public:
    virtual ~HazardSink() = default;
    virtual void consume(const HazardBlock& block) = 0;
};

struct HazardSummary {
    std::int64_t cells = 0;
    std::int64_t validCells = 0;    // cells with elevation
    std::int64_t unknownCells = 0;
    std::int64_t hazardCells = 0;
    double maxSlopeDeg = 0.0;
    double elapsedSeconds = 0.0;
};

// Reads full-width rows [row0, row0 + rows) of elevation into dst.
using RowReader = std::function<void(int row0, int rows, float* dst)>;

struct HazardRunOptions {
    int threads = 0;       // 0: all hardware threads
    int blockRows = 256;   // rows per block (memory ~ cols * blockRows * 30 bytes)
    ProgressFn progress;   // optional
    std::stop_token stop;  // optional; throws Error (Cancelled) when triggered
};

// The streaming computation. Throws traverse::Error (InvalidArgument) for bad parameters, Cancelled
// when stopped, and whatever the reader or sink throw.
HazardSummary computeHazards(const DemGeometry& dem, const RowReader& reader, const HazardParams& params,
                             HazardSink& sink, const HazardRunOptions& options = {});
// Same, reading a DTM raster (band 1) through GDAL.
HazardSummary computeHazards(const Raster& dtm, const HazardParams& params, HazardSink& sink,
                             const HazardRunOptions& options = {});

enum class HazardLayer { Slope, Roughness, Step, Unknown, Hazard, Cost };
inline constexpr HazardLayer kAllHazardLayers[] = {HazardLayer::Slope,   HazardLayer::Roughness,
                                                   HazardLayer::Step,    HazardLayer::Unknown,
                                                   HazardLayer::Hazard,  HazardLayer::Cost};
std::string_view layerName(HazardLayer layer);  // "slope", "roughness", ...
std::string_view layerUnit(HazardLayer layer);  // "deg", "m", "" ...

// All layers held in memory, for a site small enough to hold (tests, the planner, the studio).
struct HazardMaps {
    GeoTransform geoTransform;
    Grid<float> slope, roughness, step, cost;
    Grid<std::uint8_t> unknown, hazard;
    HazardSummary summary;

    static HazardMaps compute(const Raster& dtm, const HazardParams& params, const HazardRunOptions& options = {});
    // Only the part of the DTM covering `area` (clipped to the DTM): what a plan around a route needs
    // from a DTM too large to hold. Cells at the window's edge count as unknown terrain. Throws Error
    // (InvalidArgument) naming the file when the area misses the DTM.
    static HazardMaps compute(const Raster& dtm, const MapExtent& area, const HazardParams& params,
                              const HazardRunOptions& options = {});
    // From an elevation grid in memory (nodata cells hold `noData` or NaN); no copy of the input.
    static HazardMaps compute(const Grid<float>& dtm, const GeoTransform& gt, std::optional<double> noData,
                              const HazardParams& params, const HazardRunOptions& options = {});
    // Same, into existing layers (reused when they already have the DTM's size).
    void recompute(const Grid<float>& dtm, const GeoTransform& gt, std::optional<double> noData,
                   const HazardParams& params, const HazardRunOptions& options = {});
};

}  // namespace traverse::terrain
