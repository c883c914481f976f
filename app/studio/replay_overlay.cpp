#include "studio/replay_overlay.hpp"

#include "studio/map_decorations.hpp"

#include "studio/map_view.hpp"
#include "studio/map_viewport.hpp"
#include "studio/plan_document.hpp"

#include "planner/plan.hpp"
#include "twin/drive_replay.hpp"

#include <QCoreApplication>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace traverse::studio {

namespace {

const QColor kCasing(0, 0, 0, 170);
const QColor kTrail(255, 200, 40);       // the path driven (amber)
const QColor kPlanned(90, 200, 255);     // the planned route (sky blue, dashed)
const QColor kRover(255, 80, 60);        // the rover's footprint
const QColor kDeviation(255, 60, 200);   // the off-plan line

QString tr(const char* s) { return QCoreApplication::translate("ReplayOverlay", s); }


QPainterPath polyline(const std::vector<terrain::MapPoint>& pts, const MapViewport& v) {
    QPainterPath path(v.toScreen(pts.front()));
    for (std::size_t i = 1; i < pts.size(); ++i) path.lineTo(v.toScreen(pts[i]));
    return path;
}

}  // namespace

terrain::MapPoint nearestOnPolyline(terrain::MapPoint p, const std::vector<terrain::MapPoint>& line) {
    terrain::MapPoint best = line.front();
    double bestD2 = std::hypot(p.e - best.e, p.n - best.n);
    bestD2 *= bestD2;
    for (std::size_t i = 0; i + 1 < line.size(); ++i) {
        const terrain::MapPoint a = line[i], b = line[i + 1];
        const double de = b.e - a.e, dn = b.n - a.n, len2 = de * de + dn * dn;
        double t = len2 > 0 ? ((p.e - a.e) * de + (p.n - a.n) * dn) / len2 : 0.0;
        t = std::clamp(t, 0.0, 1.0);
        const terrain::MapPoint q{a.e + t * de, a.n + t * dn};
        const double d2 = (p.e - q.e) * (p.e - q.e) + (p.n - q.n) * (p.n - q.n);
        if (d2 < bestD2) bestD2 = d2, best = q;
    }
    return best;
}

ReplayOverlay::ReplayOverlay(MapView& map, const PlanDocument& doc) : map_(&map), doc_(doc) { map_->addOverlay(this); }

ReplayOverlay::~ReplayOverlay() {
    if (map_) map_->removeOverlay(this);
}

void ReplayOverlay::setCursor(const twin::ReplayCursor* cursor) {
    cursor_ = cursor;
    update();
}

void ReplayOverlay::update() {
    if (map_) map_->update();
}

std::optional<ReplayOverlay::Pose> ReplayOverlay::roverPose() const {
    if (!cursor_) return std::nullopt;
    return Pose{cursor_->state().position, cursor_->state().headingDeg};
}

std::vector<terrain::MapPoint> ReplayOverlay::plannedRoute() const {
    if (!doc_.hasStart() || doc_.plan().route.segments.empty()) return {};
    return doc_.plan().route.points();
}

std::optional<ReplayOverlay::Deviation> ReplayOverlay::deviation() const {
    if (!cursor_) return std::nullopt;
    const std::vector<terrain::MapPoint> route = plannedRoute();
    if (route.size() < 2) return std::nullopt;
    const terrain::MapPoint p = cursor_->state().position;
    return Deviation{nearestOnPolyline(p, route), twin::distanceToPolyline(p, route)};
}

void ReplayOverlay::paint(QPainter& p, const MapViewport& v) {
    if (!cursor_) return;
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.setBrush(Qt::NoBrush);
    const double mpp = v.metresPerPixel();

    // The planned route, dashed, under the actual path.
    const std::vector<terrain::MapPoint> route = plannedRoute();
    if (route.size() >= 2) {
        const QPainterPath path = polyline(route, v);
        p.setPen(QPen(kCasing, 5.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawPath(path);
        p.setPen(QPen(kPlanned, 2.5, Qt::DashLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawPath(path);
        drawMapLabel(p, v.toScreen(route.back()) + QPointF(10, 14), tr("planned"), kPlanned, v.size());
    }

    // The trail driven so far.
    p.setBrush(Qt::NoBrush);
    const std::vector<terrain::MapPoint> trail = cursor_->trail();
    if (trail.size() >= 2) {
        const QPainterPath path = polyline(trail, v);
        p.setPen(QPen(kCasing, 6.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawPath(path);
        p.setPen(QPen(kTrail, 3.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawPath(path);
    }

    const twin::ReplayState& s = cursor_->state();
    const QPointF c = v.toScreen(s.position);

    // The deviation: the perpendicular from the rover to the planned route, with its length.
    if (const auto d = deviation()) {
        const QPointF q = v.toScreen(d->onPlan);
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(kCasing, 5.0, Qt::SolidLine, Qt::RoundCap));
        p.drawLine(c, q);
        p.setPen(QPen(kDeviation, 2.5, Qt::SolidLine, Qt::RoundCap));
        p.drawLine(c, q);
        p.setPen(QPen(Qt::black, 1));
        p.setBrush(kDeviation);
        p.drawEllipse(q, 4, 4);
        p.setBrush(Qt::NoBrush);
        // On the plan's side of the line, clear of the rover's own label.
        const bool left = q.x() < c.x();
        drawMapLabel(p, q + QPointF(left ? -10 : 10, 0), tr("%1 m off plan").arg(d->distanceM, 0, 'f', 1),
                  kDeviation.lighter(130), v.size(), left);
    }

    // The rover: its body at the heading (at least a few pixels so it shows zoomed out) and an arrow.
    const auto& rover = doc_.plan().rover;
    const double len = std::max(rover.bodyLengthM / mpp, 8.0), wid = std::max(rover.bodyWidthM / mpp, 7.0);
    p.setPen(QPen(Qt::black, 3.0));  // a dark outline first, for contrast on bright ground
    p.setBrush(Qt::NoBrush);
    p.save();
    p.translate(c);
    p.rotate(s.headingDeg);
    p.drawRect(QRectF(-wid / 2, -len / 2, wid, len));
    p.restore();
    drawRoverPose(p, c, s.headingDeg, len, wid, kRover, QColor(kRover.red(), kRover.green(), kRover.blue(), 110), 28.0);
    p.restore();
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    drawMapLabel(p, c + QPointF(16, -20),
              tr("t %1 s  %2\u00b0  tilt %3\u00b0").arg(s.timeS, 0, 'f', 1).arg(s.headingDeg, 0, 'f', 0).arg(s.tiltDeg, 0, 'f', 1),
              kRover.lighter(140), v.size());
    p.restore();
}

}  // namespace traverse::studio
