#include "planner/segment_checker.hpp"

#include "terrain/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace traverse::planner {

namespace {

std::string fmt(const char* f, double a, double b) {
    char buf[160];
    std::snprintf(buf, sizeof buf, f, a, b);
    return buf;
}

std::string where(terrain::MapPoint p) {
    char buf[96];
    std::snprintf(buf, sizeof buf, " at E %.1f N %.1f", p.e, p.n);
    return buf;
}

}  // namespace

std::string_view checkStatusName(CheckStatus s) {
    switch (s) {
        case CheckStatus::Pass: return "pass";
        case CheckStatus::Warn: return "warn";
        case CheckStatus::Fail: return "fail";
    }
    return "?";
}

CheckLimits CheckLimits::fromRover(const twin::RoverConfig& r) {
    CheckLimits l;
    l.maxSlopeDeg = r.maxTiltPlanningDeg;
    l.maxTiltDeg = r.maxTiltPlanningDeg;
    l.maxStepM = std::min(r.maxRockHeightM, r.bellyClearanceM);
    l.maxRoughnessM = r.maxRoughnessM;
    return l;
}

std::string SegmentCheck::summary() const {
    if (findings.empty()) return "pass";
    std::string s;
    for (const auto& f : findings) {
        if (f.status == CheckStatus::Pass) continue;
        if (!s.empty()) s += "; ";
        s += std::string(checkStatusName(f.status)) + " " + f.rule + ": " + f.reason;
    }
    return s.empty() ? "pass" : s;
}

SegmentChecker::SegmentChecker(const terrain::HazardMaps& maps, const twin::RoverConfig& rover,
                               std::vector<twin::Zone> zones, CheckLimits limits)
    : maps_(maps), rover_(rover), zones_(std::move(zones)), limits_(limits),
      extent_(maps.geoTransform.extent(maps.slope.cols, maps.slope.rows)) {
    if (!(limits_.sampleStepM > 0.0 && limits_.sampleStepM <= 0.25))
        throw Error(Error::Kind::InvalidArgument, "checker sample step must be in (0, 0.25] m");
    if (!(limits_.maxSegmentM > 0.0 && std::isfinite(limits_.maxSegmentM)))
        throw Error(Error::Kind::InvalidArgument, "maximum segment length must be a positive number");
}

SegmentCheck SegmentChecker::check(terrain::MapPoint from, terrain::MapPoint to, bool fromRoverPose) const {
    SegmentCheck out;
    std::map<std::string, CheckFinding> first;  // by rule, the first place it applies (worst status wins)
    auto add = [&](CheckStatus st, const std::string& rule, const std::string& reason, terrain::MapPoint at) {
        auto it = first.find(rule);
        if (it == first.end() || int(st) > int(it->second.status)) first[rule] = {st, rule, reason + where(at), at};
    };
    auto finish = [&] {
        for (auto& [rule, f] : first) out.findings.push_back(f);
        std::stable_sort(out.findings.begin(), out.findings.end(),
                         [](const CheckFinding& a, const CheckFinding& b) { return int(a.status) > int(b.status); });
        for (const auto& f : out.findings) out.status = std::max(out.status, f.status);
        return out;
    };

    if (!std::isfinite(from.e) || !std::isfinite(from.n) || !std::isfinite(to.e) || !std::isfinite(to.n)) {
        add(CheckStatus::Fail, "not_finite", "a coordinate is not a finite number", from);
        return finish();
    }
    const double len = std::hypot(to.e - from.e, to.n - from.n);
    if (len > limits_.maxSegmentM + 1e-9)
        add(CheckStatus::Fail, "length", fmt("segment is %.2f m long, more than the %.1f m allowed", len, limits_.maxSegmentM), to);
    if (len > 1e3 * limits_.maxSegmentM) return finish();  // absurd: do not sweep kilometres

    // Footprint sample offsets (body frame, x forward, y left) every ~0.5 m, and a ring for the margin.
    const double hl = rover_.bodyLengthM / 2.0, hw = rover_.bodyWidthM / 2.0, m = limits_.hazardMarginM;
    const int nx = std::max(2, int(std::ceil(rover_.bodyLengthM / 0.5))), ny = std::max(2, int(std::ceil(rover_.bodyWidthM / 0.5)));
    std::vector<std::pair<double, double>> body, ring;
    for (int i = 0; i <= nx; ++i)
        for (int j = 0; j <= ny; ++j) body.emplace_back(-hl + 2 * hl * i / nx, -hw + 2 * hw * j / ny);
    if (m > 0.0) {
        const int rx = nx + 2 * int(std::ceil(m / 0.5)), ry = ny + 2 * int(std::ceil(m / 0.5));
        for (int i = 0; i <= rx; ++i)
            for (int j = 0; j <= ry; ++j) {
                const double x = -hl - m + 2 * (hl + m) * i / rx, y = -hw - m + 2 * (hw + m) * j / ry;
                if (std::abs(x) > hl || std::abs(y) > hw) ring.emplace_back(x, y);
            }
    }
    const terrain::GeoTransform& gt = maps_.geoTransform;
    const int cols = maps_.slope.cols, rows = maps_.slope.rows;
    const double heading = len > 1e-9 ? std::atan2(to.e - from.e, to.n - from.n) : 0.0;
    const double fe = std::sin(heading), fn = std::cos(heading), le = -fn, ln = fe;
    const int steps = std::max(1, int(std::ceil(len / limits_.sampleStepM)));
    const double w = limits_.warnFraction;
    // Cells under the footprint at the rover's pose (in any heading: a disc of the half-diagonal).
    std::vector<std::pair<int, int>> standing;
    if (fromRoverPose) {
        const double rad = std::hypot(hl, hw);
        const auto pc = gt.toPixel(from);
        const double px = gt.pixelWidth();
        const int k = int(std::ceil(rad / px)) + 1;
        for (int dr = -k; dr <= k; ++dr)
            for (int dc = -k; dc <= k; ++dc)
                if (std::hypot(dc * px, dr * px) <= rad + px)
                    standing.emplace_back(int(std::floor(pc.col)) + dc, int(std::floor(pc.row)) + dr);
        std::sort(standing.begin(), standing.end());
    }
    auto isStanding = [&](int col, int row) {
        return !standing.empty() && std::binary_search(standing.begin(), standing.end(), std::pair{col, row});
    };
    for (int s = 0; s <= steps; ++s) {
        const double t = double(s) / steps;
        const terrain::MapPoint c{from.e + t * (to.e - from.e), from.n + t * (to.n - from.n)};
        if (!extent_.contains(c)) {
            add(CheckStatus::Fail, "outside_site", "the rover leaves the site", c);
            continue;
        }
        double maxSlope = 0.0, sumSlope = 0.0, maxStep = 0.0, maxRough = 0.0;
        int nSlope = 0;
        bool unknown = false;
        for (const auto& [x, y] : body) {
            const terrain::MapPoint p{c.e + x * fe + y * le, c.n + x * fn + y * ln};
            const auto px = gt.toPixel(p);
            const int col = int(std::floor(px.col)), row = int(std::floor(px.row));
            if (col < 0 || row < 0 || col >= cols || row >= rows) {
                unknown = true;
                continue;
            }
            if (isStanding(col, row)) continue;
            if (maps_.unknown.at(col, row)) unknown = true;
            const float sl = maps_.slope.at(col, row), st = maps_.step.at(col, row), ro = maps_.roughness.at(col, row);
            if (sl != terrain::kNoData) {
                maxSlope = std::max(maxSlope, double(sl));
                sumSlope += sl;
                ++nSlope;
            }
            if (st != terrain::kNoData) maxStep = std::max(maxStep, double(st));
            if (ro != terrain::kNoData) maxRough = std::max(maxRough, double(ro));
            for (const auto& z : zones_) {
                const bool in = twin::insidePolygon(z.polygon, p);
                if (!z.keepIn && in) add(CheckStatus::Fail, "keep_out", "the footprint enters keep-out zone '" + z.name + "'", c);
                if (z.keepIn && !in) add(CheckStatus::Fail, "keep_in", "the footprint leaves keep-in zone '" + z.name + "'", c);
            }
        }
        if (unknown) add(CheckStatus::Fail, "unknown_terrain", "unknown terrain (no elevation data) under the footprint", c);
        const double tilt = nSlope ? sumSlope / nSlope : 0.0;
        auto grade = [&](const char* rule, double v, double limit, const char* f) {
            if (v > limit) add(CheckStatus::Fail, rule, fmt(f, v, limit), c);
            else if (v > w * limit) add(CheckStatus::Warn, rule, fmt(f, v, limit), c);
        };
        grade("slope", maxSlope, limits_.maxSlopeDeg, "slope %.1f deg under the footprint (limit %.1f deg)");
        grade("tilt", tilt, limits_.maxTiltDeg, "mean slope %.1f deg under the footprint, the body's tilt (limit %.1f deg)");
        grade("step", maxStep, limits_.maxStepM, "step %.2f m under the footprint (limit %.2f m)");
        grade("roughness", maxRough, limits_.maxRoughnessM, "roughness %.2f m under the footprint (limit %.2f m)");
        for (const auto& [x, y] : ring) {
            const terrain::MapPoint p{c.e + x * fe + y * le, c.n + x * fn + y * ln};
            const auto px = gt.toPixel(p);
            const int col = int(std::floor(px.col)), row = int(std::floor(px.row));
            if (col < 0 || row < 0 || col >= cols || row >= rows || isStanding(col, row)) continue;
            if (maps_.hazard.at(col, row) & ~terrain::kHazardUnknown) {
                char msg[96];
                std::snprintf(msg, sizeof msg, "a hard hazard within %.1f m of the footprint", m);
                add(CheckStatus::Warn, "hazard_margin", msg, c);
                break;
            }
        }
    }
    return finish();
}

std::vector<SegmentCheck> SegmentChecker::checkRoute(const Route& route) const {
    std::vector<SegmentCheck> out;
    terrain::MapPoint p{route.start.e, route.start.n};
    for (const auto& s : route.segments) {
        out.push_back(check(p, s.to, out.empty()));
        p = s.to;
    }
    return out;
}

}  // namespace traverse::planner
