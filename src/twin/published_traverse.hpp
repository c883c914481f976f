#pragma once
// Rover traverses as Mars missions publish them (e.g. Perseverance's and Curiosity's traverse maps):
// GeoJSON points or lines whose features carry the sol, site and drive numbers, with coordinates in
// longitude/latitude degrees on Mars, or already in a projected frame. Imported into a site's map frame
// through the DTM's CRS (terrain/crs_transform), with the points that fall outside the site listed, not
// dropped; and a drive log's track published the same way. See docs/drive-log.md.
#include "terrain/geometry.hpp"
#include "twin/drive_log.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace traverse::twin {

struct TraversePoint {
    terrain::MapPoint at;                 // map frame
    std::optional<int> sol, site, drive;  // from the feature's properties
    std::size_t feature = 0;              // 0-based index of the feature in the file
    std::size_t vertex = 0;               // 0-based index of the position within the feature
    double x = 0.0, y = 0.0;              // as written in the file (lon/lat degrees or source CRS)
};

struct PublishedTraverse {
    std::vector<TraversePoint> points;   // inside the site's extent, in file order
    std::vector<TraversePoint> outside;  // placed in the map frame but outside the site's extent
    std::string crsNote;                 // for a person: how the coordinates were brought into the map frame
    std::vector<terrain::MapPoint> path() const;  // the points inside, in order
};

// How the file's coordinates are to be read.
enum class TraverseCoordinates {
    Auto,    // the GeoJSON "crs" member when there is one, else longitude/latitude (RFC 7946)
    LonLat,  // longitude east, planetocentric latitude, degrees, on the body of the site's CRS
    Map,     // already easting/northing in the site's map frame
};

struct TraverseImportOptions {
    TraverseCoordinates coordinates = TraverseCoordinates::Auto;
    std::optional<int> firstSol, lastSol;  // only features whose sol lies in [firstSol, lastSol]
};

// `mapCrs`: the DTM's CRS (terrain::RasterInfo::crsWkt); `site`: its extent. Accepts a FeatureCollection,
// a Feature or a bare geometry of Point, MultiPoint, LineString or MultiLineString. Properties "sol",
// "site" and "drive" (any letter case; integers, integral numbers or digit strings, or null) are kept.
// A geographic "crs" member naming another body's datum (tools often label Mars coordinates CRS84) is
// read as longitude/latitude on the site's body, and said so in crsNote. Throws Error naming the file,
// the feature and the position: Format for anything malformed (a latitude beyond ±90°, a polygon,
// a property that is not a number), Georeference when the coordinates cannot be transformed.
PublishedTraverse importTraverseGeoJson(const std::filesystem::path& path, const std::string& mapCrs,
                                        const terrain::MapExtent& site, const TraverseImportOptions& options = {});
PublishedTraverse parseTraverseGeoJson(const std::string& json, const std::string& source, const std::string& mapCrs,
                                       const terrain::MapExtent& site, const TraverseImportOptions& options = {});

// A drive log's track as a published traverse: a LineString of the track (thinned to `spacingM`) and a
// Point at its end, both with the log's sol, site and drive, in longitude/latitude degrees (9 decimals,
// under a millimetre) on the body of `mapCrs` (the log's own map_crs when empty). Throws Error
// (Georeference) when there is no CRS or a point cannot be transformed.
std::string driveLogToGeoJson(const DriveLog& log, const std::string& mapCrs = {}, double spacingM = 0.5);

}  // namespace traverse::twin
