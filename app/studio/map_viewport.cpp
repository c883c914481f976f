#include "studio/map_viewport.hpp"

#include <algorithm>
#include <cmath>

namespace traverse::studio {

void MapViewport::setMetresPerPixel(double mpp) {
    if (std::isfinite(mpp) && mpp > 0.0) mpp_ = mpp;
}

QPointF MapViewport::toScreen(terrain::MapPoint p) const {
    return {size_.width() / 2.0 + (p.e - center_.e) / mpp_, size_.height() / 2.0 - (p.n - center_.n) / mpp_};
}

terrain::MapPoint MapViewport::toMap(QPointF s) const {
    return {center_.e + (s.x() - size_.width() / 2.0) * mpp_, center_.n - (s.y() - size_.height() / 2.0) * mpp_};
}

terrain::MapExtent MapViewport::visibleExtent() const {
    const double hw = size_.width() / 2.0 * mpp_, hh = size_.height() / 2.0 * mpp_;
    return {center_.e - hw, center_.n - hh, center_.e + hw, center_.n + hh};
}

void MapViewport::fit(const terrain::MapExtent& e, double marginShare) {
    const double usableW = std::max(1.0, size_.width() * (1.0 - 2.0 * marginShare));
    const double usableH = std::max(1.0, size_.height() * (1.0 - 2.0 * marginShare));
    center_ = {(e.minE + e.maxE) / 2.0, (e.minN + e.maxN) / 2.0};
    setMetresPerPixel(std::max(e.width() / usableW, e.height() / usableH));
}

void MapViewport::zoomAbout(QPointF anchor, double factor, double minMpp, double maxMpp) {
    if (!(factor > 0.0)) return;
    const terrain::MapPoint before = toMap(anchor);
    setMetresPerPixel(std::clamp(mpp_ / factor, minMpp, maxMpp));
    const terrain::MapPoint after = toMap(anchor);
    center_.e += before.e - after.e;
    center_.n += before.n - after.n;
}

void MapViewport::panByPixels(QPointF d) {
    center_.e -= d.x() * mpp_;
    center_.n += d.y() * mpp_;
}

void MapViewport::clampCenterTo(const terrain::MapExtent& b) {
    center_.e = std::clamp(center_.e, b.minE, b.maxE);
    center_.n = std::clamp(center_.n, b.minN, b.maxN);
}

}  // namespace traverse::studio
