#include "terrain/elevation_model.hpp"

#include "terrain/error.hpp"
#include "terrain/raster.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace traverse::terrain {

ElevationModel::ElevationModel(Grid<float> heights, const GeoTransform& gt, std::optional<double> noData)
    : heights_(std::move(heights)), gt_(gt) {
    if (!gt.isNorthUp()) throw Error(Error::Kind::Georeference, "elevation model needs a north-up grid");
    if (heights_.cols < 2 || heights_.rows < 2)
        throw Error(Error::Kind::InvalidArgument, "elevation model needs at least 2 x 2 cells");
    const auto& g = gt.coefficients();
    originE_ = g[0];
    originN_ = g[3];
    invDx_ = 1.0 / g[1];
    invDy_ = -1.0 / g[5];
    maxC_ = heights_.cols - 1.0;
    maxR_ = heights_.rows - 1.0;
    hasNoData_ = noData && std::isfinite(*noData) && std::abs(*noData) <= std::numeric_limits<float>::max();
    noData_ = hasNoData_ ? float(*noData) : 0.0f;
}

ElevationModel ElevationModel::load(const Raster& dtm) {
    const auto& i = dtm.info();
    Grid<float> z(i.cols, i.rows);
    dtm.readRows(0, i.rows, z.values.data());
    return ElevationModel(std::move(z), i.geoTransform, i.noData);
}

ElevationModel ElevationModel::load(const Raster& dtm, const MapExtent& area) {
    const auto& i = dtm.info();
    const auto overlap = i.extent().intersect(area);
    if (!overlap)
        throw Error(Error::Kind::InvalidArgument, i.path.string() + ": the requested area lies outside the DTM");
    const PixelPoint a = i.geoTransform.toPixel({overlap->minE, overlap->maxN});
    const PixelPoint b = i.geoTransform.toPixel({overlap->maxE, overlap->minN});
    const int c0 = std::max(0, int(std::floor(a.col)) - 2), r0 = std::max(0, int(std::floor(a.row)) - 2);
    const int c1 = std::min(i.cols, int(std::ceil(b.col)) + 2), r1 = std::min(i.rows, int(std::ceil(b.row)) + 2);
    Grid<float> z = dtm.readWindow({c0, r0, c1 - c0, r1 - r0});
    const MapPoint origin = i.geoTransform.toMap({double(c0), double(r0)});
    const auto& g = i.geoTransform.coefficients();
    return ElevationModel(std::move(z), GeoTransform({origin.e, g[1], 0.0, origin.n, 0.0, g[5]}), i.noData);
}

MapExtent ElevationModel::extent() const {
    const MapPoint tl = gt_.toMap({0.5, 0.5});
    const MapPoint br = gt_.toMap({heights_.cols - 0.5, heights_.rows - 0.5});
    return {tl.e, br.n, br.e, tl.n};
}

}  // namespace traverse::terrain
