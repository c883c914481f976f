#include "terrain/crs_transform.hpp"

#include "terrain/detail/gdal_util.hpp"
#include "terrain/error.hpp"

#include <cpl_conv.h>
#include <ogr_srs_api.h>

#include <cmath>
#include <cstdlib>

namespace traverse::terrain {

namespace {

constexpr double kDeg = M_PI / 180.0;

struct SrsDeleter {
    void operator()(void* h) const { OSRDestroySpatialReference(static_cast<OGRSpatialReferenceH>(h)); }
};
struct TransformDeleter {
    void operator()(void* h) const { OCTDestroyCoordinateTransformation(static_cast<OGRCoordinateTransformationH>(h)); }
};
using Srs = std::unique_ptr<void, SrsDeleter>;
using Transform = std::unique_ptr<void, TransformDeleter>;

OGRSpatialReferenceH h(const Srs& s) { return static_cast<OGRSpatialReferenceH>(s.get()); }
OGRCoordinateTransformationH h(const Transform& t) { return static_cast<OGRCoordinateTransformationH>(t.get()); }

Srs readSrs(const std::string& crs, const std::string& what) {
    if (crs.empty()) throw Error(Error::Kind::Georeference, what + ": no CRS");
    detail::GdalErrorScope scope;
    Srs s(OSRNewSpatialReference(nullptr));
    if (OSRSetFromUserInput(h(s), crs.c_str()) != OGRERR_NONE)
        throw Error(Error::Kind::Georeference,
                    what + ": the CRS cannot be read (" + detail::GdalErrorScope::lastMessage("not a CRS OGR knows") +
                        ")");
    // Easting/longitude first, as GIS files and our map frame write them.
    OSRSetAxisMappingStrategy(h(s), OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

CrsInfo info(const Srs& s) {
    CrsInfo i;
    if (const char* n = OSRGetName(h(s))) i.name = n;
    i.geographic = OSRIsGeographic(h(s)) != 0;
    i.projected = OSRIsProjected(h(s)) != 0;
    OGRErr err = OGRERR_NONE;
    i.semiMajorM = OSRGetSemiMajor(h(s), &err);
    i.semiMinorM = OSRGetSemiMinor(h(s), &err);
    return i;
}

Transform makeTransform(const Srs& from, const Srs& to, const std::string& what, const std::string& between) {
    detail::GdalErrorScope scope;
    Transform t(OCTNewCoordinateTransformation(h(from), h(to)));
    if (!t)
        throw Error(Error::Kind::Georeference,
                    what + ": no transformation " + between + " (" +
                        detail::GdalErrorScope::lastMessage("PROJ found none") + ")");
    return t;
}

// Transforms in place; ok[i] says whether point i succeeded (and is finite).
std::vector<int> run(const Transform& t, std::vector<double>& x, std::vector<double>& y) {
    std::vector<int> ok(x.size(), 0);
    if (x.empty()) return ok;
    detail::GdalErrorScope scope;
    if (!OCTTransformEx(h(t), int(x.size()), x.data(), y.data(), nullptr, ok.data())) {
        // Some GDAL versions report a partial failure as an overall one; the flags still hold.
    }
    for (std::size_t i = 0; i < x.size(); ++i) ok[i] = ok[i] && std::isfinite(x[i]) && std::isfinite(y[i]);
    return ok;
}

}  // namespace

CrsInfo describeCrs(const std::string& crs, const std::string& what) { return info(readSrs(crs, what)); }

// ---- MapProjection ------------------------------------------------------------------------------------

struct MapProjection::Impl {
    Srs map, geo;
    Transform toMap, toGeo;
    CrsInfo crs;
    double a = 0.0, b = 0.0;  // semi-axes, for planetocentric <-> geodetic latitude
};

MapProjection::MapProjection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MapProjection::MapProjection(MapProjection&&) noexcept = default;
MapProjection& MapProjection::operator=(MapProjection&&) noexcept = default;
MapProjection::~MapProjection() = default;

MapProjection MapProjection::forCrs(const std::string& mapCrs, const std::string& what) {
    auto impl = std::make_unique<Impl>();
    impl->map = readSrs(mapCrs, what);
    impl->crs = info(impl->map);
    if (!impl->crs.projected)
        throw Error(Error::Kind::Georeference, what + ": the CRS \"" + impl->crs.name + "\" is not a projected CRS");
    impl->a = impl->crs.semiMajorM;
    impl->b = impl->crs.semiMinorM;
    OGRErr err = OGRERR_NONE;
    const double invF = OSRGetInvFlattening(h(impl->map), &err);
    const auto attr = [&](const char* node, const char* fallback) {
        const char* v = OSRGetAttrValue(h(impl->map), node, 0);
        return std::string(v && *v ? v : fallback);
    };
    // Built rather than cloned from the map CRS's base: IAU "ographic" base CRSs count longitude
    // westwards, and the reference meridian must be 0 for east longitudes.
    impl->geo.reset(OSRNewSpatialReference(nullptr));
    if (OSRSetGeogCS(h(impl->geo), attr("GEOGCS", "geographic").c_str(), attr("DATUM", "unknown").c_str(),
                     attr("SPHEROID", "unknown").c_str(), impl->a, invF, "Reference_Meridian", 0.0, SRS_UA_DEGREE,
                     std::atof(SRS_UA_DEGREE_CONV)) != OGRERR_NONE)
        throw Error(Error::Kind::Georeference, what + ": no geographic CRS for the datum of \"" + impl->crs.name + "\"");
    OSRSetAxisMappingStrategy(h(impl->geo), OAMS_TRADITIONAL_GIS_ORDER);
    impl->toMap = makeTransform(impl->geo, impl->map, what, "from longitude/latitude to \"" + impl->crs.name + "\"");
    impl->toGeo = makeTransform(impl->map, impl->geo, what, "from \"" + impl->crs.name + "\" to longitude/latitude");
    return MapProjection(std::move(impl));
}

const CrsInfo& MapProjection::crs() const { return impl_->crs; }

std::vector<std::optional<MapPoint>> MapProjection::toMap(const std::vector<LonLat>& points) const {
    const double a = impl_->a, b = impl_->b;
    std::vector<double> x(points.size()), y(points.size());
    std::vector<bool> valid(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        const LonLat p = points[i];
        valid[i] = std::isfinite(p.lonDeg) && std::isfinite(p.latDeg) && std::abs(p.latDeg) <= 90.0;
        double lat = p.latDeg;
        if (valid[i] && a != b && std::abs(lat) < 90.0) lat = std::atan((a * a) / (b * b) * std::tan(lat * kDeg)) / kDeg;
        x[i] = valid[i] ? std::remainder(p.lonDeg, 360.0) : 0.0;
        y[i] = valid[i] ? lat : 0.0;
    }
    const auto ok = run(impl_->toMap, x, y);
    std::vector<std::optional<MapPoint>> out(points.size());
    for (std::size_t i = 0; i < points.size(); ++i)
        if (valid[i] && ok[i]) out[i] = MapPoint{x[i], y[i]};
    return out;
}

std::vector<std::optional<LonLat>> MapProjection::toLonLat(const std::vector<MapPoint>& points) const {
    const double a = impl_->a, b = impl_->b;
    std::vector<double> x(points.size()), y(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        x[i] = points[i].e;
        y[i] = points[i].n;
    }
    const auto ok = run(impl_->toGeo, x, y);
    std::vector<std::optional<LonLat>> out(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (!ok[i] || !std::isfinite(points[i].e) || !std::isfinite(points[i].n)) continue;
        double lat = y[i];
        if (a != b && std::abs(lat) < 90.0) lat = std::atan((b * b) / (a * a) * std::tan(lat * kDeg)) / kDeg;
        double lon = std::remainder(x[i], 360.0);
        if (lon == -180.0) lon = 180.0;
        out[i] = LonLat{lon, lat};
    }
    return out;
}

// ---- CrsToMap -----------------------------------------------------------------------------------------

struct CrsToMap::Impl {
    Srs source, map;
    Transform t;
};

CrsToMap::CrsToMap(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CrsToMap::CrsToMap(CrsToMap&&) noexcept = default;
CrsToMap& CrsToMap::operator=(CrsToMap&&) noexcept = default;
CrsToMap::~CrsToMap() = default;

CrsToMap CrsToMap::create(const std::string& sourceCrs, const std::string& mapCrs, const std::string& what) {
    auto impl = std::make_unique<Impl>();
    impl->source = readSrs(sourceCrs, what);
    impl->map = readSrs(mapCrs, what + " (map CRS)");
    impl->t = makeTransform(impl->source, impl->map, what,
                            "from \"" + info(impl->source).name + "\" to \"" + info(impl->map).name + "\"");
    return CrsToMap(std::move(impl));
}

std::vector<std::optional<MapPoint>> CrsToMap::toMap(const std::vector<std::array<double, 2>>& points) const {
    std::vector<double> x(points.size()), y(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        x[i] = points[i][0];
        y[i] = points[i][1];
    }
    const auto ok = run(impl_->t, x, y);
    std::vector<std::optional<MapPoint>> out(points.size());
    for (std::size_t i = 0; i < points.size(); ++i)
        if (ok[i] && std::isfinite(points[i][0]) && std::isfinite(points[i][1])) out[i] = MapPoint{x[i], y[i]};
    return out;
}

}  // namespace traverse::terrain
