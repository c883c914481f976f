#include "args.hpp"
#include "commands.hpp"
#include "terminal_progress.hpp"
#include "terrain/error.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/hazard_writer.hpp"
#include "terrain/raster.hpp"
#include "terrain/site.hpp"
#include "twin/rover_config.hpp"

#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string>

namespace traverse::cli {

namespace {

constexpr const char* kHazardsUsage =
    "usage: traverse hazards --dtm FILE [--ortho FILE] --out DIR [options]\n"
    "\n"
    "Computes the hazard layers of a DTM in one streaming pass and writes each as a tiled,\n"
    "compressed GeoTIFF in the DTM's frame: slope.tif (degrees, Horn), roughness.tif (m, RMS\n"
    "residual of a plane over the rover footprint), step.tif (m, largest height difference in a\n"
    "wheel-sized window), unknown.tif (0/1, nodata and its neighbourhood), hazard.tif (bits:\n"
    "1 slope, 2 step, 4 roughness, 8 unknown) and cost.tif (0..1, 1 on hard hazards).\n"
    "With --ortho, the orthoimage is checked to be co-registrable with the DTM.\n"
    "Files appear in DIR only when all are complete.\n"
    "\n"
    "options (defaults from the Perseverance-like rover configuration):\n"
    "  --dtm FILE            the DTM (any raster GDAL reads, georeferenced)\n"
    "  --ortho FILE          the orthoimage of the same site\n"
    "  --out DIR             output folder (created if missing)\n"
    "  --max-slope DEG       slope limit (default 30)\n"
    "  --max-step M          step limit (default 0.40)\n"
    "  --max-roughness M     roughness limit (default 0.15)\n"
    "  --footprint M         roughness window side (default 3.0)\n"
    "  --wheel M             step window side (default 0.525)\n"
    "  --unknown-buffer M    neighbourhood of nodata that is unknown too (default 1.35)\n"
    "  --compress NAME       zstd (default), deflate, lzw or none\n"
    "  --threads N           worker threads (default: all cores)\n"
    "  --quiet               no progress display\n"
    "  --help                this text\n";

}  // namespace

int runHazards(int argc, char** argv) {
    const Args a = parseArgs(argc, argv, 2,
                             {"dtm", "ortho", "out", "max-slope", "max-step", "max-roughness", "footprint", "wheel",
                              "unknown-buffer", "compress", "threads"},
                             {"help", "quiet"});
    if (a.has("help")) {
        std::fputs(kHazardsUsage, stdout);
        return 0;
    }
    if (!a.positional.empty()) throw UsageError("unexpected argument '" + a.positional.front() + "'");
    const std::string dtmPath = a.required("dtm");
    const std::string outDir = a.required("out");
    const std::optional<std::string> orthoPath = a.value("ortho");

    terrain::HazardParams params = twin::hazardParamsFor(twin::RoverConfig{});
    if (auto v = a.number("max-slope")) params.limits.maxSlopeDeg = *v;
    if (auto v = a.number("max-step")) params.limits.maxStepM = *v;
    if (auto v = a.number("max-roughness")) params.limits.maxRoughnessM = *v;
    if (auto v = a.number("footprint")) params.footprintM = *v;
    if (auto v = a.number("wheel")) params.wheelM = *v;
    if (auto v = a.number("unknown-buffer")) params.unknownBufferM = *v;
    const terrain::Compression compression = terrain::parseCompression(a.value("compress").value_or("zstd"));
    terrain::HazardRunOptions run;
    if (auto v = a.number("threads")) {
        if (*v < 1 || *v > 256) throw UsageError("--threads needs a count from 1 to 256");
        run.threads = int(*v);
    }

    // Bound GDAL's block cache so that memory stays proportional to a block of rows, not the DTM.
    terrain::limitRasterCache(std::int64_t(48) << 20);

    const terrain::Site site = terrain::Site::open(dtmPath, orthoPath);
    const auto& info = site.dtm().info();
    // Fail on bad parameters before anything touches the output folder.
    terrain::hazardWindows(params, info.geoTransform.pixelWidth());
    if (site.ortho()) std::printf("orthoimage: %s\n", site.coregistration().description.c_str());

    terrain::HazardGeoTiffWriter writer(outDir, site.dtm(), params, compression);
    TerminalProgress progress(!a.has("quiet"));
    run.progress = [&](double f, std::string_view stage) { progress.update(f, stage); };
    const terrain::HazardSummary s = terrain::computeHazards(site.dtm(), params, writer, run);
    progress.finish();
    if (s.validCells == 0)
        throw Error(Error::Kind::Format, dtmPath + ": DTM holds no valid elevation (every cell is nodata)");
    for (const auto& p : writer.commit()) std::printf("wrote %s\n", p.c_str());

    const double cells = double(s.cells);
    std::printf("%d x %d cells: %.2f%% with elevation, %.2f%% unknown, %.2f%% hard hazard; max slope %.1f deg; "
                "%.2f s\n",
                info.cols, info.rows, 100.0 * s.validCells / cells, 100.0 * s.unknownCells / cells,
                100.0 * s.hazardCells / cells, s.maxSlopeDeg, s.elapsedSeconds);
    return 0;
}

}  // namespace traverse::cli
