#include "studio/profile_view.hpp"

#include "terrain/error.hpp"
#include "terrain/site.hpp"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace traverse::studio {

namespace {

constexpr int kMaxSamples = 2000;

// A "nice" tick step for a range shown with about `count` ticks.
double niceStep(double range, int count) {
    if (!(range > 0)) return 1.0;
    const double raw = range / count;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (raw <= m * mag) return m * mag;
    return 10.0 * mag;
}

bool covers(const terrain::MapExtent& outer, const terrain::MapExtent& inner) {
    return outer.minE <= inner.minE && outer.minN <= inner.minN && outer.maxE >= inner.maxE && outer.maxN >= inner.maxN;
}

}  // namespace

ProfileView::ProfileView(PlanDocument& doc, QWidget* parent) : QWidget(parent), doc_(doc) {
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMouseTracking(true);
    connect(&doc_, &PlanDocument::planChanged, this, [this](unsigned parts) {
        if (parts & (PlanDocument::Route | PlanDocument::Start)) schedule();
    });
    refresh();
}

ProfileView::~ProfileView() = default;

void ProfileView::setSite(const terrain::Site* site) {
    site_ = site;
    dtm_.reset();
    refresh();
}

void ProfileView::setLine(std::optional<std::pair<terrain::MapPoint, terrain::MapPoint>> line) {
    line_ = line;
    refresh();
}

void ProfileView::schedule() {
    if (scheduled_) return;
    scheduled_ = true;
    QTimer::singleShot(0, this, [this] {
        scheduled_ = false;
        refresh();
    });
}

void ProfileView::refresh() {
    samples_.clear();
    hoverDistance_.reset();
    vertexDistances_.clear();
    std::vector<terrain::MapPoint> pts;
    QString what;
    if (line_) {
        pts = {line_->first, line_->second};
        what = tr("Measured line");
    } else {
        if (doc_.hasStart()) pts.push_back({doc_.plan().route.start.e, doc_.plan().route.start.n});
        for (const auto& s : doc_.plan().route.segments) pts.push_back(s.to);
        what = tr("Route");
    }
    update();
    if (!site_) {
        caption_ = tr("No site open");
        return;
    }
    if (pts.size() < 2) {
        caption_ = tr("Set a start and add waypoints (or measure a line) to see a profile");
        return;
    }
    terrain::MapExtent box{pts[0].e, pts[0].n, pts[0].e, pts[0].n};
    double length = 0;
    vertexDistances_.push_back(0.0);
    for (std::size_t i = 1; i < pts.size(); ++i) {
        box.minE = std::min(box.minE, pts[i].e);
        box.maxE = std::max(box.maxE, pts[i].e);
        box.minN = std::min(box.minN, pts[i].n);
        box.maxN = std::max(box.maxN, pts[i].n);
        length += std::hypot(pts[i].e - pts[i - 1].e, pts[i].n - pts[i - 1].n);
        vertexDistances_.push_back(length);
    }
    caption_ = tr("%1, %2 m").arg(what).arg(length, 0, 'f', 1);
    try {
        const terrain::Raster& raster = site_->dtm();
        if (!dtm_ || !covers(dtm_->extent(), box)) {
            // The route's box and a margin: reads stay small on huge DTMs, and small edits reuse it.
            const double margin = std::max(20.0, 0.25 * std::max(box.width(), box.height()));
            const terrain::MapExtent area{box.minE - margin, box.minN - margin, box.maxE + margin, box.maxN + margin};
            dtm_ = std::make_unique<terrain::ElevationModel>(terrain::ElevationModel::load(raster, area));
        }
        const double step = std::max(dtm_->pixelSize(), length / kMaxSamples);
        samples_ = terrain::sampleProfile(*dtm_, pts, step);
    } catch (const Error& e) {
        dtm_.reset();
        caption_ = tr("%1: %2").arg(what, QString::fromStdString(e.what()));
    }
}

void ProfileView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().text().color());
    const QFontMetrics fm(font());
    const int lineH = fm.height();
    p.drawText(QRect(8, 2, width() - 16, lineH), Qt::AlignLeft | Qt::AlignVCenter, caption_);

    std::optional<double> zMin, zMax;
    double sMax = 0;
    for (const auto& s : samples_) {
        if (s.elevationM) {
            zMin = std::min(zMin.value_or(*s.elevationM), *s.elevationM);
            zMax = std::max(zMax.value_or(*s.elevationM), *s.elevationM);
        }
        if (s.slopeDeg) sMax = std::max(sMax, *s.slopeDeg);
        if (s.gradeDeg) sMax = std::max(sMax, std::abs(*s.gradeDeg));
    }
    if (samples_.size() < 2 || !zMin) return;

    const double tiltLimit = doc_.plan().rover.maxTiltPlanningDeg;
    const double dMax = std::max(samples_.back().distanceM, 1e-6);
    if (*zMax - *zMin < 1.0) {  // flat: show at least a metre of relief
        const double mid = (*zMax + *zMin) / 2;
        zMin = mid - 0.5;
        zMax = mid + 0.5;
    }
    const double slopeTop = std::max({sMax * 1.1, tiltLimit * 1.15, 5.0});

    const int left = fm.horizontalAdvance(QStringLiteral("-0000.0")) + 14, right = 12;
    const int top = lineH + 8, bottom = lineH * 2 + 8;
    const int plotH = std::max(40, height() - top - bottom);
    const QRectF elevBox(left, top, width() - left - right, plotH * 0.55);
    const QRectF slopeBox(left, elevBox.bottom() + lineH * 0.5, elevBox.width(), plotH * 0.45 - lineH * 0.5);
    if (elevBox.width() < 40) return;
    plotArea_ = QRectF(elevBox.left(), elevBox.top(), elevBox.width(), slopeBox.bottom() - elevBox.top());

    auto xOf = [&](double d) { return elevBox.left() + d / dMax * elevBox.width(); };
    auto yElev = [&](double z) { return elevBox.bottom() - (z - *zMin) / (*zMax - *zMin) * elevBox.height(); };
    auto ySlope = [&](double s) { return slopeBox.bottom() - s / slopeTop * slopeBox.height(); };

    const QColor grid = palette().mid().color();
    const QColor text = palette().text().color();
    p.setPen(QPen(grid, 1));
    p.setBrush(Qt::NoBrush);
    p.drawRect(elevBox);
    p.drawRect(slopeBox);

    // Distance axis (shared), with grid lines through both panels.
    const double dStep = niceStep(dMax, std::max(2, int(elevBox.width() / 90)));
    for (double d = 0; d <= dMax + 1e-9; d += dStep) {
        const double x = xOf(d);
        p.setPen(QPen(grid, 1, Qt::DotLine));
        p.drawLine(QPointF(x, elevBox.top()), QPointF(x, elevBox.bottom()));
        p.drawLine(QPointF(x, slopeBox.top()), QPointF(x, slopeBox.bottom()));
        p.setPen(text);
        p.drawText(QRectF(x - 40, slopeBox.bottom() + 2, 80, lineH), Qt::AlignHCenter | Qt::AlignTop,
                   QString::number(d, 'f', dStep < 1 ? 1 : 0));
    }
    p.drawText(QRectF(elevBox.left(), slopeBox.bottom() + lineH + 2, elevBox.width(), lineH), Qt::AlignHCenter,
               tr("distance along the %1 (m)").arg(line_ ? tr("line") : tr("route")));

    // Elevation axis.
    const double zStep = niceStep(*zMax - *zMin, std::max(2, int(elevBox.height() / 35)));
    for (double z = std::ceil(*zMin / zStep) * zStep; z <= *zMax + 1e-9; z += zStep) {
        const double y = yElev(z);
        p.setPen(QPen(grid, 1, Qt::DotLine));
        p.drawLine(QPointF(elevBox.left(), y), QPointF(elevBox.right(), y));
        p.setPen(text);
        p.drawText(QRectF(0, y - lineH / 2.0, left - 6, lineH), Qt::AlignRight | Qt::AlignVCenter,
                   QString::number(z, 'f', zStep < 1 ? 1 : 0));
    }
    p.drawText(QRectF(elevBox.left() + 4, elevBox.top() + 2, 200, lineH), Qt::AlignLeft, tr("elevation (m)"));
    p.drawText(QRectF(slopeBox.left() + 4, slopeBox.top() + 2, 200, lineH), Qt::AlignLeft, tr("slope (\u00b0)"));

    // Slope axis.
    const double sStep = niceStep(slopeTop, std::max(2, int(slopeBox.height() / 30)));
    for (double s = 0; s <= slopeTop + 1e-9; s += sStep) {
        const double y = ySlope(s);
        p.setPen(QPen(grid, 1, Qt::DotLine));
        p.drawLine(QPointF(slopeBox.left(), y), QPointF(slopeBox.right(), y));
        p.setPen(text);
        p.drawText(QRectF(0, y - lineH / 2.0, left - 6, lineH), Qt::AlignRight | Qt::AlignVCenter,
                   QString::number(s, 'f', 0) + QChar(0x00b0));
    }

    // Waypoints.
    p.setPen(QPen(QColor(0, 150, 200, 140), 1, Qt::DashLine));
    for (std::size_t i = 1; i + 1 < vertexDistances_.size(); ++i) {
        const double x = xOf(vertexDistances_[i]);
        p.drawLine(QPointF(x, elevBox.top()), QPointF(x, slopeBox.bottom()));
    }

    // Curves: gaps where the DTM has no data.
    auto curve = [&](auto value, auto y) {
        QPainterPath path;
        bool pen = false;
        for (const auto& s : samples_) {
            const std::optional<double> v = value(s);
            if (!v) {
                pen = false;
                continue;
            }
            const QPointF q(xOf(s.distanceM), y(*v));
            if (pen)
                path.lineTo(q);
            else
                path.moveTo(q);
            pen = true;
        }
        return path;
    };
    p.setClipRect(elevBox.adjusted(-1, -1, 1, 1));
    p.setPen(QPen(QColor(200, 120, 40), 2));
    p.drawPath(curve([](const terrain::ProfileSample& s) { return s.elevationM; }, yElev));
    p.setClipRect(slopeBox.adjusted(-1, -1, 1, 1));
    p.setPen(QPen(QColor(220, 40, 40), 1.5, Qt::DashLine));
    p.drawLine(QPointF(slopeBox.left(), ySlope(tiltLimit)), QPointF(slopeBox.right(), ySlope(tiltLimit)));
    p.setPen(QPen(QColor(90, 90, 200), 1.5));
    p.drawPath(curve([](const terrain::ProfileSample& s) { return s.slopeDeg; }, ySlope));
    p.setPen(QPen(QColor(40, 160, 80), 1.5));
    p.drawPath(curve(
        [](const terrain::ProfileSample& s) {
            return s.gradeDeg ? std::optional<double>(std::abs(*s.gradeDeg)) : std::nullopt;
        },
        ySlope));
    p.setClipping(false);

    // The hovered distance, with its values.
    if (hoverDistance_) {
        const auto it = std::min_element(samples_.begin(), samples_.end(), [&](const auto& a, const auto& b) {
            return std::abs(a.distanceM - *hoverDistance_) < std::abs(b.distanceM - *hoverDistance_);
        });
        const double x = xOf(it->distanceM);
        p.setPen(QPen(text, 1));
        p.drawLine(QPointF(x, elevBox.top()), QPointF(x, slopeBox.bottom()));
        QString label = tr("%1 m").arg(it->distanceM, 0, 'f', 1);
        if (it->elevationM) label += tr("   z %1 m").arg(*it->elevationM, 0, 'f', 2);
        if (it->slopeDeg) label += tr("   slope %1\u00b0").arg(*it->slopeDeg, 0, 'f', 1);
        if (it->gradeDeg) label += tr("   grade %1\u00b0").arg(*it->gradeDeg, 0, 'f', 1);
        const double w = fm.horizontalAdvance(label) + 10;
        const QRectF box(std::min(x + 6, elevBox.right() - w), elevBox.bottom() - lineH - 4, w, lineH + 2);
        p.fillRect(box, QColor(255, 255, 255, 220));
        p.drawText(box, Qt::AlignCenter, label);
    }

    // Legend, on the caption's line at the right.
    const QString legend[] = {tr("elevation"), tr("terrain slope"), tr("|grade| along track"),
                              tr("tilt limit %1\u00b0").arg(tiltLimit, 0, 'f', 0)};
    const QColor colours[] = {QColor(200, 120, 40), QColor(90, 90, 200), QColor(40, 160, 80), QColor(220, 40, 40)};
    double legendWidth = 0;
    for (const QString& l : legend) legendWidth += 26 + fm.horizontalAdvance(l);
    double x = std::max(fm.horizontalAdvance(caption_) + 24.0, width() - right - legendWidth);
    const double y = 2 + lineH / 2.0;
    for (int i = 0; i < 4; ++i) {
        p.setPen(QPen(colours[i], 2, i == 3 ? Qt::DashLine : Qt::SolidLine));
        p.drawLine(QPointF(x, y), QPointF(x + 14, y));
        p.setPen(text);
        p.drawText(QRectF(x + 18, 2, fm.horizontalAdvance(legend[i]) + 4, lineH), Qt::AlignLeft | Qt::AlignVCenter, legend[i]);
        x += 26 + fm.horizontalAdvance(legend[i]);
    }
}

void ProfileView::mouseMoveEvent(QMouseEvent* event) {
    const QPointF at = event->position();
    std::optional<double> d;
    if (samples_.size() >= 2 && plotArea_.width() > 0 && plotArea_.contains(at))
        d = (at.x() - plotArea_.left()) / plotArea_.width() * samples_.back().distanceM;
    if (d == hoverDistance_) return;
    hoverDistance_ = d;
    update();
    if (!d) {
        emit hovered(std::nullopt);
        return;
    }
    const auto it = std::min_element(samples_.begin(), samples_.end(), [&](const auto& a, const auto& b) {
        return std::abs(a.distanceM - *d) < std::abs(b.distanceM - *d);
    });
    emit hovered(it->point);
}

void ProfileView::leaveEvent(QEvent*) {
    if (!hoverDistance_) return;
    hoverDistance_.reset();
    update();
    emit hovered(std::nullopt);
}

}  // namespace traverse::studio
