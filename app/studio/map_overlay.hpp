#pragma once
// Something drawn over the map's rasters and, optionally, taking the mouse before the map's own
// pan: the route and its editing tools, measurements, replayed traverses. Overlays are stacked in a
// MapView (later ones on top, and asked first for the mouse); the view owns none of them.
#include "terrain/geometry.hpp"

#include <QPointF>

class QPainter;
class QMouseEvent;
class QKeyEvent;

namespace traverse::studio {

class MapViewport;

class MapOverlay {
public:
    virtual ~MapOverlay() = default;
    // Draws in widget (logical) pixels; `viewport` places map points.
    virtual void paint(QPainter& painter, const MapViewport& viewport) = 0;
    // Mouse events with the map point under the cursor. Return true to take the event (the map
    // then does not pan); a press taken also routes the following moves and release here.
    virtual bool mousePress(QMouseEvent*, terrain::MapPoint) { return false; }
    virtual bool mouseMove(QMouseEvent*, terrain::MapPoint) { return false; }
    virtual bool mouseRelease(QMouseEvent*, terrain::MapPoint) { return false; }
    virtual bool mouseDoubleClick(QMouseEvent*, terrain::MapPoint) { return false; }
    virtual bool keyPress(QKeyEvent*) { return false; }
};

}  // namespace traverse::studio
