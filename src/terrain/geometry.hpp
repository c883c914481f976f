#pragma once
// Map and pixel coordinates are distinct types; conversions between them go through GeoTransform.
// Map frame: projected coordinates of the site's DTM CRS (metres, easting/northing).
// Pixel frame: GDAL's convention, (0,0) is the top-left corner of the top-left pixel, so the centre
// of pixel (c, r) is at (c + 0.5, r + 0.5).
#include <array>
#include <optional>
#include <vector>

namespace traverse::terrain {

struct MapPoint {
    double e = 0.0;  // easting, metres
    double n = 0.0;  // northing, metres
};

struct PixelPoint {
    double col = 0.0;
    double row = 0.0;
};

// A rectangle of whole pixels: columns [col0, col0 + cols), rows [row0, row0 + rows).
struct PixelWindow {
    int col0 = 0;
    int row0 = 0;
    int cols = 0;
    int rows = 0;
};

// An axis-aligned rectangle in the map frame.
struct MapExtent {
    double minE = 0.0, minN = 0.0, maxE = 0.0, maxN = 0.0;
    double width() const { return maxE - minE; }
    double height() const { return maxN - minN; }
    bool contains(MapPoint p) const { return p.e >= minE && p.e <= maxE && p.n >= minN && p.n <= maxN; }
    // The overlap of two extents, or nothing when they do not overlap with a positive area.
    std::optional<MapExtent> intersect(const MapExtent& o) const;
    // The smallest extent holding every point, grown by `marginM` on each side; `points` must not be
    // empty.
    static MapExtent around(const std::vector<MapPoint>& points, double marginM = 0.0);
};

// GDAL's affine geotransform: e = g0 + col*g1 + row*g2, n = g3 + col*g4 + row*g5.
class GeoTransform {
public:
    GeoTransform() = default;
    explicit GeoTransform(const std::array<double, 6>& g) : g_(g) {}
    static GeoTransform northUp(MapPoint topLeft, double pixelWidth, double pixelHeight) {
        return GeoTransform({topLeft.e, pixelWidth, 0.0, topLeft.n, 0.0, -pixelHeight});
    }

    MapPoint toMap(PixelPoint p) const {
        return {g_[0] + p.col * g_[1] + p.row * g_[2], g_[3] + p.col * g_[4] + p.row * g_[5]};
    }
    // Inverse transform; throws traverse::Error (Georeference) if the transform is singular.
    PixelPoint toPixel(MapPoint p) const;

    // Pixel size in metres along columns and rows (positive numbers).
    double pixelWidth() const;
    double pixelHeight() const;
    bool isNorthUp() const { return g_[2] == 0.0 && g_[4] == 0.0 && g_[1] > 0.0 && g_[5] < 0.0; }
    // The transform of the same area sampled `factor` times more coarsely (an overview level).
    GeoTransform scaled(double factorX, double factorY) const;
    // Extent covered by a grid of cols x rows pixels.
    MapExtent extent(int cols, int rows) const;
    const std::array<double, 6>& coefficients() const { return g_; }

private:
    std::array<double, 6> g_{0.0, 1.0, 0.0, 0.0, 0.0, -1.0};
};

// Angles of the map frame, degrees clockwise from north (grid north).
// The bearing from one point to another, in [0, 360).
double bearingDeg(MapPoint from, MapPoint to);
// An angle brought into [0, 360).
double wrapDeg(double a);
// The signed smallest rotation from heading a to heading b, in (-180, 180].
double turnDeg(double a, double b);

}  // namespace traverse::terrain
