#include "studio/map_readout.hpp"

#include "terrain/error.hpp"
#include "terrain/site.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <string>

namespace traverse::studio {

namespace {

// The last CRS's projection, per thread: building one costs milliseconds (PROJ looks up operations),
// using it microseconds, and the cursor moves many times a second over one site.
std::optional<terrain::LonLat> toLonLat(const std::string& wkt, terrain::MapPoint p) {
    struct Cached {
        std::string wkt;
        std::unique_ptr<terrain::MapProjection> projection;  // null: the CRS has no geographic base
        bool tried = false;
    };
    thread_local Cached cache;
    if (!cache.tried || cache.wkt != wkt) {
        cache.wkt = wkt;
        cache.tried = true;
        cache.projection.reset();
        try {
            cache.projection = std::make_unique<terrain::MapProjection>(terrain::MapProjection::forCrs(wkt, "the DTM"));
        } catch (const Error&) {
        }
    }
    if (!cache.projection) return std::nullopt;
    return cache.projection->toLonLat({p}).front();
}

}  // namespace

CursorReading readCursor(const terrain::Site& site, terrain::MapPoint point) {
    CursorReading r;
    r.point = point;
    r.geographic = toLonLat(site.crsWkt(), point);
    const terrain::Raster& dtm = site.dtm();
    try {
        const terrain::PixelPoint px = site.geoTransform().toPixel(point);
        const double col = std::floor(px.col), row = std::floor(px.row);
        const int cols = dtm.info().cols, rows = dtm.info().rows;
        if (!(col >= 0 && row >= 0 && col < cols && row < rows)) return r;
        const int c = int(col), rr = int(row);
        const int c0 = std::max(0, c - 1), r0 = std::max(0, rr - 1);
        const int c1 = std::min(cols, c + 2), r1 = std::min(rows, rr + 2);
        const terrain::Grid<float> w = dtm.readWindow({c0, r0, c1 - c0, r1 - r0});
        const float z = w.at(c - c0, rr - r0);
        if (terrain::isNoData(z, dtm.info().noData)) {
            r.state = CursorReading::Elevation::NoData;
            return r;
        }
        r.state = CursorReading::Elevation::Value;
        r.elevation = z;
        if (w.cols == 3 && w.rows == 3) {
            bool valid = true;
            for (const float v : w.values) valid = valid && !terrain::isNoData(v, dtm.info().noData);
            if (valid) {
                // Horn's gradient, as the hazard maps compute slope.
                auto at = [&](int dc, int dr) { return double(w.at(1 + dc, 1 + dr)); };
                const double px = site.geoTransform().pixelWidth(), py = site.geoTransform().pixelHeight();
                const double dzdx = ((at(1, -1) + 2 * at(1, 0) + at(1, 1)) - (at(-1, -1) + 2 * at(-1, 0) + at(-1, 1))) / (8 * px);
                const double dzdy = ((at(-1, 1) + 2 * at(0, 1) + at(1, 1)) - (at(-1, -1) + 2 * at(0, -1) + at(1, -1))) / (8 * py);
                r.slopeDeg = std::atan(std::hypot(dzdx, dzdy)) * 180.0 / std::numbers::pi;
            }
        }
    } catch (const Error&) {
        r.state = CursorReading::Elevation::Unreadable;
    }
    return r;
}

QString formatGeographic(const terrain::LonLat& p) {
    double lon = std::fmod(p.lonDeg, 360.0);  // east-positive, 0..360, as Mars products give it
    if (lon < 0) lon += 360.0;
    return QStringLiteral("%1\u00B0%2 %3\u00B0E")
        .arg(std::abs(p.latDeg), 0, 'f', 5)
        .arg(p.latDeg < 0 ? QLatin1Char('S') : QLatin1Char('N'))
        .arg(lon, 0, 'f', 5);
}

QString formatReading(const CursorReading& r) {
    QString z;
    switch (r.state) {
        case CursorReading::Elevation::Value:
            z = QStringLiteral("elevation %1 m").arg(r.elevation, 0, 'f', 2);
            break;
        case CursorReading::Elevation::NoData: z = QStringLiteral("elevation nodata"); break;
        case CursorReading::Elevation::OutsideDtm: z = QStringLiteral("outside the DTM"); break;
        case CursorReading::Elevation::Unreadable: z = QStringLiteral("elevation unreadable"); break;
    }
    QString text = QStringLiteral("E %1 m   N %2 m   ").arg(r.point.e, 0, 'f', 2).arg(r.point.n, 0, 'f', 2);
    if (r.geographic) text += formatGeographic(*r.geographic) + QStringLiteral("   ");
    if (r.slopeDeg) text += QStringLiteral("slope %1\u00B0   ").arg(*r.slopeDeg, 0, 'f', 1);
    return text + z;
}

}  // namespace traverse::studio
