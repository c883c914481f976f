#pragma once
// Shared helpers for the tests: temporary folders, rasters written from grids, running the CLI.
#include "terrain/geometry.hpp"
#include "terrain/grid.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace traverse::test {

// A fresh folder under the system's temp dir, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// The Mars equirectangular CRS of the sample site (IAU Mars sphere), as WKT.
std::string marsEqcWkt(double lonOrigin = 77.4, double latTrueScale = 18.4);

struct WriteOptions {
    std::optional<double> noData;
    std::string crsWkt = marsEqcWkt();  // empty: no CRS
    bool geoTransform = true;
    bool tiled = true;
    std::vector<int> overviews;  // factors, e.g. {2, 4}
    std::string driver = "GTiff";
    std::vector<std::string> creationOptions;
};

// Writes a one-band raster from a grid (Float32 or Byte) and returns its path.
std::filesystem::path writeRaster(const std::filesystem::path& path, const terrain::Grid<float>& grid,
                                  const terrain::GeoTransform& gt, const WriteOptions& options = {});
std::filesystem::path writeRaster(const std::filesystem::path& path, const terrain::Grid<std::uint8_t>& grid,
                                  const terrain::GeoTransform& gt, const WriteOptions& options = {});

// A DTM with rough, cratered relief and a nodata patch, deterministic from a seed.
terrain::Grid<float> syntheticDtm(int cols, int rows, unsigned seed, float noData);

// The bundled sample site as generated for the tests (a CTest fixture makes it).
std::filesystem::path sampleDir();

struct RunResult {
    int status = -1;
    std::string out, err;
};
// Runs the `traverse` CLI with arguments and captures its output and exit status.
RunResult runCli(const std::vector<std::string>& args);

// Names of the regular files in a folder (recursively), relative to it.
std::vector<std::string> listFiles(const std::filesystem::path& dir);

}  // namespace traverse::test
