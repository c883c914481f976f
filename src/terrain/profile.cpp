#include "terrain/profile.hpp"

#include "terrain/error.hpp"

#include <cmath>
#include <numbers>

namespace traverse::terrain {

namespace {

constexpr double kDeg = 180.0 / std::numbers::pi;

std::optional<double> terrainSlopeDeg(const ElevationModel& dtm, MapPoint p) {
    const double h = dtm.pixelSize();
    const auto w = dtm.heightAt({p.e - h, p.n}), e = dtm.heightAt({p.e + h, p.n});
    const auto s = dtm.heightAt({p.e, p.n - h}), n = dtm.heightAt({p.e, p.n + h});
    if (!w || !e || !s || !n) return std::nullopt;
    const double dzdx = (*e - *w) / (2 * h), dzdy = (*n - *s) / (2 * h);
    return std::atan(std::hypot(dzdx, dzdy)) * kDeg;
}

}  // namespace

std::vector<ProfileSample> sampleProfile(const ElevationModel& dtm, const std::vector<MapPoint>& polyline,
                                         double stepM) {
    if (!(stepM > 0.0) || !std::isfinite(stepM))
        throw Error(Error::Kind::InvalidArgument, "profile step must be positive, got " + std::to_string(stepM));
    std::vector<ProfileSample> out;
    if (polyline.empty()) return out;
    double along = 0.0;
    auto add = [&](MapPoint p, double d) { out.push_back({d, p, dtm.heightAt(p), std::nullopt, terrainSlopeDeg(dtm, p)}); };
    add(polyline.front(), 0.0);
    for (std::size_t i = 1; i < polyline.size(); ++i) {
        const MapPoint a = polyline[i - 1], b = polyline[i];
        const double len = std::hypot(b.e - a.e, b.n - a.n);
        const int steps = std::max(1, int(std::ceil(len / stepM - 1e-9)));
        for (int k = 1; k <= steps; ++k) {
            const double t = double(k) / steps;
            add({a.e + (b.e - a.e) * t, a.n + (b.n - a.n) * t}, along + len * t);
        }
        along += len;
    }
    // Along-track grade: central differences inside, one-sided at the ends.
    for (std::size_t i = 0; i < out.size(); ++i) {
        const std::size_t lo = i > 0 ? i - 1 : i, hi = i + 1 < out.size() ? i + 1 : i;
        if (lo == hi || !out[lo].elevationM || !out[hi].elevationM) continue;
        const double run = out[hi].distanceM - out[lo].distanceM;
        if (run > 0.0) out[i].gradeDeg = std::atan((*out[hi].elevationM - *out[lo].elevationM) / run) * kDeg;
    }
    return out;
}

}  // namespace traverse::terrain
