#pragma once
// Building the overview pyramid of a raster file (what `gdaladdo` does), so that a large image can be
// shown whole without reading every pixel.
#include "terrain/progress.hpp"

#include <filesystem>
#include <stop_token>
#include <string>
#include <vector>

namespace traverse::terrain {

struct OverviewOptions {
    // Decimation factors; empty: 2, 4, 8, ... until the coarsest level fits `smallestSide` pixels.
    std::vector<int> factors;
    int smallestSide = 256;
    std::string resampling = "AVERAGE";  // GDAL's name: AVERAGE, NEAREST, CUBIC, ...
    // External overviews (a FILE.ovr beside the file) leave the file itself untouched; internal ones
    // are written into the file (GeoTIFF only).
    bool external = true;
};

// The factors 2, 4, 8, ... until max(cols, rows) / factor <= smallestSide (none for a small raster).
std::vector<int> defaultOverviewFactors(int cols, int rows, int smallestSide = 256);

// Builds overviews of every band of a raster file, replacing any it had. Reports progress (0..1)
// and checks `stop` between blocks. Throws traverse::Error naming the file: NotFound, Format (not a
// raster), Io (cannot write, e.g. a read-only folder), Cancelled when stopped (a partial .ovr is
// removed). Not safe to run while another handle on the same file reads it on another thread.
void buildOverviews(const std::filesystem::path& path, const OverviewOptions& options = {},
                    const ProgressFn& progress = {}, std::stop_token stop = {});

}  // namespace traverse::terrain
