#include "studio/map_decorations.hpp"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace traverse::studio {

namespace {

constexpr double kMargin = 14.0;
constexpr double kScaleBarMaxPixels = 180.0;
const QColor kPanel(20, 20, 20, 170);
const QColor kInk(245, 245, 245);

QFont decorationFont(const QPainter& painter) {
    QFont f = painter.font();
    f.setBold(true);
    return f;
}

}  // namespace

double niceScaleLength(double maxMetres) {
    if (!(maxMetres > 0.0) || !std::isfinite(maxMetres)) return 0.0;
    const double p = std::pow(10.0, std::floor(std::log10(maxMetres)));
    for (const double m : {5.0, 2.0, 1.0})
        if (m * p <= maxMetres * (1.0 + 1e-9)) return m * p;
    return p;
}

QString formatLength(double m) {
    if (m >= 1000.0) return QStringLiteral("%1 km").arg(m / 1000.0, 0, 'g', 6);
    if (m >= 1.0) return QStringLiteral("%1 m").arg(m, 0, 'g', 6);
    if (m >= 0.01) return QStringLiteral("%1 cm").arg(m * 100.0, 0, 'g', 6);
    return QStringLiteral("%1 mm").arg(m * 1000.0, 0, 'g', 6);
}

void drawScaleBar(QPainter& p, const QRectF& area, double mpp) {
    const double metres = niceScaleLength(kScaleBarMaxPixels * mpp);
    if (metres <= 0.0) return;
    const double barPx = metres / mpp;
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.setFont(decorationFont(p));
    const QFontMetricsF fm(p.font());
    const QString label = formatLength(metres);
    const double barH = 6.0, pad = 8.0;
    const double panelW = std::max(barPx, fm.horizontalAdvance(label)) + 2 * pad;
    const double panelH = fm.height() + barH + 3 * pad / 2 + 2;
    const QRectF panel(area.left() + kMargin, area.bottom() - kMargin - panelH, panelW, panelH);
    p.setPen(Qt::NoPen);
    p.setBrush(kPanel);
    p.drawRoundedRect(panel, 4, 4);

    // Two halves, white and black, with end ticks: readable on bright and dark terrain alike.
    const double x0 = panel.left() + pad, y0 = panel.bottom() - pad - barH;
    p.setBrush(kInk);
    p.drawRect(QRectF(x0, y0, barPx / 2, barH));
    p.setBrush(QColor(0, 0, 0));
    p.drawRect(QRectF(x0 + barPx / 2, y0, barPx / 2, barH));
    p.setPen(QPen(kInk, 1.5));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(x0, y0, barPx, barH));
    p.drawText(QRectF(x0, panel.top() + pad / 2, barPx, fm.height()), Qt::AlignCenter, label);
    p.restore();
}

void drawNorthArrow(QPainter& p, const QRectF& area) {
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.setFont(decorationFont(p));
    const QFontMetricsF fm(p.font());
    const double w = 34.0, h = 58.0;
    const QRectF panel(area.right() - kMargin - w, area.top() + kMargin, w, h);
    p.setPen(Qt::NoPen);
    p.setBrush(kPanel);
    p.drawRoundedRect(panel, 4, 4);

    const double cx = panel.center().x();
    p.setPen(kInk);
    p.drawText(QRectF(panel.left(), panel.top() + 3, w, fm.height()), Qt::AlignCenter, QStringLiteral("N"));
    const double top = panel.top() + 5 + fm.height(), bottom = panel.bottom() - 6;
    // A split arrowhead: the left half filled, the right half outlined, like a chart's compass.
    QPainterPath left, right;
    left.moveTo(cx, top);
    left.lineTo(cx - 9, bottom);
    left.lineTo(cx, bottom - 7);
    left.closeSubpath();
    right.moveTo(cx, top);
    right.lineTo(cx + 9, bottom);
    right.lineTo(cx, bottom - 7);
    right.closeSubpath();
    p.setPen(QPen(kInk, 1.2));
    p.setBrush(kInk);
    p.drawPath(left);
    p.setBrush(Qt::NoBrush);
    p.drawPath(right);
    p.restore();
}

void drawBanner(QPainter& p, const QRectF& area, const QString& text) {
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    const QFontMetricsF fm(p.font());
    const double pad = 8.0;
    const double w = std::min(area.width() - 2 * kMargin, fm.horizontalAdvance(text) + 2 * pad);
    const QRectF panel(area.center().x() - w / 2, area.top() + kMargin, w, fm.height() + pad);
    p.setPen(Qt::NoPen);
    p.setBrush(kPanel);
    p.drawRoundedRect(panel, 4, 4);
    p.setPen(kInk);
    p.drawText(panel, Qt::AlignCenter, fm.elidedText(text, Qt::ElideRight, w - 2 * pad));
    p.restore();
}

void drawMapLabel(QPainter& p, QPointF at, const QString& text, const QColor& colour, const QSizeF& size,
                  bool leftOf) {
    QRectF box = QRectF(p.fontMetrics().boundingRect(text)).adjusted(-5, -3, 5, 3);
    box.moveTopLeft(at + QPointF(0, -box.height() / 2));
    if (leftOf) box.moveRight(at.x());
    if (box.left() < 4) box.moveLeft(4);
    if (box.right() > size.width() - 4) box.moveRight(at.x() - 24);
    if (box.top() < 4) box.moveTop(4);
    p.save();
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0, 0, 0, 190));
    p.drawRoundedRect(box, 3, 3);
    p.setPen(colour);
    p.drawText(box, Qt::AlignCenter, text);
    p.restore();
}

void drawRoverPose(QPainter& p, QPointF centre, double headingDeg, double len, double wid, const QColor& colour,
                   const QColor& fill, double minArrowPx) {
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.translate(centre);
    p.rotate(headingDeg);  // screen rotation is clockwise, like headings
    p.setPen(QPen(colour, 1.8));
    p.setBrush(fill);
    p.drawRect(QRectF(-wid / 2, -len / 2, wid, len));
    const double arrow = std::max(len * 0.9, minArrowPx);
    QPainterPath head;
    head.moveTo(0, -arrow - 5);
    head.lineTo(-6, -arrow + 7);
    head.lineTo(6, -arrow + 7);
    head.closeSubpath();
    p.setPen(QPen(QColor(0, 0, 0, 170), 5, Qt::SolidLine, Qt::RoundCap));  // a dark casing under the arrow
    p.drawLine(QPointF(0, 0), QPointF(0, -arrow));
    p.setPen(QPen(colour, 2.5, Qt::SolidLine, Qt::RoundCap));
    p.drawLine(QPointF(0, 0), QPointF(0, -arrow));
    p.setPen(QPen(Qt::black, 1));
    p.setBrush(colour);
    p.drawPath(head);
    p.restore();
}

}  // namespace traverse::studio
