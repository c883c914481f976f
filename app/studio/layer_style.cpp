#include "studio/layer_style.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace traverse::studio {

QString layerTitle(MapLayer layer) {
    switch (layer) {
        case MapLayer::Orthoimage: return QStringLiteral("Orthoimage");
        case MapLayer::Hillshade: return QStringLiteral("Hillshade");
        case MapLayer::Slope: return QStringLiteral("Slope");
        case MapLayer::Roughness: return QStringLiteral("Roughness");
        case MapLayer::Step: return QStringLiteral("Step height");
        case MapLayer::Cost: return QStringLiteral("Traversal cost");
        case MapLayer::HazardMask: return QStringLiteral("Hazard mask");
    }
    return {};
}

bool isHazardLayer(MapLayer layer) { return layer != MapLayer::Orthoimage && layer != MapLayer::Hillshade; }

QRgb rampColour(double t) {
    // The VLM hazard view's stops (RGB).
    struct Stop {
        double t, r, g, b;
    };
    static constexpr Stop stops[] = {{0.00, 40, 180, 60}, {0.50, 250, 220, 30}, {0.85, 250, 140, 20}, {1.00, 240, 70, 20}};
    t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
    std::size_t i = 1;
    while (i + 1 < std::size(stops) && t > stops[i].t) ++i;
    const Stop& a = stops[i - 1];
    const Stop& b = stops[i];
    const double u = (t - a.t) / (b.t - a.t);
    auto mix = [u](double x, double y) { return int(std::lround(x + u * (y - x))); };
    return qRgb(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b));
}

namespace {

QString number(double v) { return QString::number(v, 'g', 3); }

// A bar from 0 to 1.2 x limit: the ramp up to the limit, red beyond, ticks at round values and the limit.
Legend limitBar(const QString& title, double limit, double step, const QString& unit) {
    Legend l;
    l.title = title;
    const double maxV = limit * 1.2;
    for (int i = 0; i <= 10; ++i) {
        const double v = limit * i / 10.0;
        l.bar.push_back({v / maxV, QColor(rampColour(v / limit))});
    }
    l.bar.push_back({limit / maxV + 1e-6, QColor(kTooSteepColour)});
    l.bar.push_back({1.0, QColor(kTooSteepColour)});
    for (double v = 0.0; v < limit - 0.35 * step; v += step) l.ticks.push_back({v / maxV, number(v)});
    l.ticks.push_back({limit / maxV, number(limit) + unit});
    l.swatches.push_back({QColor(kUnknownColour), QStringLiteral("unknown terrain")});
    return l;
}

}  // namespace

Legend legendFor(MapLayer layer, const terrain::HazardLimits& limits) {
    Legend l;
    switch (layer) {
        case MapLayer::Orthoimage:
            l.title = QStringLiteral("Orthoimage");
            l.note = QStringLiteral("as recorded; no data transparent");
            break;
        case MapLayer::Hillshade:
            l.title = QStringLiteral("Hillshade of the DTM");
            for (int i = 0; i <= 4; ++i) {
                const int g = 30 + 225 * i / 4;
                l.bar.push_back({i / 4.0, QColor(g, g, g)});
            }
            l.ticks = {{0.0, QStringLiteral("shadow")}, {1.0, QStringLiteral("lit")}};
            l.note = QStringLiteral("sun from the north-west, 45° high");
            break;
        case MapLayer::Slope:
            l = limitBar(QStringLiteral("Slope (°)"), limits.maxSlopeDeg, limits.maxSlopeDeg > 24 ? 10.0 : 5.0,
                         QStringLiteral("° limit"));
            l.note = QStringLiteral("worst cell shown when zoomed out");
            break;
        case MapLayer::Roughness:
            l = limitBar(QStringLiteral("Roughness (m RMS)"), limits.maxRoughnessM, 0.05, QStringLiteral(" m limit"));
            break;
        case MapLayer::Step:
            l = limitBar(QStringLiteral("Step height (m)"), limits.maxStepM, 0.1, QStringLiteral(" m limit"));
            break;
        case MapLayer::Cost:
            l.title = QStringLiteral("Traversal cost");
            for (int i = 0; i <= 10; ++i) l.bar.push_back({i / 10.0, QColor(rampColour(i / 10.0))});
            l.ticks = {{0.0, QStringLiteral("0 easy")}, {0.5, QStringLiteral("0.5")}, {1.0, QStringLiteral("1")}};
            l.swatches = {{QColor(kHardHazardColour), QStringLiteral("impassable")},
                          {QColor(kUnknownColour), QStringLiteral("unknown terrain")}};
            break;
        case MapLayer::HazardMask:
            l.title = QStringLiteral("Hazard mask");
            l.swatches = {{QColor(kHardHazardColour), QStringLiteral("step > %1 m or roughness > %2 m")
                                                          .arg(number(limits.maxStepM), number(limits.maxRoughnessM))},
                          {QColor(kTooSteepColour), QStringLiteral("slope > %1°").arg(number(limits.maxSlopeDeg))},
                          {QColor(kUnknownColour), QStringLiteral("unknown (no data, or next to it)")}};
            l.note = QStringLiteral("clear where the rover may drive");
            break;
    }
    return l;
}

}  // namespace traverse::studio
