#pragma once
// What the map draws over the imagery: a scale bar and a north arrow.
#include <QColor>
#include <QPointF>
#include <QRectF>
#include <QSizeF>
#include <QString>

class QPainter;

namespace traverse::studio {

// The longest round length (1, 2 or 5 times a power of ten metres) not longer than maxMetres.
double niceScaleLength(double maxMetres);
// A length for a label: "500 m", "2 km", "20 cm".
QString formatLength(double metres);

// A scale bar in the bottom-left corner of `area` for a map at metresPerPixel (logical pixels).
void drawScaleBar(QPainter& painter, const QRectF& area, double metresPerPixel);
// A north arrow in the top-right corner of `area`. The map is drawn north-up in the map frame, so
// the arrow shows the frame's grid north.
void drawNorthArrow(QPainter& painter, const QRectF& area);
// A rover seen from above at `centre`: its body (lengthPx along the heading, widthPx across) in
// `colour` filled with `fill`, and a heading arrow at least minArrowPx long. Headings are degrees
// clockwise from north, as on the north-up map.
void drawRoverPose(QPainter& painter, QPointF centre, double headingDeg, double lengthPx, double widthPx,
                   const QColor& colour, const QColor& fill, double minArrowPx = 30.0);
// A label on the map in a dark box, vertically centred on `at` with its left edge there (its right
// edge when `leftOf`), kept inside a view of `viewSize` (it flips to the left at the right edge).
void drawMapLabel(QPainter& painter, QPointF at, const QString& text, const QColor& colour, const QSizeF& viewSize,
                  bool leftOf = false);
// A one-line notice centred at the top of `area`, on a dark panel.
void drawBanner(QPainter& painter, const QRectF& area, const QString& text);

}  // namespace traverse::studio
