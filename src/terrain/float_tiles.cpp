#include "terrain/detail/float_tiles.hpp"

#include "terrain/detail/gdal_util.hpp"
#include "terrain/error.hpp"

#include <gdal.h>
#include <libdeflate.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace traverse::terrain::detail {

namespace fs = std::filesystem;

struct FloatTiles::Inflater {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    ~Inflater() {
        if (d) libdeflate_free_decompressor(d);
    }
};

namespace {

std::string item(GDALMajorObjectH o, const std::string& key, const char* domain) {
    const char* v = GDALGetMetadataItem(o, key.c_str(), domain);
    return v ? v : "";
}

// Accumulates bytes[0..n) in place: bytes[k] += bytes[k - 1] (mod 256).
void prefixSumBytes(std::uint8_t* b, std::size_t n) {
    std::size_t k = 0;
#if defined(__SSE2__)
    __m128i carry = _mm_setzero_si128();
    for (; k + 16 <= n; k += 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + k));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 1));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 2));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 4));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 8));
        x = _mm_add_epi8(x, carry);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(b + k), x);
        carry = _mm_set1_epi8(char(std::uint16_t(_mm_extract_epi16(x, 7)) >> 8));
    }
#endif
    for (k = std::max<std::size_t>(k, 1); k < n; ++k) b[k] = std::uint8_t(b[k] + b[k - 1]);
}

}  // namespace

void undoFloatPredictor(std::uint8_t* bytes, int width, int count, float* out) {
    const std::size_t w = std::size_t(width);
    prefixSumBytes(bytes, 4 * w);
    const std::uint8_t* p0 = bytes;  // most significant bytes
    const std::uint8_t* p1 = bytes + w;
    const std::uint8_t* p2 = bytes + 2 * w;
    const std::uint8_t* p3 = bytes + 3 * w;  // least significant bytes
    std::size_t j = 0;
    if constexpr (std::endian::native == std::endian::little) {
#if defined(__SSE2__)
        for (; j + 16 <= std::size_t(count); j += 16) {
            const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p0 + j));
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p1 + j));
            const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p2 + j));
            const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p3 + j));
            const __m128i lo = _mm_unpacklo_epi8(d, c), hi = _mm_unpacklo_epi8(b, a);
            const __m128i lo2 = _mm_unpackhi_epi8(d, c), hi2 = _mm_unpackhi_epi8(b, a);
            auto* o = reinterpret_cast<__m128i*>(out + j);
            _mm_storeu_si128(o, _mm_unpacklo_epi16(lo, hi));
            _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(lo, hi));
            _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(lo2, hi2));
            _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(lo2, hi2));
        }
#endif
    }
    for (; j < std::size_t(count); ++j) {
        const std::uint32_t u = (std::uint32_t(p0[j]) << 24) | (std::uint32_t(p1[j]) << 16) |
                                (std::uint32_t(p2[j]) << 8) | std::uint32_t(p3[j]);
        out[j] = std::bit_cast<float>(u);
    }
}

std::unique_ptr<FloatTiles> FloatTiles::open(void* gdalDataset, const fs::path& path, std::optional<double> noData) {
    auto ds = static_cast<GDALDatasetH>(gdalDataset);
    if (!ds || GDALGetRasterCount(ds) != 1) return nullptr;
    const char* driver = GDALGetDriverShortName(GDALGetDatasetDriver(ds));
    if (!driver || std::strcmp(driver, "GTiff") != 0) return nullptr;
    const char* description = GDALGetDescription(ds);
    if (!description || path != fs::path(description)) return nullptr;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return nullptr;
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    if (GDALGetRasterDataType(band) != GDT_Float32) return nullptr;

    const std::string compression = item(ds, "COMPRESSION", "IMAGE_STRUCTURE");
    const std::string predictor = item(ds, "PREDICTOR", "IMAGE_STRUCTURE");
    if (!compression.empty() && compression != "DEFLATE") return nullptr;
    if (!predictor.empty() && predictor != "1" && predictor != "3") return nullptr;
    // libtiff applies a predictor only inside a codec; a stray tag on an uncompressed file: GDAL's way.
    if (compression.empty() && predictor == "3") return nullptr;
    if (!item(band, "NBITS", "IMAGE_STRUCTURE").empty()) return nullptr;  // e.g. 16-bit floats

    int bw = 0, bh = 0;
    GDALGetBlockSize(band, &bw, &bh);
    const int cols = GDALGetRasterXSize(ds), rows = GDALGetRasterYSize(ds);
    // Tiled: blocks narrower than the raster (a one-tile-wide file is read by GDAL too).
    if (bw <= 0 || bh <= 0 || bw >= cols || bw % 16 != 0 || bh % 16 != 0) return nullptr;

    std::unique_ptr<FloatTiles> t(new FloatTiles());
    t->path_ = path;
    t->cols_ = cols;
    t->rows_ = rows;
    t->tileW_ = bw;
    t->tileH_ = bh;
    t->tilesAcross_ = (cols + bw - 1) / bw;
    t->tilesDown_ = (rows + bh - 1) / bh;
    t->deflate_ = compression == "DEFLATE";
    t->fpPredictor_ = predictor == "3";
    if (noData) t->fill_ = float(*noData);

    // Where each tile lies in the file, as GDAL's TIFF driver reports it.
    const std::size_t n = std::size_t(t->tilesAcross_) * std::size_t(t->tilesDown_);
    t->offsets_.resize(n);
    t->sizes_.resize(n);
    for (int y = 0; y < t->tilesDown_; ++y)
        for (int x = 0; x < t->tilesAcross_; ++x) {
            const std::string suffix = std::to_string(x) + "_" + std::to_string(y);
            const std::string off = item(band, "BLOCK_OFFSET_" + suffix, "TIFF");
            const std::string size = item(band, "BLOCK_SIZE_" + suffix, "TIFF");
            const std::size_t i = std::size_t(y) * std::size_t(t->tilesAcross_) + std::size_t(x);
            t->offsets_[i] = off.empty() ? 0 : std::strtoull(off.c_str(), nullptr, 10);
            t->sizes_[i] = size.empty() ? 0 : std::strtoull(size.c_str(), nullptr, 10);
        }

    t->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (t->fd_ < 0) return nullptr;
    std::uint8_t header[2] = {0, 0};
    if (::pread(t->fd_, header, 2, 0) != 2 || !((header[0] == 'I' && header[1] == 'I') || (header[0] == 'M' && header[1] == 'M')))
        return nullptr;
    t->bigEndian_ = header[0] == 'M';
    t->fileSize_ = fs::file_size(path, ec);
    if (ec) return nullptr;
    if (t->deflate_) {
        t->inflater_ = std::make_unique<Inflater>();
        if (!t->inflater_->d) return nullptr;
    }
    t->tile_.resize(std::size_t(bw) * std::size_t(bh) * 4);
    return t;
}

FloatTiles::~FloatTiles() {
    if (fd_ >= 0) ::close(fd_);
}

void FloatTiles::decodeTile(int tileRow, int tileCol, float* strip) {
    const std::size_t i = std::size_t(tileRow) * std::size_t(tilesAcross_) + std::size_t(tileCol);
    const int c0 = tileCol * tileW_;
    const int validCols = std::min(tileW_, cols_ - c0);
    const int validRows = std::min(tileH_, rows_ - tileRow * tileH_);
    const std::size_t stride = std::size_t(cols_);
    const auto where = [&] {
        return path_.string() + ": tile " + std::to_string(tileCol) + "," + std::to_string(tileRow) + " at byte " +
               std::to_string(offsets_[i]);
    };
    if (offsets_[i] == 0 || sizes_[i] == 0) {  // a sparse file leaves empty tiles out
        for (int r = 0; r < validRows; ++r) std::fill_n(strip + std::size_t(r) * stride + c0, validCols, fill_);
        return;
    }
    if (offsets_[i] > fileSize_ || sizes_[i] > fileSize_ - offsets_[i])
        throw Error(Error::Kind::Io, where() + " lies beyond the end of the file (" + std::to_string(fileSize_) +
                                         " bytes): the file is truncated");
    std::uint8_t* raw = tile_.data();
    if (deflate_) {
        compressed_.resize(sizes_[i]);
        raw = compressed_.data();
    } else if (sizes_[i] < tile_.size()) {
        throw Error(Error::Kind::Io, where() + ": " + std::to_string(sizes_[i]) + " bytes where " +
                                         std::to_string(tile_.size()) + " are needed");
    }
    const std::size_t want = deflate_ ? std::size_t(sizes_[i]) : tile_.size();
    std::size_t got = 0;
    while (got < want) {
        const ssize_t r = ::pread(fd_, raw + got, want - got, off_t(offsets_[i] + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0)
            throw Error(Error::Kind::Io, where() + ": read failed (" +
                                             (r < 0 ? std::generic_category().message(errno) : "end of file") + ")");
        got += std::size_t(r);
    }
    if (deflate_) {
        const libdeflate_result res =
            libdeflate_zlib_decompress_ex(inflater_->d, raw, want, tile_.data(), tile_.size(), nullptr, nullptr);
        // Like libtiff, accept a stream that decodes to more than the tile (odd writers pad it).
        if (res != LIBDEFLATE_SUCCESS && res != LIBDEFLATE_INSUFFICIENT_SPACE)
            throw Error(Error::Kind::Io, where() + ": the DEFLATE data is corrupt" +
                                             (res == LIBDEFLATE_SHORT_OUTPUT ? " (too short)" : ""));
    }
    const std::size_t rowBytes = std::size_t(tileW_) * 4;
    for (int r = 0; r < validRows; ++r) {
        std::uint8_t* src = tile_.data() + std::size_t(r) * rowBytes;
        float* out = strip + std::size_t(r) * stride + c0;
        if (fpPredictor_) {
            undoFloatPredictor(src, tileW_, validCols, out);
        } else {
            std::memcpy(out, src, std::size_t(validCols) * 4);
            if (bigEndian_ != (std::endian::native == std::endian::big))
                for (int c = 0; c < validCols; ++c)
                    out[c] = std::bit_cast<float>(__builtin_bswap32(std::bit_cast<std::uint32_t>(out[c])));
        }
    }
}

void FloatTiles::decodeTileRow(int tileRow) {
    if (stripRow_ == tileRow) return;
    strip_.resize(std::size_t(tileH_) * std::size_t(cols_));
    stripRow_ = -1;  // until the whole row of tiles has decoded
    for (int x = 0; x < tilesAcross_; ++x) decodeTile(tileRow, x, strip_.data());
    stripRow_ = tileRow;
}

void FloatTiles::readRows(int row0, int rows, float* dst) {
    if (row0 < 0 || rows < 0 || row0 + rows > rows_)
        throw Error(Error::Kind::InvalidArgument, path_.string() + ": rows outside the raster");
    const std::size_t stride = std::size_t(cols_);
    for (int r = row0; r < row0 + rows;) {
        const int tileRow = r / tileH_;
        decodeTileRow(tileRow);
        const int end = std::min(row0 + rows, (tileRow + 1) * tileH_);
        std::memcpy(dst + std::size_t(r - row0) * stride, strip_.data() + std::size_t(r - tileRow * tileH_) * stride,
                    std::size_t(end - r) * stride * sizeof(float));
        r = end;
    }
}

}  // namespace traverse::terrain::detail
