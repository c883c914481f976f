#pragma once
// The plan drawn on the map and edited with the mouse: start pose (heading arrow and the rover's
// footprint), goal with its tolerance circle, the route with numbered waypoint handles, keep-out
// (red) and keep-in (blue) zones, segment check results (pass/warn/fail, reasons on hover), a Monte
// Carlo dispersion ellipse, and the measuring line. The editing tools turn clicks and drags into
// PlanDocument edits, so that every change goes through the undo stack.
#include "studio/map_overlay.hpp"
#include "studio/plan_document.hpp"

#include "planner/segment_checker.hpp"
#include "twin/monte_carlo.hpp"

#include <QObject>
#include <QString>

#include <optional>
#include <utility>
#include <vector>

namespace traverse::studio {

class MapView;

class RouteOverlay : public QObject, public MapOverlay {
    Q_OBJECT

public:
    enum class Tool { Navigate, SetStart, SetGoal, AddWaypoint, Move, Delete, DrawKeepOut, Measure };
    enum class SegmentStatus { Unknown, Pass, Warn, Fail };
    struct SegmentCheck {
        SegmentStatus status = SegmentStatus::Unknown;
        QString reasons;  // shown on hover; empty for none
    };
    // A position dispersion ellipse (e.g. 3-sigma of a Monte Carlo run): axes in metres, the major
    // axis at `majorAxisDeg` clockwise from north.
    struct Ellipse {
        terrain::MapPoint centre;
        double semiMajorM = 0.0, semiMinorM = 0.0, majorAxisDeg = 0.0;
    };

    // Adds itself to `map` and removes itself on destruction. Borrows both.
    RouteOverlay(PlanDocument& doc, MapView& map, QObject* parent = nullptr);
    ~RouteOverlay() override;

    Tool tool() const { return tool_; }
    void setTool(Tool tool);
    // A sentence telling the planner what the tool does (for the status bar).
    static QString toolHint(Tool tool);

    // Check results per route segment (index = segment). They describe the route they were computed
    // for, so an edit of the route clears them.
    void setSegmentChecks(std::vector<SegmentCheck> checks);
    const std::vector<SegmentCheck>& segmentChecks() const { return checks_; }
    void setDispersionEllipse(std::optional<Ellipse> ellipse);
    // The same from the planner's and the twin's types (a validation result, a Monte Carlo run).
    static SegmentStatus statusOf(planner::CheckStatus status);
    void setDispersion(terrain::MapPoint meanEnd, const twin::DispersionEllipse& ellipse);

    // A route that is not (yet) the plan's, drawn thin and dotted: a proposal growing while the
    // proposer works. Nothing clears it.
    void setPreviewRoute(std::optional<planner::Route> route);
    // A marker at a point linked from elsewhere (a plot's cursor); nothing hides it.
    void setCursorMarker(std::optional<terrain::MapPoint> point);

    // The measured line (both ends set), its text ("12.34 m, bearing 045.0°"); cleared by Escape or
    // a new first click.
    std::optional<std::pair<terrain::MapPoint, terrain::MapPoint>> measurement() const;
    QString measurementText() const;
    // The keep-out being drawn (not yet closed).
    const std::vector<terrain::MapPoint>& draftZone() const { return draft_; }
    // The text of the last hover tooltip (segment reasons), empty when none.
    QString hoverText() const { return hoverText_; }
    // Ignore the mouse (the window pans the map programmatically meanwhile).
    void setPassive(bool passive) { passive_ = passive; }

    // Distance (m) and bearing (degrees clockwise from north, [0, 360)) from a to b.
    static double distanceM(terrain::MapPoint a, terrain::MapPoint b);
    static double bearingDeg(terrain::MapPoint a, terrain::MapPoint b);

    // MapOverlay
    void paint(QPainter& painter, const MapViewport& viewport) override;
    bool mousePress(QMouseEvent* event, terrain::MapPoint at) override;
    bool mouseMove(QMouseEvent* event, terrain::MapPoint at) override;
    bool mouseRelease(QMouseEvent* event, terrain::MapPoint at) override;
    bool mouseDoubleClick(QMouseEvent* event, terrain::MapPoint at) override;
    bool keyPress(QKeyEvent* event) override;

signals:
    void toolChanged(traverse::studio::RouteOverlay::Tool tool);
    // A measurement was completed (or changed while hovering with one end set: `final` false).
    void measured(const QString& text, traverse::terrain::MapPoint a, traverse::terrain::MapPoint b);
    void measurementCleared();

private:
    // The handle within reach of a screen position (waypoints first, then goal, start, zone vertices).
    PlanHandle hitHandle(QPointF screen, bool zoneVertices) const;
    // The polyline vertex index j such that the segment (j, j+1) is within reach, or nothing.
    std::optional<int> hitSegment(QPointF screen) const;
    std::optional<int> hitZone(terrain::MapPoint at) const;
    std::vector<terrain::MapPoint> polyline() const;  // start (when set) and the waypoints
    void closeDraft();
    void updateHover(QPointF screen);
    void applyCursor();
    void repaint();

    PlanDocument& doc_;
    MapView& map_;
    Tool tool_ = Tool::Navigate;
    bool passive_ = false;
    std::vector<SegmentCheck> checks_;
    std::optional<Ellipse> ellipse_;
    std::optional<planner::Route> preview_;
    std::optional<terrain::MapPoint> marker_;

    // Gestures in progress.
    PlanHandle drag_;                                // Move: the handle being dragged
    std::optional<terrain::MapPoint> dragTo_;        // where it is now
    std::optional<terrain::MapPoint> pressAt_;       // SetStart / SetGoal / AddWaypoint press
    std::optional<int> pressSegment_;                // AddWaypoint: the press was on this polyline segment
    std::optional<double> startHeadingDeg_;          // SetStart: heading from the drag
    std::vector<terrain::MapPoint> draft_;           // DrawKeepOut
    std::optional<terrain::MapPoint> hover_;         // the cursor, for rubber bands
    std::optional<terrain::MapPoint> measureA_, measureB_;
    QString hoverText_;
};

}  // namespace traverse::studio
