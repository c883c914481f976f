#include "terrain/site.hpp"

#include "terrain/detail/gdal_util.hpp"
#include "terrain/error.hpp"

#include <cpl_conv.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

namespace traverse::terrain {

namespace {

// RAII for OGRSpatialReferenceH.
struct Srs {
    OGRSpatialReferenceH h = OSRNewSpatialReference(nullptr);
    explicit Srs(const std::string& wkt) {
        OSRSetAxisMappingStrategy(h, OAMS_TRADITIONAL_GIS_ORDER);
        char* w = const_cast<char*>(wkt.c_str());
        ok = OSRImportFromWkt(h, &w) == OGRERR_NONE;
    }
    ~Srs() { OSRDestroySpatialReference(h); }
    Srs(const Srs&) = delete;
    Srs& operator=(const Srs&) = delete;
    bool ok = false;
};

bool sameCrs(const std::string& a, const std::string& b) {
    if (a == b) return true;
    Srs sa(a), sb(b);
    if (!sa.ok || !sb.ok) return false;
    const char* opts[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES",
                          "CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS", nullptr};
    if (OSRIsSameEx(sa.h, sb.h, opts)) return true;
    // Planetary products name the same body, datum and projection differently (a PDS label and a
    // GeoTIFF of the same grid); compare the PROJ definitions, which hold only what matters.
    char* pa = nullptr;
    char* pb = nullptr;
    bool same = false;
    if (OSRExportToProj4(sa.h, &pa) == OGRERR_NONE && OSRExportToProj4(sb.h, &pb) == OGRERR_NONE)
        same = std::string(pa) == std::string(pb);
    CPLFree(pa);
    CPLFree(pb);
    return same;
}

// The orthoimage's extent expressed in the DTM's CRS (densified edges), or nothing if it cannot be
// transformed.
std::optional<MapExtent> extentInCrs(const RasterInfo& src, const std::string& dstWkt) {
    const MapExtent e = src.extent();
    if (sameCrs(src.crsWkt, dstWkt)) return e;
    Srs s(src.crsWkt), d(dstWkt);
    if (!s.ok || !d.ok) return std::nullopt;
    detail::GdalErrorScope scope;
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(s.h, d.h);
    if (!ct) return std::nullopt;
    std::vector<double> xs, ys;
    constexpr int kSteps = 20;
    for (int i = 0; i <= kSteps; ++i) {
        const double t = double(i) / kSteps;
        for (auto [x, y] : {std::pair{e.minE + t * e.width(), e.minN}, std::pair{e.minE + t * e.width(), e.maxN},
                            std::pair{e.minE, e.minN + t * e.height()}, std::pair{e.maxE, e.minN + t * e.height()}}) {
            xs.push_back(x);
            ys.push_back(y);
        }
    }
    std::vector<int> ok(xs.size(), 0);
    OCTTransformEx(ct, int(xs.size()), xs.data(), ys.data(), nullptr, ok.data());
    OCTDestroyCoordinateTransformation(ct);
    std::optional<MapExtent> out;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        if (!ok[i] || !std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
        if (!out) out = MapExtent{xs[i], ys[i], xs[i], ys[i]};
        out->minE = std::min(out->minE, xs[i]);
        out->maxE = std::max(out->maxE, xs[i]);
        out->minN = std::min(out->minN, ys[i]);
        out->maxN = std::max(out->maxN, ys[i]);
    }
    return out;
}

bool onAlignedGrid(const RasterInfo& dtm, const RasterInfo& ortho) {
    if (!ortho.geoTransform.isNorthUp()) return false;
    const auto& d = dtm.geoTransform.coefficients();
    const auto& o = ortho.geoTransform.coefficients();
    const double opx = o[1], opy = -o[5];
    // Origin offsets must be whole ortho pixels, and DTM pixels whole multiples of ortho pixels.
    auto whole = [](double v) { return std::abs(v - std::round(v)) < 1e-6; };
    return whole((o[0] - d[0]) / opx) && whole((d[3] - o[3]) / opy) && whole(d[1] / opx) && whole(-d[5] / opy);
}

std::string describe(const std::filesystem::path& dtm, const std::filesystem::path& ortho) {
    return "orthoimage " + ortho.string() + " and DTM " + dtm.string();
}

}  // namespace

void requireUsableDtm(const Raster& dtm) {
    const auto& i = dtm.info();
    if (!i.hasGeoreference)
        throw Error(Error::Kind::Georeference,
                    i.path.string() + ": DTM has no georeferencing (" +
                        (i.crsWkt.empty() ? "no coordinate reference system" : "no geotransform") +
                        "); Traverse needs a map-projected DTM");
    if (!i.geoTransform.isNorthUp())
        throw Error(Error::Kind::Georeference, i.path.string() + ": DTM is rotated or not north-up");
    if (i.bands != 1)
        throw Error(Error::Kind::Format,
                    i.path.string() + ": DTM has " + std::to_string(i.bands) + " bands, expected one elevation band");
}

Site::Site(Raster dtm) : dtm_(std::move(dtm)) {}
Site::Site(Site&&) noexcept = default;
Site& Site::operator=(Site&&) noexcept = default;
Site::~Site() = default;

const Raster* Site::ortho() const {
    if (orthoFramed_) return orthoFramed_.get();
    return orthoSource_.get();
}
const Raster* Site::orthoSource() const { return orthoSource_.get(); }

Site Site::open(const std::filesystem::path& dtmPath, const std::optional<std::filesystem::path>& orthoPath) {
    Site site(Raster::open(dtmPath));
    requireUsableDtm(site.dtm_);
    if (!orthoPath) return site;

    auto src = std::make_unique<Raster>(Raster::open(*orthoPath));
    const RasterInfo& oi = src->info();
    const RasterInfo& di = site.dtm_.info();
    if (!oi.hasGeoreference)
        throw Error(Error::Kind::Georeference,
                    "cannot match " + describe(dtmPath, *orthoPath) + ": " + orthoPath->string() +
                        " has no georeferencing (" + (oi.crsWkt.empty() ? "no CRS" : "no geotransform") + ")");

    const bool same = sameCrs(oi.crsWkt, di.crsWkt);
    const auto oext = extentInCrs(oi, di.crsWkt);
    if (!oext)
        throw Error(Error::Kind::Georeference, "cannot match " + describe(dtmPath, *orthoPath) +
                                                   ": the orthoimage's CRS cannot be transformed into the DTM's");
    const MapExtent dext = di.extent();
    const auto overlap = dext.intersect(*oext);
    if (!overlap) {
        std::ostringstream m;
        m.precision(10);
        m << "cannot match " << describe(dtmPath, *orthoPath) << ": they do not overlap (orthoimage E "
          << oext->minE << ".." << oext->maxE << " N " << oext->minN << ".." << oext->maxN << ", DTM E "
          << dext.minE << ".." << dext.maxE << " N " << dext.minN << ".." << dext.maxN << ")";
        throw Error(Error::Kind::Georeference, m.str());
    }
    site.coreg_.overlapShare = (overlap->width() * overlap->height()) / (dext.width() * dext.height());

    if (same && onAlignedGrid(di, oi)) {
        site.coreg_.method = Coregistration::Method::SameGrid;
        site.coreg_.description = "orthoimage on the DTM's grid (same CRS, aligned pixels)";
        site.orthoSource_ = std::move(src);
        return site;
    }

    // Resample (same CRS) or reproject into the DTM's CRS, on a grid aligned with the DTM's origin
    // whose pixel divides the DTM's pixel.
    const double dpx = di.geoTransform.pixelWidth();
    const double srcPx = same ? oi.geoTransform.pixelWidth() : std::sqrt(oext->width() * oext->height() / (double(oi.cols) * oi.rows));
    const double ratio = std::max(1.0, std::round(dpx / srcPx));
    const double px = dpx / ratio;
    const std::string te = [&] {
        std::ostringstream s;
        s.precision(17);
        s << dext.minE << ' ' << dext.minN << ' ' << dext.maxE << ' ' << dext.maxN;
        return s.str();
    }();
    std::vector<std::string> args = {"-of", "VRT", "-t_srs", di.crsWkt, "-r", "bilinear", "-tr",
                                     std::to_string(px), std::to_string(px)};
    {
        std::istringstream s(te);
        std::string v;
        args.push_back("-te");
        while (s >> v) args.push_back(v);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    detail::GdalErrorScope scope;
    GDALWarpAppOptions* opts = GDALWarpAppOptionsNew(argv.data(), nullptr);
    GDALDatasetH srcH = static_cast<GDALDatasetH>(src->gdalHandle());
    int usageError = 0;
    GDALDatasetH vrt = GDALWarp("", nullptr, 1, &srcH, opts, &usageError);
    GDALWarpAppOptionsFree(opts);
    if (!vrt)
        throw Error(Error::Kind::Georeference, "cannot match " + describe(dtmPath, *orthoPath) + ": " +
                                                   detail::GdalErrorScope::lastMessage("reprojection failed"));
    site.coreg_.method = same ? Coregistration::Method::Resampled : Coregistration::Method::Reprojected;
    std::ostringstream d;
    d << "orthoimage " << (same ? "resampled" : "reprojected") << " into the DTM's frame at " << px << " m/px";
    site.coreg_.description = d.str();
    site.orthoSource_ = std::move(src);
    site.orthoFramed_ = std::make_unique<Raster>(Raster::adopt(vrt, *orthoPath));
    return site;
}

}  // namespace traverse::terrain
