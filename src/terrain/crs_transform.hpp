#pragma once
// Coordinates on a planet and in a site's map frame, through OGR/PROJ (the handles stay in terrain):
// longitude and latitude on the body of the DTM's CRS to and from the map frame, and points of any
// other CRS into the map frame. Used to place published rover traverses (lon/lat GeoJSON) on the site
// and to publish a replayed track in lon/lat.
#include "terrain/geometry.hpp"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace traverse::terrain {

// Longitude east of the reference meridian and planetocentric latitude, both in degrees: how Mars
// missions publish positions (e.g. Perseverance's traverse maps).
struct LonLat {
    double lonDeg = 0.0;
    double latDeg = 0.0;
};

// What a CRS definition describes, for choosing how to read coordinates given in it.
struct CrsInfo {
    std::string name;
    bool geographic = false;   // longitude/latitude (of whatever body and meridian convention)
    bool projected = false;
    double semiMajorM = 0.0;   // of its ellipsoid
    double semiMinorM = 0.0;
};
// Reads a CRS definition: WKT, a PROJ string, "EPSG:n", "IAU_2015:n", an OGC URN, anything OGR's
// SetFromUserInput reads. Throws Error (Georeference) naming `what` when it cannot be read.
CrsInfo describeCrs(const std::string& crs, const std::string& what);

// Longitude/latitude on the body of a projected map CRS, to and from that CRS. Latitudes are
// planetocentric; on an ellipsoid they are converted to and from the geodetic latitudes PROJ works
// in (on the IAU Mars sphere of HiRISE products the two coincide). Not for concurrent use from
// several threads (OGR transformations keep state); make one per thread.
class MapProjection {
public:
    // `mapCrs` as for describeCrs; `what` names where it came from (e.g. the DTM's file) in errors.
    // Throws Error (Georeference) when it is empty, unreadable, not projected, or has no
    // transformation to and from longitude/latitude.
    static MapProjection forCrs(const std::string& mapCrs, const std::string& what);

    MapProjection(MapProjection&&) noexcept;
    MapProjection& operator=(MapProjection&&) noexcept;
    ~MapProjection();

    // One result per point, in order; nothing for a point that is not finite, has a latitude beyond
    // ±90°, or lies outside the projection's domain.
    std::vector<std::optional<MapPoint>> toMap(const std::vector<LonLat>& points) const;
    std::vector<std::optional<LonLat>> toLonLat(const std::vector<MapPoint>& points) const;

    const CrsInfo& crs() const;

private:
    struct Impl;
    explicit MapProjection(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Points given in another CRS (x, y in that CRS's own axis order as GIS software writes them:
// easting/longitude first) transformed into the map CRS. Not for concurrent use (see above).
class CrsToMap {
public:
    // Throws Error (Georeference) naming `what` when either CRS cannot be read or no transformation
    // between them exists (e.g. different bodies).
    static CrsToMap create(const std::string& sourceCrs, const std::string& mapCrs, const std::string& what);

    CrsToMap(CrsToMap&&) noexcept;
    CrsToMap& operator=(CrsToMap&&) noexcept;
    ~CrsToMap();

    // One result per point, in order; nothing for a point that cannot be transformed.
    std::vector<std::optional<MapPoint>> toMap(const std::vector<std::array<double, 2>>& points) const;

private:
    struct Impl;
    explicit CrsToMap(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace traverse::terrain
