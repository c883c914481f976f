#pragma once
// The map view's camera: which part of the map frame a widget of a given size shows. North is up,
// pixels are square. Plain arithmetic, no widget, so that every view (and a test) shares one
// definition of screen <-> map.
#include "terrain/geometry.hpp"

#include <QPointF>
#include <QSizeF>

namespace traverse::studio {

class MapViewport {
public:
    // Widget size in logical (device-independent) pixels.
    void setSize(QSizeF size) { size_ = size; }
    QSizeF size() const { return size_; }

    terrain::MapPoint center() const { return center_; }
    // Metres of map per logical pixel (> 0).
    double metresPerPixel() const { return mpp_; }
    void setCenter(terrain::MapPoint c) { center_ = c; }
    void setMetresPerPixel(double mpp);

    // Screen position (logical pixels, origin top-left, y down) of a map point, and back.
    QPointF toScreen(terrain::MapPoint p) const;
    terrain::MapPoint toMap(QPointF screen) const;
    // The part of the map frame the widget shows.
    terrain::MapExtent visibleExtent() const;

    // Shows all of `extent`, centred, leaving `marginShare` of the widget free on each side.
    void fit(const terrain::MapExtent& extent, double marginShare = 0.02);
    // Magnifies by `factor` (> 1 zooms in) keeping the map point under `screenAnchor` still; the
    // scale is kept within [minMpp, maxMpp].
    void zoomAbout(QPointF screenAnchor, double factor, double minMpp, double maxMpp);
    // Moves the content by a screen displacement (the map follows a dragging hand).
    void panByPixels(QPointF delta);
    // Keeps the centre inside `bounds`, so the map cannot be lost off screen.
    void clampCenterTo(const terrain::MapExtent& bounds);

private:
    QSizeF size_{1.0, 1.0};
    terrain::MapPoint center_{};
    double mpp_ = 1.0;
};

}  // namespace traverse::studio
