#include "terrain/raster.hpp"

#include "terrain/detail/float_tiles.hpp"
#include "terrain/detail/gdal_util.hpp"
#include "terrain/error.hpp"

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <limits>
#include <mutex>
#include <tuple>

namespace traverse::terrain {

namespace detail {
void ensureGdalRegistered() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}
}  // namespace detail

namespace {

// The CRS's name and PROJ definition.
std::pair<std::string, std::string> crsNames(const char* wkt) {
    if (!wkt || !*wkt) return {};
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    std::pair<std::string, std::string> out;
    char* w = const_cast<char*>(wkt);
    if (OSRImportFromWkt(srs, &w) == OGRERR_NONE) {
        if (const char* n = OSRGetName(srs)) out.first = n;
        char* proj = nullptr;
        if (OSRExportToProj4(srs, &proj) == OGRERR_NONE && proj) out.second = proj;
        CPLFree(proj);
    }
    OSRDestroySpatialReference(srs);
    return out;
}

}  // namespace

void limitRasterCache(std::int64_t bytes) {
    detail::ensureGdalRegistered();
    if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) GDALSetCacheMax64(bytes);
}

bool isNoData(float v, const std::optional<double>& noData) {
    if (std::isnan(v)) return true;
    return noData && v == static_cast<float>(*noData);
}

Raster Raster::open(const std::filesystem::path& path) {
    detail::ensureGdalRegistered();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw Error(Error::Kind::NotFound, path.string() + ": no such file");
    if (std::filesystem::is_directory(path, ec))
        throw Error(Error::Kind::Format, path.string() + ": is a folder, not a raster file");

    detail::GdalErrorScope scope;
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (!ds) {
        throw Error(Error::Kind::Format,
                    path.string() + ": not a raster GDAL can read (" +
                        detail::GdalErrorScope::lastMessage("no driver recognises it") + ")");
    }
    if (GDALGetRasterCount(ds) < 1) {
        GDALClose(ds);
        throw Error(Error::Kind::Format, path.string() + ": has no raster band");
    }
    Raster r;
    r.ds_ = ds;
    r.info_.path = path;
    r.loadInfo();
    return r;
}

Raster Raster::adopt(void* gdalDataset, const std::filesystem::path& displayPath) {
    Raster r;
    r.ds_ = gdalDataset;
    r.info_.path = displayPath;
    r.loadInfo();
    return r;
}

Raster::ReopenSpec Raster::reopenSpec() const {
    auto ds = static_cast<GDALDatasetH>(ds_);
    const char* description = GDALGetDescription(ds);
    const bool inMemory = info_.driver == "VRT" && (!description || !*description);
    ReopenSpec spec{info_.path, {}};
    if (!inMemory) return spec;
    detail::GdalErrorScope scope;
    char** xml = GDALGetMetadata(ds, "xml:VRT");
    if (!xml || !xml[0])
        throw Error(Error::Kind::Format, info_.path.string() + ": the resampled view has no definition to reopen (" +
                                             detail::GdalErrorScope::lastMessage("no xml:VRT") + ")");
    spec.vrtXml = xml[0];
    return spec;
}

Raster Raster::reopen(const ReopenSpec& spec) {
    if (spec.vrtXml.empty()) return open(spec.path);
    detail::ensureGdalRegistered();
    detail::GdalErrorScope scope;
    GDALDatasetH copy = GDALOpenEx(spec.vrtXml.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (!copy)
        throw Error(Error::Kind::Format, spec.path.string() + ": cannot open the resampled view again (" +
                                             detail::GdalErrorScope::lastMessage("unreadable definition") + ")");
    return adopt(copy, spec.path);
}

Raster Raster::reopen() const { return reopen(reopenSpec()); }

Raster::Raster(Raster&& o) noexcept
    : ds_(o.ds_), info_(std::move(o.info_)), tiles_(std::move(o.tiles_)), tilesChecked_(o.tilesChecked_) {
    o.ds_ = nullptr;
}
Raster& Raster::operator=(Raster&& o) noexcept {
    if (this != &o) {
        tiles_.reset();
        if (ds_) GDALClose(static_cast<GDALDatasetH>(ds_));
        ds_ = o.ds_;
        info_ = std::move(o.info_);
        tiles_ = std::move(o.tiles_);
        tilesChecked_ = o.tilesChecked_;
        o.ds_ = nullptr;
    }
    return *this;
}
Raster::~Raster() {
    tiles_.reset();
    if (ds_) GDALClose(static_cast<GDALDatasetH>(ds_));
}

void Raster::loadInfo() {
    auto ds = static_cast<GDALDatasetH>(ds_);
    info_.driver = GDALGetDriverShortName(GDALGetDatasetDriver(ds));
    info_.cols = GDALGetRasterXSize(ds);
    info_.rows = GDALGetRasterYSize(ds);
    info_.bands = GDALGetRasterCount(ds);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    info_.dataType = GDALGetDataTypeName(GDALGetRasterDataType(b));
    GDALGetBlockSize(b, &info_.blockCols, &info_.blockRows);

    std::array<double, 6> gt{};
    const bool hasGt = GDALGetGeoTransform(ds, gt.data()) == CE_None;
    if (hasGt) info_.geoTransform = GeoTransform(gt);
    const char* wkt = GDALGetProjectionRef(ds);
    info_.crsWkt = wkt ? wkt : "";
    {
        detail::GdalErrorScope scope;
        std::tie(info_.crsName, info_.crsProj) = crsNames(wkt);
    }
    info_.hasGeoreference = hasGt && !info_.crsWkt.empty();

    int hasNoData = 0;
    const double nd = GDALGetRasterNoDataValue(b, &hasNoData);
    if (hasNoData) info_.noData = nd;
    info_.scale = GDALGetRasterScale(b, nullptr);
    info_.offset = GDALGetRasterOffset(b, nullptr);

    info_.overviews.clear();
    for (int i = 0; i < GDALGetOverviewCount(b); ++i) {
        GDALRasterBandH o = GDALGetOverview(b, i);
        info_.overviews.push_back({GDALGetRasterBandXSize(o), GDALGetRasterBandYSize(o)});
    }
}

OverviewInfo Raster::levelSize(int level) const {
    if (level < 0 || level >= levelCount())
        throw Error(Error::Kind::InvalidArgument,
                    info_.path.string() + ": no overview level " + std::to_string(level));
    return level == 0 ? OverviewInfo{info_.cols, info_.rows} : info_.overviews[std::size_t(level - 1)];
}

GeoTransform Raster::levelGeoTransform(int level) const {
    const OverviewInfo s = levelSize(level);
    return info_.geoTransform.scaled(double(info_.cols) / s.cols, double(info_.rows) / s.rows);
}

void Raster::read(PixelWindow w, int level, int band, void* dst, int bufCols, int bufRows, int gdalType) const {
    const OverviewInfo s = levelSize(level);
    if (band < 1 || band > info_.bands)
        throw Error(Error::Kind::InvalidArgument, info_.path.string() + ": no band " + std::to_string(band));
    if (w.cols <= 0 || w.rows <= 0 || w.col0 < 0 || w.row0 < 0 || w.col0 + w.cols > s.cols ||
        w.row0 + w.rows > s.rows)
        throw Error(Error::Kind::InvalidArgument, info_.path.string() + ": window outside the raster");
    GDALRasterBandH b = GDALGetRasterBand(static_cast<GDALDatasetH>(ds_), band);
    if (level > 0) b = GDALGetOverview(b, level - 1);
    detail::GdalErrorScope scope;
    GDALRasterIOExtraArg extra;
    INIT_RASTERIO_EXTRA_ARG(extra);
    extra.eResampleAlg = GRIORA_Average;
    const CPLErr err = GDALRasterIOEx(b, GF_Read, w.col0, w.row0, w.cols, w.rows, dst, bufCols, bufRows,
                                      static_cast<GDALDataType>(gdalType), 0, 0, &extra);
    if (err != CE_None)
        throw Error(Error::Kind::Io, info_.path.string() + ": read failed at rows " + std::to_string(w.row0) +
                                         ".." + std::to_string(w.row0 + w.rows - 1) + " (" +
                                         detail::GdalErrorScope::lastMessage() + ")");
}

Grid<float> Raster::readWindow(PixelWindow w, int level, int band) const {
    Grid<float> g(std::max(w.cols, 0), std::max(w.rows, 0));
    read(w, level, band, g.values.data(), w.cols, w.rows, GDT_Float32);
    applyScale(g.values.data(), g.values.size());
    return g;
}

void Raster::applyScale(float* v, std::size_t n) const {
    if (info_.scale == 1.0 && info_.offset == 0.0) return;
    const float s = float(info_.scale), o = float(info_.offset);
    for (std::size_t i = 0; i < n; ++i)
        if (!isNoData(v[i], info_.noData)) v[i] = v[i] * s + o;
}

Grid<std::uint8_t> Raster::readWindowBytes(PixelWindow w, int level, int band) const {
    Grid<std::uint8_t> g(std::max(w.cols, 0), std::max(w.rows, 0));
    read(w, level, band, g.values.data(), w.cols, w.rows, GDT_Byte);
    return g;
}

Grid<std::uint8_t> Raster::readResampledBytes(PixelWindow w, int outCols, int outRows, int band) const {
    if (outCols <= 0 || outRows <= 0)
        throw Error(Error::Kind::InvalidArgument, info_.path.string() + ": empty output size");
    Grid<std::uint8_t> g(outCols, outRows);
    read(w, 0, band, g.values.data(), outCols, outRows, GDT_Byte);
    return g;
}

void Raster::readRows(int row0, int rows, float* dst) const {
    if (!tilesChecked_) {
        tilesChecked_ = true;
        const char* direct = std::getenv("TRAVERSE_DIRECT_TIFF");
        if (!direct || std::string_view(direct) != "0") tiles_ = detail::FloatTiles::open(ds_, info_.path, info_.noData);
    }
    if (tiles_ && rows > 0 && row0 >= 0 && row0 + rows <= info_.rows)
        tiles_->readRows(row0, rows, dst);
    else
        read({0, row0, info_.cols, rows}, 0, 1, dst, info_.cols, rows, GDT_Float32);
    applyScale(dst, std::size_t(rows) * std::size_t(info_.cols));
}

ElevationStats computeElevationStats(const Raster& dtm, int level) {
    const auto& info = dtm.info();
    const OverviewInfo size = dtm.levelSize(level);
    ElevationStats s;
    s.minZ = std::numeric_limits<double>::infinity();
    s.maxZ = -std::numeric_limits<double>::infinity();
    double sum = 0.0;
    const int blockRows = std::max(1, std::min(size.rows, int((8u << 20) / (4u * unsigned(std::max(1, size.cols))))));
    for (int r0 = 0; r0 < size.rows; r0 += blockRows) {
        const int n = std::min(blockRows, size.rows - r0);
        const Grid<float> buf = dtm.readWindow({0, r0, size.cols, n}, level);
        for (const float v : buf.values) {
            if (isNoData(v, info.noData)) {
                ++s.noDataCells;
                continue;
            }
            ++s.validCells;
            s.minZ = std::min(s.minZ, double(v));
            s.maxZ = std::max(s.maxZ, double(v));
            sum += v;
        }
    }
    if (s.validCells) {
        s.meanZ = sum / double(s.validCells);
    } else {
        s.minZ = s.maxZ = 0.0;
    }
    return s;
}

}  // namespace traverse::terrain
