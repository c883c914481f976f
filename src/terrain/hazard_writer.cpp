#include "terrain/hazard_writer.hpp"

#include "terrain/detail/gdal_util.hpp"
#include "terrain/error.hpp"
#include "terrain/raster.hpp"

#include <gdal.h>

#include <algorithm>
#include <array>
#include <exception>
#include <future>
#include <optional>
#include <cstdlib>
#include <random>
#include <sstream>

namespace traverse::terrain {

namespace fs = std::filesystem;

Compression parseCompression(const std::string& name) {
    if (name == "deflate") return Compression::Deflate;
    if (name == "zstd") return Compression::Zstd;
    if (name == "lzw") return Compression::Lzw;
    if (name == "none") return Compression::None;
    throw Error(Error::Kind::InvalidArgument, "unknown compression '" + name + "' (deflate, zstd, lzw or none)");
}

struct HazardGeoTiffWriter::Impl {
    struct Lane {
        std::vector<std::uint16_t> u16;  // encoding scratch, one block
        std::vector<std::uint8_t> u8;
    };
    std::array<Lane, 2> lanes;
    fs::path outDir, tmpDir;
    bool createdOutDir = false;
    bool committed = false;
    std::array<GDALDatasetH, 6> ds{};
    std::array<fs::path, 6> names;

    ~Impl() {
        for (auto& d : ds)
            if (d) GDALClose(d);
        if (!committed) {
            std::error_code ec;
            fs::remove_all(tmpDir, ec);
            if (createdOutDir) fs::remove(outDir, ec);  // only removed when still empty
        }
    }
};

namespace {

// The layers (by index in kAllHazardLayers) each writing lane takes.
constexpr std::array<std::array<std::size_t, 3>, 2> kLaneLayers = {{{2, 0, 3}, {1, 5, 4}}};

// How each layer is stored: slope in hundredths of a degree, roughness and step in millimetres, as
// UInt16 (65535 = nodata); cost as 0..254 in a byte (254 = 1.0 = hard hazard). Each file carries its
// scale, so GDAL and QGIS read degrees and metres. Rounding costs at most 0.005 degree, 0.5 mm or
// 0.002 of cost; in exchange the files are far smaller than float32 and compress several times
// faster, which is most of the time spent writing.
struct Storage {
    GDALDataType type;
    double scale = 1.0;
    std::optional<double> noData;
};

constexpr std::uint16_t kU16NoData = 65535;

Storage storageOf(HazardLayer layer) {
    switch (layer) {
        case HazardLayer::Slope: return {GDT_UInt16, 0.01, double(kU16NoData)};
        case HazardLayer::Roughness:
        case HazardLayer::Step: return {GDT_UInt16, 0.001, double(kU16NoData)};
        case HazardLayer::Cost: return {GDT_Byte, 1.0 / 254.0, std::nullopt};
        default: return {GDT_Byte, 1.0, std::nullopt};
    }
}

// Whole units of 1/perUnit (kNoData -> 65535), rounded to nearest; branch-free so it vectorises.
void encodeU16(const float* in, std::size_t n, float perUnit, std::uint16_t* out) {
    for (std::size_t i = 0; i < n; ++i) {
        const float v = in[i] == kNoData ? 65535.0f : std::min(std::max(in[i] * perUnit + 0.5f, 0.0f), 65534.0f);
        out[i] = std::uint16_t(std::int32_t(v));
    }
}

void encodeCost(const float* in, std::size_t n, std::uint8_t* out) {
    for (std::size_t i = 0; i < n; ++i) {
        const float v = std::min(std::max(in[i] * 254.0f + 0.5f, 0.0f), 254.0f);
        out[i] = std::uint8_t(std::int32_t(v));  // 1.0 (hard hazard) is 254; traversable cells <= 251
    }
}

fs::path uniqueTempDir(const fs::path& parent) {
    std::random_device rd;
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::ostringstream n;
        n << ".traverse-tmp-" << std::hex << rd();
        fs::path p = parent / n.str();
        std::error_code ec;
        if (fs::create_directory(p, ec)) return p;
        if (ec) throw Error(Error::Kind::Io, parent.string() + ": cannot write in output folder (" + ec.message() + ")");
    }
    throw Error(Error::Kind::Io, parent.string() + ": cannot create a temporary folder");
}

}  // namespace

HazardGeoTiffWriter::HazardGeoTiffWriter(const fs::path& outDir, const Raster& dtm, const HazardParams& params,
                                         Compression compression)
    : impl_(std::make_unique<Impl>()) {
    detail::ensureGdalRegistered();
    impl_->outDir = outDir;
    std::error_code ec;
    if (fs::exists(outDir, ec) && !fs::is_directory(outDir, ec))
        throw Error(Error::Kind::Io, outDir.string() + ": output path exists and is not a folder");
    if (!fs::exists(outDir, ec)) {
        fs::create_directories(outDir, ec);
        if (ec) throw Error(Error::Kind::Io, outDir.string() + ": cannot create output folder (" + ec.message() + ")");
        impl_->createdOutDir = true;
    }
    impl_->tmpDir = uniqueTempDir(outDir);

    const auto& info = dtm.info();
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    const char* comp = compression == Compression::Deflate ? "DEFLATE"
                       : compression == Compression::Zstd  ? "ZSTD"
                       : compression == Compression::Lzw   ? "LZW"
                                                           : "NONE";
    std::ostringstream limits;
    limits << "max_slope_deg=" << params.limits.maxSlopeDeg << " max_step_m=" << params.limits.maxStepM
           << " max_roughness_m=" << params.limits.maxRoughnessM << " footprint_m=" << params.footprintM
           << " wheel_m=" << params.wheelM << " unknown_buffer_m=" << params.unknownBufferM;
    const std::string limitsText = limits.str();

    for (std::size_t i = 0; i < std::size(kAllHazardLayers); ++i) {
        const HazardLayer layer = kAllHazardLayers[i];
        const Storage st = storageOf(layer);
        impl_->names[i] = fs::path(std::string(layerName(layer)) + ".tif");
        const fs::path p = impl_->tmpDir / impl_->names[i];
        std::vector<std::string> opts = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256",
                                         std::string("COMPRESS=") + comp, "BIGTIFF=IF_SAFER"};
        if (compression == Compression::Deflate) opts.push_back("ZLEVEL=1");
        if (compression == Compression::Zstd) opts.push_back("ZSTD_LEVEL=1");
        std::vector<char*> copts;
        for (auto& o : opts) copts.push_back(o.data());
        copts.push_back(nullptr);
        detail::GdalErrorScope scope;
        GDALDatasetH d = GDALCreate(drv, p.c_str(), info.cols, info.rows, 1, st.type, copts.data());
        if (!d)
            throw Error(Error::Kind::Io, p.string() + ": cannot create (" + detail::GdalErrorScope::lastMessage() + ")");
        impl_->ds[i] = d;
        GDALSetGeoTransform(d, const_cast<double*>(info.geoTransform.coefficients().data()));
        GDALSetProjection(d, info.crsWkt.c_str());
        GDALRasterBandH b = GDALGetRasterBand(d, 1);
        if (st.noData) GDALSetRasterNoDataValue(b, *st.noData);
        if (st.scale != 1.0) {
            GDALSetRasterScale(b, st.scale);
            GDALSetRasterOffset(b, 0.0);
        }
        GDALSetDescription(b, std::string(layerName(layer)).c_str());
        GDALSetRasterUnitType(b, std::string(layerUnit(layer)).c_str());
        GDALSetMetadataItem(d, "TRAVERSE_LAYER", std::string(layerName(layer)).c_str(), nullptr);
        GDALSetMetadataItem(d, "TRAVERSE_SOURCE_DTM", info.path.string().c_str(), nullptr);
        GDALSetMetadataItem(d, "TRAVERSE_PARAMETERS", limitsText.c_str(), nullptr);
        if (layer == HazardLayer::Hazard)
            GDALSetMetadataItem(d, "TRAVERSE_HAZARD_BITS", "1=slope 2=step 4=roughness 8=unknown", nullptr);
        if (layer == HazardLayer::Cost)
            GDALSetMetadataItem(d, "TRAVERSE_COST_ENCODING", "cost = value / 254; 254 = hard hazard", nullptr);
        GDALFlushCache(d);
    }
}

HazardGeoTiffWriter::~HazardGeoTiffWriter() = default;

void HazardGeoTiffWriter::consume(const HazardBlock& b) {
    const std::size_t n = std::size_t(b.rows) * std::size_t(b.cols);
    // Encodes layer i (kAllHazardLayers order: slope, roughness, step, unknown, hazard, cost) into
    // the lane's scratch, writes it and compresses its tiles at once, on the calling thread.
    auto write = [&](std::size_t i, Impl::Lane& lane) {
        const void* data = nullptr;
        GDALDataType type = GDT_Byte;
        switch (i) {
            case 0: encodeU16(b.slope, n, 100.0f, lane.u16.data()); break;
            case 1: encodeU16(b.roughness, n, 1000.0f, lane.u16.data()); break;
            case 2: encodeU16(b.step, n, 1000.0f, lane.u16.data()); break;
            case 3: data = b.unknown; break;
            case 4: data = b.hazard; break;
            default: encodeCost(b.cost, n, lane.u8.data()); data = lane.u8.data(); break;
        }
        if (i <= 2) {
            data = lane.u16.data();
            type = GDT_UInt16;
        }
        detail::GdalErrorScope scope;
        GDALRasterBandH band = GDALGetRasterBand(impl_->ds[i], 1);
        if (GDALRasterIO(band, GF_Write, 0, b.row0, b.cols, b.rows, const_cast<void*>(data), b.cols, b.rows, type, 0,
                         0) != CE_None ||
            GDALFlushRasterCache(band) != CE_None)
            throw Error(Error::Kind::Io, (impl_->tmpDir / impl_->names[i]).string() + ": write failed (" +
                                             detail::GdalErrorScope::lastMessage() + ")");
    };
    for (auto& lane : impl_->lanes) {
        lane.u16.resize(n);
        lane.u8.resize(n);
    }
    // Compression is most of the work: the layers go out in two lanes of about equal cost (step and
    // slope; roughness and cost), each compressing its own tiles, so that no tile waits in GDAL's
    // cache for another thread and GDAL's own compression threads (which cost more in handing
    // tiles over than they gain here) are not needed.
    auto lane = [&](int l) {
        for (const std::size_t i : kLaneLayers[l]) write(i, impl_->lanes[std::size_t(l)]);
    };
    std::future<void> other = std::async(std::launch::async, lane, 1);
    std::exception_ptr failure;
    try {
        lane(0);
    } catch (...) {
        failure = std::current_exception();
    }
    try {
        other.get();
    } catch (...) {
        if (!failure) failure = std::current_exception();
    }
    if (failure) std::rethrow_exception(failure);
}

std::vector<fs::path> HazardGeoTiffWriter::commit() {
    for (std::size_t i = 0; i < impl_->ds.size(); ++i) {
        detail::GdalErrorScope scope;
        GDALDatasetH d = impl_->ds[i];
        impl_->ds[i] = nullptr;
        GDALClose(d);  // flushes the last tiles; GDAL reports a failed write as an error
        if (CPLGetLastErrorType() == CE_Failure)
            throw Error(Error::Kind::Io, (impl_->tmpDir / impl_->names[i]).string() + ": write failed (" +
                                             detail::GdalErrorScope::lastMessage() + ")");
    }
    std::vector<fs::path> out;
    for (const auto& n : impl_->names) {
        std::error_code ec;
        fs::rename(impl_->tmpDir / n, impl_->outDir / n, ec);
        if (ec) throw Error(Error::Kind::Io, (impl_->outDir / n).string() + ": cannot move into place (" + ec.message() + ")");
        out.push_back(impl_->outDir / n);
    }
    impl_->committed = true;
    std::error_code ec;
    fs::remove(impl_->tmpDir, ec);
    return out;
}

}  // namespace traverse::terrain
