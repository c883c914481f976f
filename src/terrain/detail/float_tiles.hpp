#pragma once
// Direct decoding of the commonest DTM encoding: a tiled, single-band float32 GeoTIFF, uncompressed
// or DEFLATE-compressed, with or without the floating-point predictor. GDAL (through libtiff) reads
// such files correctly but slowly: libtiff undoes the floating-point predictor one byte at a time,
// which was a fifth of `traverse hazards`' time. Here the tiles are read with pread, inflated with
// libdeflate and the predictor undone with vector code; the values are bit-identical to GDAL's (a
// test compares them). Every other file goes through GDAL. Inside the terrain module only.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

namespace traverse::terrain::detail {

class FloatTiles {
public:
    // A decoder for the file behind an open GDAL dataset, or nullptr when the file is anything but a
    // local, tiled, single-band float32 GeoTIFF stored uncompressed or with DEFLATE, and predictor
    // none or floating point: then GDAL reads it.
    static std::unique_ptr<FloatTiles> open(void* gdalDataset, const std::filesystem::path& path,
                                            std::optional<double> noData);
    ~FloatTiles();
    FloatTiles(const FloatTiles&) = delete;
    FloatTiles& operator=(const FloatTiles&) = delete;

    // Full-width rows [row0, row0 + rows) into dst, as GDAL would read them (no scale applied).
    // Throws traverse::Error (Io) naming the file and the tile when a tile is missing, truncated or
    // does not decode. Rows are best read in order: the last row of tiles decoded is kept.
    void readRows(int row0, int rows, float* dst);

private:
    FloatTiles() = default;
    void decodeTileRow(int tileRow);
    void decodeTile(int tileRow, int tileCol, float* strip);

    std::filesystem::path path_;
    int fd_ = -1;
    std::uint64_t fileSize_ = 0;
    int cols_ = 0, rows_ = 0, tileW_ = 0, tileH_ = 0, tilesAcross_ = 0, tilesDown_ = 0;
    bool deflate_ = false, fpPredictor_ = false, bigEndian_ = false;
    float fill_ = 0.0f;  // sparse (absent) tiles read as nodata, or 0 without nodata, as in GDAL
    std::vector<std::uint64_t> offsets_, sizes_;
    std::vector<std::uint8_t> compressed_, tile_;
    std::vector<float> strip_;  // the decoded row of tiles, full width
    int stripRow_ = -1;
    struct Inflater;
    std::unique_ptr<Inflater> inflater_;
};

// The floating-point predictor (TIFF Technical Note 3) undone for one row of a tile: `bytes` holds
// the row's byte-differenced planes (most significant byte first) of `width` float32 samples; it is
// accumulated in place, and the first `count` samples are written to out in the host's byte order.
void undoFloatPredictor(std::uint8_t* bytes, int width, int count, float* out);

}  // namespace traverse::terrain::detail
