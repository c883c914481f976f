#include "studio/route_overlay.hpp"

#include "studio/map_decorations.hpp"

#include "studio/map_view.hpp"
#include "studio/map_viewport.hpp"

#include "twin/flight_rules.hpp"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <cmath>
#include <numbers>

namespace traverse::studio {

namespace {

constexpr double kHandleRadius = 9.0;   // logical pixels
constexpr double kReach = 10.0;         // how close a click must be to a handle or segment
constexpr double kDragThreshold = 4.0;  // pixels of movement that make a press a drag
constexpr double kDeg = 180.0 / std::numbers::pi;

const QColor kRouteColor(0, 220, 255);
const QColor kPassColor(60, 210, 90);
const QColor kWarnColor(255, 160, 0);
const QColor kFailColor(235, 40, 40);
const QColor kStartColor(60, 230, 110);
const QColor kGoalColor(235, 70, 235);
const QColor kSelectColor(255, 235, 0);
const QColor kCasing(0, 0, 0, 170);

double pixelDistance(QPointF a, QPointF b) { return std::hypot(a.x() - b.x(), a.y() - b.y()); }

// Distance from p to the segment ab, in pixels.
double distanceToSegment(QPointF p, QPointF a, QPointF b) {
    const QPointF ab = b - a;
    const double len2 = ab.x() * ab.x() + ab.y() * ab.y();
    double t = len2 > 0 ? ((p.x() - a.x()) * ab.x() + (p.y() - a.y()) * ab.y()) / len2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    return pixelDistance(p, a + ab * t);
}

QColor statusColor(RouteOverlay::SegmentStatus s) {
    switch (s) {
        case RouteOverlay::SegmentStatus::Pass: return kPassColor;
        case RouteOverlay::SegmentStatus::Warn: return kWarnColor;
        case RouteOverlay::SegmentStatus::Fail: return kFailColor;
        case RouteOverlay::SegmentStatus::Unknown: break;
    }
    return kRouteColor;
}

void drawLabel(QPainter& p, QPointF at, const QString& text, QColor fg = Qt::white) {
    const QFontMetricsF fm(p.font());
    QRectF box = fm.boundingRect(text).adjusted(-4, -2, 4, 2);
    box.moveTopLeft(at);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0, 0, 0, 170));
    p.drawRoundedRect(box, 3, 3);
    p.setPen(fg);
    p.drawText(box, Qt::AlignCenter, text);
}

QPolygonF screenPolygon(const std::vector<terrain::MapPoint>& pts, const MapViewport& v) {
    QPolygonF poly;
    for (const auto& q : pts) poly << v.toScreen(q);
    return poly;
}

}  // namespace

RouteOverlay::RouteOverlay(PlanDocument& doc, MapView& map, QObject* parent)
    : QObject(parent), doc_(doc), map_(map) {
    map_.addOverlay(this);
    connect(&doc_, &PlanDocument::planChanged, this, [this](unsigned parts) {
        if (parts & (PlanDocument::Route | PlanDocument::Start)) checks_.clear();
        if (drag_.valid() && !doc_.position(drag_)) drag_ = {};
        repaint();
    });
    connect(&doc_, &PlanDocument::documentReset, this, [this] {
        checks_.clear();
        ellipse_.reset();
        preview_.reset();
        marker_.reset();
        draft_.clear();
        drag_ = {};
        repaint();
    });
    connect(&doc_, &PlanDocument::selectionChanged, this, [this] { repaint(); });
}

RouteOverlay::~RouteOverlay() { map_.removeOverlay(this); }

void RouteOverlay::setTool(Tool tool) {
    if (tool == tool_) return;
    tool_ = tool;
    draft_.clear();
    drag_ = {};
    pressAt_.reset();
    if (tool != Tool::Measure) {
        measureA_.reset();
        measureB_.reset();
        emit measurementCleared();
    }
    if (tool == Tool::Navigate)
        map_.setCursor(Qt::OpenHandCursor);
    else
        applyCursor();
    repaint();
    emit toolChanged(tool);
}

QString RouteOverlay::toolHint(Tool tool) {
    switch (tool) {
        case Tool::Navigate: return tr("Navigate: drag to pan, wheel to zoom; click a waypoint to select it");
        case Tool::SetStart: return tr("Set start: click to place the rover, drag to set its heading");
        case Tool::SetGoal: return tr("Set goal: click where the drive should end");
        case Tool::AddWaypoint: return tr("Add waypoint: click to append; click on the route to insert");
        case Tool::Move: return tr("Move: drag the start, the goal, a waypoint or a zone vertex");
        case Tool::Delete: return tr("Delete: click a waypoint or a zone (or select one and press Del)");
        case Tool::DrawKeepOut: return tr("Keep-out: click the vertices; double-click or Enter closes, Esc cancels");
        case Tool::Measure: return tr("Measure: click two points for distance and bearing");
    }
    return {};
}

void RouteOverlay::setSegmentChecks(std::vector<SegmentCheck> checks) {
    checks_ = std::move(checks);
    repaint();
}

void RouteOverlay::setDispersionEllipse(std::optional<Ellipse> ellipse) {
    ellipse_ = ellipse;
    repaint();
}

RouteOverlay::SegmentStatus RouteOverlay::statusOf(planner::CheckStatus status) {
    switch (status) {
        case planner::CheckStatus::Pass: return SegmentStatus::Pass;
        case planner::CheckStatus::Warn: return SegmentStatus::Warn;
        case planner::CheckStatus::Fail: return SegmentStatus::Fail;
    }
    return SegmentStatus::Unknown;
}

void RouteOverlay::setPreviewRoute(std::optional<planner::Route> route) {
    preview_ = std::move(route);
    repaint();
}

void RouteOverlay::setCursorMarker(std::optional<terrain::MapPoint> point) {
    marker_ = point;
    repaint();
}

void RouteOverlay::setDispersion(terrain::MapPoint meanEnd, const twin::DispersionEllipse& e) {
    setDispersionEllipse(Ellipse{meanEnd, e.semiMajorM, e.semiMinorM, e.orientationDeg});
}

std::optional<std::pair<terrain::MapPoint, terrain::MapPoint>> RouteOverlay::measurement() const {
    if (measureA_ && measureB_) return std::pair{*measureA_, *measureB_};
    return std::nullopt;
}

double RouteOverlay::distanceM(terrain::MapPoint a, terrain::MapPoint b) { return std::hypot(b.e - a.e, b.n - a.n); }

double RouteOverlay::bearingDeg(terrain::MapPoint a, terrain::MapPoint b) {
    double d = std::atan2(b.e - a.e, b.n - a.n) * kDeg;
    if (d < 0) d += 360.0;
    return d >= 360.0 ? 0.0 : d;
}

QString RouteOverlay::measurementText() const {
    const auto end = measureB_ ? measureB_ : hover_;
    if (!measureA_ || !end) return {};
    return tr("%1 m, bearing %2\u00b0")
        .arg(distanceM(*measureA_, *end), 0, 'f', 2)
        .arg(bearingDeg(*measureA_, *end), 5, 'f', 1, QLatin1Char('0'));
}

std::vector<terrain::MapPoint> RouteOverlay::polyline() const {
    std::vector<terrain::MapPoint> pts;
    if (doc_.hasStart()) pts.push_back({doc_.plan().route.start.e, doc_.plan().route.start.n});
    for (const auto& s : doc_.plan().route.segments) pts.push_back(s.to);
    return pts;
}

PlanHandle RouteOverlay::hitHandle(QPointF screen, bool zoneVertices) const {
    const MapViewport& v = map_.viewport();
    PlanHandle best;
    double bestD = kReach;
    auto consider = [&](PlanHandle h) {
        const auto p = doc_.position(h);
        if (!p) return;
        const double d = pixelDistance(v.toScreen(*p), screen);
        if (d <= bestD) {  // later candidates win ties: waypoints are drawn on top
            bestD = d;
            best = h;
        }
    };
    if (zoneVertices)
        for (int z = 0; z < int(doc_.plan().zones.size()); ++z)
            for (int k = 0; k < int(doc_.plan().zones[std::size_t(z)].polygon.size()); ++k)
                consider({PlanHandle::Kind::ZoneVertex, z, k});
    consider({PlanHandle::Kind::Start});
    consider({PlanHandle::Kind::Goal});
    for (int i = 0; i < doc_.waypointCount(); ++i) consider({PlanHandle::Kind::Waypoint, i});
    return best;
}

std::optional<int> RouteOverlay::hitSegment(QPointF screen) const {
    const MapViewport& v = map_.viewport();
    const auto pts = polyline();
    std::optional<int> best;
    double bestD = kReach;
    for (std::size_t j = 0; j + 1 < pts.size(); ++j) {
        const double d = distanceToSegment(screen, v.toScreen(pts[j]), v.toScreen(pts[j + 1]));
        if (d <= bestD) {
            bestD = d;
            best = int(j);
        }
    }
    return best;
}

std::optional<int> RouteOverlay::hitZone(terrain::MapPoint at) const {
    const auto& zones = doc_.plan().zones;
    for (int z = int(zones.size()) - 1; z >= 0; --z)
        if (twin::insidePolygon(zones[std::size_t(z)].polygon, at)) return z;
    return std::nullopt;
}

// ---- painting --------------------------------------------------------------------------------------

void RouteOverlay::paint(QPainter& p, const MapViewport& v) {
    p.setRenderHint(QPainter::Antialiasing);
    const planner::Plan& plan = doc_.plan();
    const double mpp = v.metresPerPixel();
    QFont font = p.font();
    font.setPointSizeF(9);
    font.setBold(true);
    p.setFont(font);

    // Zones.
    for (int z = 0; z < int(plan.zones.size()); ++z) {
        const twin::Zone& zone = plan.zones[std::size_t(z)];
        std::vector<terrain::MapPoint> pts = zone.polygon;
        if (drag_.kind == PlanHandle::Kind::ZoneVertex && drag_.index == z && dragTo_)
            pts[std::size_t(drag_.vertex)] = *dragTo_;
        const QPolygonF poly = screenPolygon(pts, v);
        const QColor line = zone.keepIn ? QColor(80, 150, 255) : QColor(255, 60, 60);
        const QColor fill = zone.keepIn ? QColor(40, 110, 255, 50) : QColor(220, 30, 30, 75);
        p.setPen(QPen(line, 2));
        p.setBrush(zone.keepIn ? QBrush(fill) : QBrush(fill));
        p.drawPolygon(poly);
        if (!zone.keepIn) {
            p.setBrush(QBrush(QColor(255, 60, 60, 90), Qt::BDiagPattern));
            p.setPen(Qt::NoPen);
            p.drawPolygon(poly);
        }
        if (tool_ == Tool::Move || tool_ == Tool::Delete) {
            p.setPen(QPen(Qt::black, 1));
            p.setBrush(line);
            for (const QPointF& q : poly) p.drawRect(QRectF(q - QPointF(3.5, 3.5), QSizeF(7, 7)));
        }
        const QString name = QString::fromStdString(zone.name);
        drawLabel(p, poly.boundingRect().topLeft() + QPointF(4, 4),
                  name.isEmpty() ? (zone.keepIn ? tr("keep-in") : tr("keep-out")) : name, line.lighter(130));
    }

    // Where each handle is drawn (a handle being dragged follows the mouse).
    auto at = [&](PlanHandle h) -> std::optional<terrain::MapPoint> {
        if (drag_ == h && dragTo_) return dragTo_;
        return doc_.position(h);
    };
    std::vector<terrain::MapPoint> pts;
    if (doc_.hasStart()) pts.push_back(*at({PlanHandle::Kind::Start}));
    for (int i = 0; i < doc_.waypointCount(); ++i) pts.push_back(*at({PlanHandle::Kind::Waypoint, i}));
    const int firstSegment = doc_.hasStart() ? 0 : 1;  // segment index of the polyline's first leg

    // Route: a dark casing, then each segment in its status colour.
    const QPolygonF line = screenPolygon(pts, v);
    if (line.size() >= 2) {
        p.setPen(QPen(kCasing, 6, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawPolyline(line);
        for (int j = 0; j + 1 < int(line.size()); ++j) {
            const int seg = j + firstSegment;
            const auto status = seg < int(checks_.size()) ? checks_[std::size_t(seg)].status : SegmentStatus::Unknown;
            const double lengthM = distanceM(pts[std::size_t(j)], pts[std::size_t(j) + 1]);
            // A leg longer than the plan's maximum segment is dashed: the checker will refuse it.
            const Qt::PenStyle style = lengthM > plan.maxSegmentM + 1e-9 ? Qt::DashLine : Qt::SolidLine;
            p.setPen(QPen(statusColor(status), 3, style, Qt::RoundCap, Qt::RoundJoin));
            p.drawLine(line[j], line[j + 1]);
        }
    }
    // From the route's end to the goal, when the route does not reach it yet.
    if (doc_.hasGoal() && !pts.empty()) {
        const terrain::MapPoint goal = *at({PlanHandle::Kind::Goal});
        if (distanceM(pts.back(), goal) > plan.goalToleranceM) {
            p.setPen(QPen(QColor(255, 255, 255, 160), 1.5, Qt::DotLine));
            p.drawLine(v.toScreen(pts.back()), v.toScreen(goal));
        }
    }

    // A proposal in progress.
    if (preview_) {
        const QPolygonF prop = screenPolygon(preview_->points(), v);
        p.setPen(QPen(kCasing, 4, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawPolyline(prop);
        p.setPen(QPen(QColor(255, 255, 255, 220), 2, Qt::DotLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawPolyline(prop);
        p.setPen(QPen(Qt::black, 1));
        p.setBrush(Qt::white);
        for (int k = 1; k < prop.size(); ++k) p.drawEllipse(prop[k], 3.0, 3.0);
    }

    // Dispersion ellipse.
    if (ellipse_) {
        p.save();
        p.translate(v.toScreen(ellipse_->centre));
        p.rotate(ellipse_->majorAxisDeg - 90.0);  // the ellipse's x axis along the major axis
        p.setPen(QPen(kWarnColor, 1.5));
        p.setBrush(QColor(255, 160, 0, 45));
        p.drawEllipse(QPointF(0, 0), ellipse_->semiMajorM / mpp, ellipse_->semiMinorM / mpp);
        p.restore();
    }

    // Goal: tolerance circle and a target.
    if (doc_.hasGoal()) {
        const QPointF g = v.toScreen(*at({PlanHandle::Kind::Goal}));
        const double r = std::max(plan.goalToleranceM / mpp, 4.0);
        p.setPen(QPen(kGoalColor, 1.5, Qt::DashLine));
        p.setBrush(QColor(235, 70, 235, 40));
        p.drawEllipse(g, r, r);
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(kCasing, 5));
        p.drawEllipse(g, 7, 7);
        p.setPen(QPen(kGoalColor, 2.5));
        p.drawEllipse(g, 7, 7);
        p.drawLine(g - QPointF(12, 0), g - QPointF(4, 0));
        p.drawLine(g + QPointF(4, 0), g + QPointF(12, 0));
        p.drawLine(g - QPointF(0, 12), g - QPointF(0, 4));
        p.drawLine(g + QPointF(0, 4), g + QPointF(0, 12));
        if (doc_.selection().kind == PlanHandle::Kind::Goal) {
            p.setPen(QPen(kSelectColor, 2));
            p.drawEllipse(g, 14, 14);
        }
        drawLabel(p, g + QPointF(12, 6), tr("Goal"), kGoalColor.lighter(130));
    }

    // Start: the rover's footprint at its heading and an arrow.
    if (doc_.hasStart()) {
        twin::Pose pose = plan.route.start;
        if (const auto s = at({PlanHandle::Kind::Start})) pose.e = s->e, pose.n = s->n;
        if (tool_ == Tool::SetStart && pressAt_) {
            pose.e = pressAt_->e;
            pose.n = pressAt_->n;
            if (startHeadingDeg_) pose.headingDeg = *startHeadingDeg_;
        }
        const QPointF c = v.toScreen({pose.e, pose.n});
        drawRoverPose(p, c, pose.headingDeg, plan.rover.bodyLengthM / mpp, plan.rover.bodyWidthM / mpp, kStartColor,
                      QColor(60, 230, 110, 60));
        p.setPen(QPen(Qt::black, 1.5));
        p.setBrush(kStartColor);
        p.drawEllipse(c, 6, 6);
        if (doc_.selection().kind == PlanHandle::Kind::Start) {
            p.setPen(QPen(kSelectColor, 2));
            p.setBrush(Qt::NoBrush);
            p.drawEllipse(c, 12, 12);
        }
        drawLabel(p, c + QPointF(12, 6), tr("Start %1\u00b0").arg(pose.headingDeg, 0, 'f', 1), kStartColor.lighter(130));
    }

    // Waypoint handles, numbered from 1. Zoomed out until handles would overlap (waypoints closer
    // than a handle's width on screen), small dots without numbers keep the route readable; the
    // selected waypoint keeps its numbered handle.
    double shortest = 1e9;
    for (int i = 0; i < doc_.waypointCount(); ++i) {
        const QPointF a = v.toScreen(*at({PlanHandle::Kind::Waypoint, i}));
        const QPointF b = i == 0 ? v.toScreen({doc_.plan().route.start.e, doc_.plan().route.start.n})
                                 : v.toScreen(*at({PlanHandle::Kind::Waypoint, i - 1}));
        shortest = std::min(shortest, std::hypot(a.x() - b.x(), a.y() - b.y()));
    }
    const bool crowded = shortest < 2.2 * kHandleRadius;
    for (int i = 0; i < doc_.waypointCount(); ++i) {
        const QPointF c = v.toScreen(*at({PlanHandle::Kind::Waypoint, i}));
        const bool selected = doc_.selection() == PlanHandle{PlanHandle::Kind::Waypoint, i};
        if (crowded && !selected) {
            p.setPen(QPen(QColor(20, 20, 20), 1.0));
            p.setBrush(QColor(255, 255, 255, 235));
            p.drawEllipse(c, 2.5, 2.5);
            continue;
        }
        const double r = selected ? kHandleRadius + 2 : kHandleRadius;
        p.setPen(QPen(selected ? kSelectColor : QColor(20, 20, 20), selected ? 3 : 1.5));
        p.setBrush(QColor(255, 255, 255, 235));
        p.drawEllipse(c, r, r);
        p.setPen(Qt::black);
        QFont small = font;
        small.setPointSizeF(i + 1 >= 100 ? 6.5 : 8);
        p.setFont(small);
        p.drawText(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r), Qt::AlignCenter, QString::number(i + 1));
        p.setFont(font);
    }

    // A point linked from a plot.
    if (marker_) {
        const QPointF m = v.toScreen(*marker_);
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(kCasing, 5));
        p.drawEllipse(m, 8, 8);
        p.setPen(QPen(kSelectColor, 2.5));
        p.drawEllipse(m, 8, 8);
    }

    // Keep-out being drawn.
    if (!draft_.empty()) {
        QPolygonF poly = screenPolygon(draft_, v);
        if (hover_) poly << v.toScreen(*hover_);
        p.setPen(QPen(QColor(255, 60, 60), 2, Qt::DashLine));
        p.setBrush(QColor(220, 30, 30, 50));
        p.drawPolygon(poly);
        p.setPen(QPen(Qt::black, 1));
        p.setBrush(QColor(255, 60, 60));
        for (int k = 0; k < int(draft_.size()); ++k)
            p.drawEllipse(poly[k], k == 0 ? 6.0 : 4.0, k == 0 ? 6.0 : 4.0);
    }

    // Measuring line.
    if (measureA_) {
        const auto end = measureB_ ? measureB_ : hover_;
        const QPointF a = v.toScreen(*measureA_);
        p.setPen(QPen(Qt::black, 1));
        p.setBrush(Qt::white);
        p.drawEllipse(a, 4, 4);
        if (end) {
            const QPointF b = v.toScreen(*end);
            p.setPen(QPen(kCasing, 5, Qt::SolidLine, Qt::RoundCap));
            p.drawLine(a, b);
            p.setPen(QPen(Qt::white, 2, Qt::DashLine, Qt::RoundCap));
            p.drawLine(a, b);
            p.setPen(QPen(Qt::black, 1));
            p.setBrush(Qt::white);
            p.drawEllipse(b, 4, 4);
            drawLabel(p, (a + b) / 2 + QPointF(8, 8), measurementText());
        }
    }
}

// ---- the mouse -------------------------------------------------------------------------------------

bool RouteOverlay::mousePress(QMouseEvent* event, terrain::MapPoint at) {
    if (passive_ || event->button() != Qt::LeftButton) return false;
    const QPointF screen = event->position();
    switch (tool_) {
        case Tool::Navigate: {
            const PlanHandle h = hitHandle(screen, false);
            if (!h.valid()) return false;
            doc_.setSelection(h);
            return true;
        }
        case Tool::SetStart:
            pressAt_ = at;
            startHeadingDeg_.reset();
            return true;
        case Tool::SetGoal:
            pressAt_ = at;
            return true;
        case Tool::AddWaypoint:
            pressAt_ = at;
            pressSegment_ = hitHandle(screen, false).valid() ? std::nullopt : hitSegment(screen);
            return true;
        case Tool::Move: {
            const PlanHandle h = hitHandle(screen, true);
            if (!h.valid()) return false;
            drag_ = h;
            dragTo_.reset();
            pressAt_ = at;
            doc_.setSelection(h);
            return true;
        }
        case Tool::Delete: {
            const PlanHandle h = hitHandle(screen, true);
            if (h.kind == PlanHandle::Kind::Waypoint) {
                doc_.deleteWaypoint(h.index);
                return true;
            }
            const auto zone = h.kind == PlanHandle::Kind::ZoneVertex ? std::optional<int>(h.index) : hitZone(at);
            if (zone) {
                doc_.deleteZone(*zone);
                return true;
            }
            return false;
        }
        case Tool::DrawKeepOut:
            if (draft_.size() >= 3 && pixelDistance(map_.viewport().toScreen(draft_.front()), screen) <= kReach) {
                closeDraft();
                return true;
            }
            if (draft_.empty() || pixelDistance(map_.viewport().toScreen(draft_.back()), screen) > 1.0)
                draft_.push_back(at);
            repaint();
            return true;
        case Tool::Measure:
            if (!measureA_ || measureB_) {
                measureA_ = at;
                measureB_.reset();
                emit measurementCleared();
            } else {
                measureB_ = at;
                emit measured(measurementText(), *measureA_, *measureB_);
            }
            repaint();
            return true;
    }
    return false;
}

bool RouteOverlay::mouseMove(QMouseEvent* event, terrain::MapPoint at) {
    if (passive_) return false;
    hover_ = at;
    const bool pressed = event->buttons() & Qt::LeftButton;
    if (!pressed) {
        updateHover(event->position());
        applyCursor();
        if (tool_ == Tool::DrawKeepOut && !draft_.empty()) repaint();
        if (tool_ == Tool::Measure && measureA_ && !measureB_) repaint();
        return false;  // hover: the map still reports the cursor
    }
    if (tool_ == Tool::Move && drag_.valid()) {
        dragTo_ = at;
        repaint();
        return true;
    }
    if (tool_ == Tool::SetStart && pressAt_) {
        const QPointF from = map_.viewport().toScreen(*pressAt_);
        if (pixelDistance(from, event->position()) >= kDragThreshold) startHeadingDeg_ = bearingDeg(*pressAt_, at);
        repaint();
        return true;
    }
    return false;
}

bool RouteOverlay::mouseRelease(QMouseEvent* event, terrain::MapPoint at) {
    if (passive_ || event->button() != Qt::LeftButton) return false;
    switch (tool_) {
        case Tool::SetStart:
            if (pressAt_) {
                twin::Pose pose{pressAt_->e, pressAt_->n, doc_.hasStart() ? doc_.plan().route.start.headingDeg : 0.0};
                if (startHeadingDeg_) pose.headingDeg = *startHeadingDeg_;
                pressAt_.reset();
                startHeadingDeg_.reset();
                doc_.setStart(pose);
                doc_.setSelection({PlanHandle::Kind::Start});
            }
            return true;
        case Tool::SetGoal:
            if (pressAt_) {
                doc_.setGoal(*pressAt_);
                pressAt_.reset();
                doc_.setSelection({PlanHandle::Kind::Goal});
            }
            return true;
        case Tool::AddWaypoint:
            if (pressAt_) {
                const terrain::MapPoint p = *pressAt_;
                pressAt_.reset();
                int index = doc_.waypointCount();
                if (pressSegment_) index = doc_.hasStart() ? *pressSegment_ : *pressSegment_ + 1;
                pressSegment_.reset();
                doc_.insertWaypoint(index, p);
                doc_.setSelection({PlanHandle::Kind::Waypoint, index});
            }
            return true;
        case Tool::Move:
            if (drag_.valid()) {
                const PlanHandle h = std::exchange(drag_, {});
                dragTo_.reset();
                const QPointF from = map_.viewport().toScreen(*pressAt_);
                pressAt_.reset();
                // A click without movement only selects.
                if (pixelDistance(from, event->position()) > 0.0) doc_.moveHandle(h, at);
                repaint();
            }
            return true;
        default: return false;
    }
}

bool RouteOverlay::mouseDoubleClick(QMouseEvent* event, terrain::MapPoint) {
    if (passive_ || event->button() != Qt::LeftButton) return false;
    if (tool_ == Tool::DrawKeepOut) {
        closeDraft();
        return true;
    }
    // Other editing tools: a double-click is two clicks, not a fit of the map.
    return tool_ != Tool::Navigate && tool_ != Tool::Move && tool_ != Tool::Delete;
}

bool RouteOverlay::keyPress(QKeyEvent* event) {
    switch (event->key()) {
        case Qt::Key_Delete:
        case Qt::Key_Backspace: {
            const PlanHandle s = doc_.selection();
            if (s.kind == PlanHandle::Kind::Waypoint) {
                doc_.deleteWaypoint(s.index);
                return true;
            }
            if (s.kind == PlanHandle::Kind::ZoneVertex) {
                doc_.deleteZone(s.index);
                return true;
            }
            if (tool_ == Tool::DrawKeepOut && !draft_.empty()) {
                draft_.pop_back();
                repaint();
                return true;
            }
            return false;
        }
        case Qt::Key_Return:
        case Qt::Key_Enter:
            if (tool_ == Tool::DrawKeepOut && !draft_.empty()) {
                closeDraft();
                return true;
            }
            return false;
        case Qt::Key_Escape:
            if (!draft_.empty() || measureA_ || drag_.valid()) {
                draft_.clear();
                drag_ = {};
                dragTo_.reset();
                if (measureA_) emit measurementCleared();
                measureA_.reset();
                measureB_.reset();
                repaint();
                return true;
            }
            if (doc_.selection().valid()) {
                doc_.setSelection({});
                return true;
            }
            return false;
        default: return false;
    }
}

void RouteOverlay::closeDraft() {
    if (draft_.size() >= 3) {
        twin::Zone zone;
        zone.keepIn = false;
        zone.polygon = draft_;
        doc_.addZone(std::move(zone));
    }
    draft_.clear();
    repaint();
}

void RouteOverlay::updateHover(QPointF screen) {
    QString text;
    if (const auto j = hitSegment(screen)) {
        const int seg = *j + (doc_.hasStart() ? 0 : 1);
        if (seg < int(checks_.size()) && !checks_[std::size_t(seg)].reasons.isEmpty())
            text = tr("Segment %1: %2").arg(seg + 1).arg(checks_[std::size_t(seg)].reasons);
    }
    if (text != hoverText_) {
        hoverText_ = text;
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(map_.mapToGlobal(screen.toPoint()), text, &map_);
    }
}

void RouteOverlay::applyCursor() {
    switch (tool_) {
        case Tool::Navigate: break;  // the map's hand
        case Tool::Move:
        case Tool::Delete:
            if (hover_) {
                const bool over = hitHandle(map_.viewport().toScreen(*hover_), true).valid();
                map_.setCursor(over ? (tool_ == Tool::Move ? Qt::SizeAllCursor : Qt::PointingHandCursor) : Qt::OpenHandCursor);
            }
            break;
        default: map_.setCursor(Qt::CrossCursor); break;
    }
}

void RouteOverlay::repaint() { map_.update(); }

}  // namespace traverse::studio
