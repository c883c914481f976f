#pragma once
// Writes hazard layers as tiled, compressed GeoTIFFs (one file per layer, in the DTM's frame) that
// GIS tools open in place. Slope (0.01 degree), roughness and step (1 mm) are UInt16 and cost a byte
// (0..254 for 0..1, so hard hazards are 254), each with its scale in the file's metadata. Files are
// written into a temporary folder inside the output folder and moved into place only by commit(): a
// failure leaves nothing half-written behind.
//
// consume() encodes a block and returns; worker threads (one per core) compress and write the layers
// behind it, at most two blocks behind. Blocks of 256 rows starting on a multiple of 256 (rows of
// tiles, as computeHazards gives by default) go straight to the files; others go through GDAL's
// cache and are flushed, so that a tile split between blocks is written (and stored) once per block.
#include "terrain/hazard_maps.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace traverse::terrain {

class Raster;

enum class Compression { Deflate, Zstd, Lzw, None };
// Parses "deflate", "zstd", "lzw", "none"; throws Error (InvalidArgument) otherwise.
Compression parseCompression(const std::string& name);

class HazardGeoTiffWriter : public HazardSink {
public:
    // Prepares the output folder (created if missing). Throws traverse::Error (Io) naming the folder
    // when it cannot be created or written.
    HazardGeoTiffWriter(const std::filesystem::path& outDir, const Raster& dtm, const HazardParams& params,
                        Compression compression = Compression::Zstd);
    ~HazardGeoTiffWriter() override;  // discards everything unless committed
    HazardGeoTiffWriter(const HazardGeoTiffWriter&) = delete;
    HazardGeoTiffWriter& operator=(const HazardGeoTiffWriter&) = delete;

    void consume(const HazardBlock& block) override;
    // Closes the files and moves them into the output folder; returns their final paths.
    std::vector<std::filesystem::path> commit();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace traverse::terrain
