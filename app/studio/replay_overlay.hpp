#pragma once
// A replayed drive on the map: the rover's footprint (the plan's rover body, length × width) and
// heading at the replay cursor's pose, the trail driven so far and, when the plan has a route, the
// planned route beside the actual path with the deviation drawn: the perpendicular from the rover to
// the nearest point of the planned polyline, labelled "2.3 m off plan".
#include "studio/map_overlay.hpp"

#include <QPointer>

#include <optional>
#include <vector>

namespace traverse::twin {
class ReplayCursor;
}

namespace traverse::studio {

class MapView;
class PlanDocument;

class ReplayOverlay : public MapOverlay {
public:
    // Adds itself to `map` and removes itself on destruction (if the map is still there). Draws nothing until given a cursor.
    ReplayOverlay(MapView& map, const PlanDocument& doc);
    ~ReplayOverlay() override;
    ReplayOverlay(const ReplayOverlay&) = delete;
    ReplayOverlay& operator=(const ReplayOverlay&) = delete;

    // The cursor to follow (must outlive the overlay or be reset first); nullptr hides the replay.
    void setCursor(const twin::ReplayCursor* cursor);
    // Repaints after the cursor moved.
    void update();

    struct Pose {
        terrain::MapPoint position;
        double headingDeg = 0.0;
    };
    // What is drawn now (nothing without a cursor).
    std::optional<Pose> roverPose() const;
    // The nearest point of the planned route to the rover and the distance to it (nothing without a
    // cursor or a route with at least one segment).
    struct Deviation {
        terrain::MapPoint onPlan;
        double distanceM = 0.0;
    };
    std::optional<Deviation> deviation() const;
    std::vector<terrain::MapPoint> plannedRoute() const;

    void paint(QPainter& painter, const MapViewport& viewport) override;

private:
    QPointer<MapView> map_;  // may go first when the window closes (the panel is another child)
    const PlanDocument& doc_;
    const twin::ReplayCursor* cursor_ = nullptr;
};

// The point of a polyline nearest to p (p's projection on its nearest segment). Line not empty.
terrain::MapPoint nearestOnPolyline(terrain::MapPoint p, const std::vector<terrain::MapPoint>& line);

}  // namespace traverse::studio
