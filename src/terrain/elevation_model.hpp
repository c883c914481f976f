#pragma once
// Heights at arbitrary map points: a DTM (or a window of one) held in memory, interpolated
// bilinearly between cell centres. The digital twin asks it where each wheel touches the ground.
#include "terrain/geometry.hpp"
#include "terrain/grid.hpp"

#include <optional>

namespace traverse::terrain {

class Raster;

class ElevationModel {
public:
    ElevationModel(Grid<float> heights, const GeoTransform& gt, std::optional<double> noData);
    // The whole DTM, or the part covering `area` (plus a margin of two cells). Throws Error naming the
    // file when the area does not overlap the DTM or the read fails.
    static ElevationModel load(const Raster& dtm);
    static ElevationModel load(const Raster& dtm, const MapExtent& area);

    // Height (metres) at a map point; nothing outside the grid's cell centres or where any of the
    // four surrounding cells is nodata.
    std::optional<double> heightAt(MapPoint p) const {
        const double c = (p.e - originE_) * invDx_ - 0.5;
        const double r = (originN_ - p.n) * invDy_ - 0.5;
        if (!(c >= 0.0 && r >= 0.0 && c <= maxC_ && r <= maxR_)) return std::nullopt;
        int c0 = int(c), r0 = int(r);
        if (c0 >= heights_.cols - 1) c0 = heights_.cols - 2;
        if (r0 >= heights_.rows - 1) r0 = heights_.rows - 2;
        const double fc = c - c0, fr = r - r0;
        const float* a = heights_.row(r0) + c0;
        const float* b = heights_.row(r0 + 1) + c0;
        if (bad(a[0]) || bad(a[1]) || bad(b[0]) || bad(b[1])) return std::nullopt;
        const double top = a[0] + (a[1] - a[0]) * fc;
        const double bottom = b[0] + (b[1] - b[0]) * fc;
        return top + (bottom - top) * fr;
    }

    // The area where heightAt can answer (between the outer cell centres).
    MapExtent extent() const;
    double pixelSize() const { return 1.0 / invDx_; }
    const Grid<float>& heights() const { return heights_; }
    const GeoTransform& geoTransform() const { return gt_; }

private:
    bool bad(float v) const { return v != v || (hasNoData_ && v == noData_); }
    Grid<float> heights_;
    GeoTransform gt_;
    double originE_, originN_, invDx_, invDy_, maxC_, maxR_;
    bool hasNoData_ = false;
    float noData_ = 0.0f;
};

}  // namespace traverse::terrain
