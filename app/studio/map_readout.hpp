#pragma once
// What the status bar says about the point under the cursor.
#include "terrain/crs_transform.hpp"
#include "terrain/geometry.hpp"

#include <QString>

#include <optional>

namespace traverse::terrain {
class Site;
}

namespace traverse::studio {

struct CursorReading {
    enum class Elevation { Value, NoData, OutsideDtm, Unreadable };
    terrain::MapPoint point;  // map frame, metres
    // Latitude and longitude on the body (Mars), when the DTM's CRS allows them.
    std::optional<terrain::LonLat> geographic;
    Elevation state = Elevation::OutsideDtm;
    double elevation = 0.0;   // metres, when state == Value
    // Slope of the DTM cell (degrees, Horn's method as the hazard maps), when its 3x3 neighbourhood
    // is valid.
    std::optional<double> slopeDeg;
};

// Reads the DTM cells under a map point (a 3x3 window, through the DTM raster) and converts the point
// to latitude and longitude (the transform is built once per CRS and thread). Never throws: a failed
// read is reported as Unreadable, an impossible conversion as no latitude.
CursorReading readCursor(const terrain::Site& site, terrain::MapPoint point);
// "E 1234.50 m   N -567.25 m   18.40123°N 77.40012°E   slope 12.3°   elevation -2345.67 m" (or
// "elevation nodata", "outside the DTM" at the end).
QString formatReading(const CursorReading& reading);
// "18.40123°N 77.40012°E": five decimals, about half a metre on Mars.
QString formatGeographic(const terrain::LonLat& p);

}  // namespace traverse::studio
