#include "args.hpp"
#include "commands.hpp"
#include "terrain/raster.hpp"

#include <cinttypes>
#include <cstdio>
#include <string>

namespace traverse::cli {

namespace {

constexpr const char* kInfoUsage =
    "usage: traverse info FILE...\n"
    "\n"
    "Describes each raster (DTM, orthoimage, hazard layer; any format GDAL reads: GeoTIFF/COG,\n"
    "PDS3 .IMG, JPEG2000, ISIS3 cubes): driver, size, pixel size, CRS, extent, nodata value and\n"
    "share, value range (elevation for a DTM), overviews.\n"
    "\n"
    "options:\n"
    "  --help   this text\n";

// Rasters larger than this get their statistics from an overview, and say so.
constexpr std::int64_t kExactStatsCells = 64LL << 20;

void describe(const terrain::Raster& r) {
    const auto& i = r.info();
    std::printf("%s\n", i.path.c_str());
    std::printf("  driver      %s\n", i.driver.c_str());
    std::printf("  size        %d x %d px, %d band%s, %s, blocks %d x %d\n", i.cols, i.rows, i.bands,
                i.bands == 1 ? "" : "s", i.dataType.c_str(), i.blockCols, i.blockRows);
    if (i.hasGeoreference || !i.crsWkt.empty()) {
        const auto e = i.extent();
        std::printf("  pixel size  %.6g x %.6g m\n", i.geoTransform.pixelWidth(), i.geoTransform.pixelHeight());
        std::printf("  CRS         %s\n", i.crsName.empty() ? "(none)" : i.crsName.c_str());
        if (!i.crsProj.empty()) std::printf("              %s\n", i.crsProj.c_str());
        std::printf("  extent      E %.3f .. %.3f, N %.3f .. %.3f (%.1f x %.1f m)\n", e.minE, e.maxE, e.minN, e.maxN,
                    e.width(), e.height());
    }
    if (!i.hasGeoreference)
        std::printf("  georef      none (%s)\n", i.crsWkt.empty() ? "no CRS" : "no geotransform");
    if (i.noData)
        std::printf("  nodata      %.17g\n", *i.noData);
    else
        std::printf("  nodata      (not set)\n");

    int level = 0;
    while (std::int64_t(r.levelSize(level).cols) * r.levelSize(level).rows > kExactStatsCells &&
           level + 1 < r.levelCount())
        ++level;
    const auto s = terrain::computeElevationStats(r, level);
    const char* approx = level ? " (from an overview)" : "";
    std::printf("  nodata share %.2f%% of %" PRId64 " cells%s\n", 100.0 * s.noDataShare(), s.validCells + s.noDataCells,
                approx);
    if (s.validCells == 0) {
        std::printf("  values      none valid: every cell is nodata\n");
    } else {
        const bool elevation = i.bands == 1 && (i.dataType == "Float32" || i.dataType == "Float64");
        std::printf("  %s %.3f .. %.3f%s (mean %.3f)%s\n", elevation ? "elevation  " : "values     ", s.minZ, s.maxZ,
                    elevation ? " m" : "", s.meanZ, approx);
    }
    if (i.overviews.empty()) {
        std::printf("  overviews   none\n");
    } else {
        std::printf("  overviews  ");
        for (const auto& o : i.overviews) std::printf(" %dx%d", o.cols, o.rows);
        std::printf("\n");
    }
}

}  // namespace

int runInfo(int argc, char** argv) {
    const Args a = parseArgs(argc, argv, 2, {}, {"help"});
    if (a.has("help")) {
        std::fputs(kInfoUsage, stdout);
        return 0;
    }
    if (a.positional.empty()) throw UsageError("no FILE given");
    for (std::size_t k = 0; k < a.positional.size(); ++k) {
        if (k) std::printf("\n");
        describe(terrain::Raster::open(a.positional[k]));
    }
    return 0;
}

}  // namespace traverse::cli
