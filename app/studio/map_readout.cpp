#include "studio/map_readout.hpp"

#include "terrain/error.hpp"
#include "terrain/site.hpp"

#include <cmath>

namespace traverse::studio {

CursorReading readCursor(const terrain::Site& site, terrain::MapPoint point) {
    CursorReading r;
    r.point = point;
    const terrain::Raster& dtm = site.dtm();
    try {
        const terrain::PixelPoint px = site.geoTransform().toPixel(point);
        const double col = std::floor(px.col), row = std::floor(px.row);
        if (!(col >= 0 && row >= 0 && col < dtm.info().cols && row < dtm.info().rows)) return r;
        const float z = dtm.readWindow({int(col), int(row), 1, 1}).values[0];
        if (terrain::isNoData(z, dtm.info().noData)) {
            r.state = CursorReading::Elevation::NoData;
        } else {
            r.state = CursorReading::Elevation::Value;
            r.elevation = z;
        }
    } catch (const Error&) {
        r.state = CursorReading::Elevation::Unreadable;
    }
    return r;
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
    return QStringLiteral("E %1 m   N %2 m   %3").arg(r.point.e, 0, 'f', 2).arg(r.point.n, 0, 'f', 2).arg(z);
}

}  // namespace traverse::studio
