#include "terrain/geometry.hpp"

#include "terrain/error.hpp"

#include <algorithm>
#include <cmath>

namespace traverse::terrain {

MapExtent MapExtent::around(const std::vector<MapPoint>& pts, double margin) {
    MapExtent e{pts.at(0).e, pts[0].n, pts[0].e, pts[0].n};
    for (const auto& p : pts) {
        e.minE = std::min(e.minE, p.e);
        e.maxE = std::max(e.maxE, p.e);
        e.minN = std::min(e.minN, p.n);
        e.maxN = std::max(e.maxN, p.n);
    }
    return {e.minE - margin, e.minN - margin, e.maxE + margin, e.maxN + margin};
}

std::optional<MapExtent> MapExtent::intersect(const MapExtent& o) const {
    MapExtent r{std::max(minE, o.minE), std::max(minN, o.minN), std::min(maxE, o.maxE),
                std::min(maxN, o.maxN)};
    if (r.minE >= r.maxE || r.minN >= r.maxN) return std::nullopt;
    return r;
}

PixelPoint GeoTransform::toPixel(MapPoint p) const {
    const double det = g_[1] * g_[5] - g_[2] * g_[4];
    if (det == 0.0 || !std::isfinite(det))
        throw Error(Error::Kind::Georeference, "geotransform is singular and cannot be inverted");
    const double de = p.e - g_[0];
    const double dn = p.n - g_[3];
    return {(de * g_[5] - dn * g_[2]) / det, (dn * g_[1] - de * g_[4]) / det};
}

double GeoTransform::pixelWidth() const { return std::hypot(g_[1], g_[4]); }
double GeoTransform::pixelHeight() const { return std::hypot(g_[2], g_[5]); }

GeoTransform GeoTransform::scaled(double fx, double fy) const {
    return GeoTransform({g_[0], g_[1] * fx, g_[2] * fy, g_[3], g_[4] * fx, g_[5] * fy});
}

MapExtent GeoTransform::extent(int cols, int rows) const {
    const MapPoint c[4] = {toMap({0, 0}), toMap({double(cols), 0}), toMap({0, double(rows)}),
                           toMap({double(cols), double(rows)})};
    MapExtent e{c[0].e, c[0].n, c[0].e, c[0].n};
    for (const auto& p : c) {
        e.minE = std::min(e.minE, p.e);
        e.maxE = std::max(e.maxE, p.e);
        e.minN = std::min(e.minN, p.n);
        e.maxN = std::max(e.maxN, p.n);
    }
    return e;
}

double bearingDeg(MapPoint from, MapPoint to) {
    return std::fmod(std::atan2(to.e - from.e, to.n - from.n) * 180.0 / M_PI + 360.0, 360.0);
}

double wrapDeg(double a) {
    a = std::fmod(a, 360.0);
    return a < 0.0 ? a + 360.0 : a;
}

double turnDeg(double a, double b) {
    double d = std::fmod(b - a, 360.0);
    if (d > 180.0) d -= 360.0;
    if (d <= -180.0) d += 360.0;
    return d;
}

}  // namespace traverse::terrain
