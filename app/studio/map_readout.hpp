#pragma once
// What the status bar says about the point under the cursor.
#include "terrain/geometry.hpp"

#include <QString>

namespace traverse::terrain {
class Site;
}

namespace traverse::studio {

struct CursorReading {
    enum class Elevation { Value, NoData, OutsideDtm, Unreadable };
    terrain::MapPoint point;  // map frame, metres
    Elevation state = Elevation::OutsideDtm;
    double elevation = 0.0;   // metres, when state == Value
};

// Reads the DTM cell under a map point (one cell, through the DTM raster). Never throws: a failed
// read is reported as Unreadable.
CursorReading readCursor(const terrain::Site& site, terrain::MapPoint point);
// "E 1234.50 m   N -567.25 m   elevation -2345.67 m" (or "nodata", "outside the DTM").
QString formatReading(const CursorReading& reading);

}  // namespace traverse::studio
