#include "terrain/hazard_writer.hpp"

#include "terrain/detail/gdal_util.hpp"
#include "terrain/error.hpp"
#include "terrain/raster.hpp"

#include <gdal.h>

#include <array>
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
        const bool isFloat = layer == HazardLayer::Slope || layer == HazardLayer::Roughness ||
                             layer == HazardLayer::Step || layer == HazardLayer::Cost;
        impl_->names[i] = fs::path(std::string(layerName(layer)) + ".tif");
        const fs::path p = impl_->tmpDir / impl_->names[i];
        std::vector<std::string> opts = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256",
                                         std::string("COMPRESS=") + comp, "NUM_THREADS=ALL_CPUS", "BIGTIFF=IF_SAFER"};
        if (compression == Compression::Deflate) opts.push_back("ZLEVEL=1");
        if (compression == Compression::Zstd) opts.push_back("ZSTD_LEVEL=1");
        if (compression != Compression::None && !isFloat) opts.push_back("PREDICTOR=1");
        std::vector<char*> copts;
        for (auto& o : opts) copts.push_back(o.data());
        copts.push_back(nullptr);
        detail::GdalErrorScope scope;
        GDALDatasetH d = GDALCreate(drv, p.c_str(), info.cols, info.rows, 1, isFloat ? GDT_Float32 : GDT_Byte,
                                    copts.data());
        if (!d)
            throw Error(Error::Kind::Io, p.string() + ": cannot create (" + detail::GdalErrorScope::lastMessage() + ")");
        impl_->ds[i] = d;
        GDALSetGeoTransform(d, const_cast<double*>(info.geoTransform.coefficients().data()));
        GDALSetProjection(d, info.crsWkt.c_str());
        GDALRasterBandH b = GDALGetRasterBand(d, 1);
        if (isFloat) GDALSetRasterNoDataValue(b, double(kNoData));
        GDALSetDescription(b, std::string(layerName(layer)).c_str());
        GDALSetRasterUnitType(b, std::string(layerUnit(layer)).c_str());
        GDALSetMetadataItem(d, "TRAVERSE_LAYER", std::string(layerName(layer)).c_str(), nullptr);
        GDALSetMetadataItem(d, "TRAVERSE_SOURCE_DTM", info.path.string().c_str(), nullptr);
        GDALSetMetadataItem(d, "TRAVERSE_PARAMETERS", limitsText.c_str(), nullptr);
        if (layer == HazardLayer::Hazard)
            GDALSetMetadataItem(d, "TRAVERSE_HAZARD_BITS", "1=slope 2=step 4=roughness 8=unknown", nullptr);
    }
}

HazardGeoTiffWriter::~HazardGeoTiffWriter() = default;

void HazardGeoTiffWriter::consume(const HazardBlock& b) {
    const void* data[6] = {b.slope, b.roughness, b.step, b.unknown, b.hazard, b.cost};
    for (std::size_t i = 0; i < 6; ++i) {
        const HazardLayer layer = kAllHazardLayers[i];
        const bool isFloat = layer != HazardLayer::Unknown && layer != HazardLayer::Hazard;
        // kAllHazardLayers order: slope, roughness, step, unknown, hazard, cost
        detail::GdalErrorScope scope;
        GDALRasterBandH band = GDALGetRasterBand(impl_->ds[i], 1);
        if (GDALRasterIO(band, GF_Write, 0, b.row0, b.cols, b.rows, const_cast<void*>(data[i]), b.cols, b.rows,
                         isFloat ? GDT_Float32 : GDT_Byte, 0, 0) != CE_None)
            throw Error(Error::Kind::Io, (impl_->tmpDir / impl_->names[i]).string() + ": write failed (" +
                                             detail::GdalErrorScope::lastMessage() + ")");
    }
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
