#include "studio/plot_widget.hpp"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <limits>

namespace traverse::studio {

std::vector<double> niceTicks(double lo, double hi, int target) {
    std::vector<double> out;
    if (!(hi > lo) || target < 1) return out;
    // The round step (1, 2, 2.5 or 5 times a power of ten) whose tick count is nearest the target.
    const double mag = std::pow(10.0, std::floor(std::log10((hi - lo) / target)));
    double step = mag;
    double best = 1e300;
    for (double m : {0.5, 1.0, 2.0, 2.5, 5.0, 10.0}) {
        const double s = m * mag;
        const double count = std::floor(hi / s) - std::ceil(lo / s) + 1;
        if (std::abs(count - target) < best) {
            best = std::abs(count - target);
            step = s;
        }
    }
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    return out;
}

namespace {

QString tickText(double v, double step) {
    const int decimals = step >= 1.0 ? 0 : std::min(4, int(std::ceil(-std::log10(step) - 1e-9)));
    return QString::number(v, 'f', decimals);
}

}  // namespace

PlotWidget::PlotWidget(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void PlotWidget::setData(const QString& title, const QString& xLabel, const QString& yUnit, std::vector<double> x,
                         std::vector<PlotSeries> series, std::vector<PlotLimit> limits) {
    title_ = title;
    xLabel_ = xLabel;
    yUnit_ = yUnit;
    x_ = std::move(x);
    series_ = std::move(series);
    limits_ = std::move(limits);
    for (auto& s : series_) s.y.resize(x_.size(), std::numeric_limits<double>::quiet_NaN());
    xMin_ = x_.empty() ? 0.0 : x_.front();
    xMax_ = x_.empty() ? 1.0 : x_.back();
    if (!(xMax_ > xMin_)) xMax_ = xMin_ + 1.0;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& s : series_)
        for (double v : s.y)
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
    // Limits widen the range only when they are near the data: a far limit would flatten the curve.
    if (std::isfinite(lo))
        for (const auto& l : limits_) {
            const double span = std::max(hi - lo, 1e-6);
            if (l.y >= lo - 0.5 * span && l.y <= hi + 0.5 * span) {
                lo = std::min(lo, l.y);
                hi = std::max(hi, l.y);
            }
        }
    if (!std::isfinite(lo)) lo = 0.0, hi = 1.0;
    const double pad = std::max((hi - lo) * 0.08, std::max(std::abs(hi), 1e-3) * 1e-3);
    yMin_ = lo - pad;
    yMax_ = hi + pad;
    update();
}

void PlotWidget::clear() {
    setData(title_, xLabel_, yUnit_, {}, {}, {});
    cursor_.reset();
}

void PlotWidget::setCursorX(std::optional<double> x) {
    cursor_ = x;
    update();
}

std::size_t PlotWidget::nearest(double x) const {
    const auto it = std::lower_bound(x_.begin(), x_.end(), x);
    if (it == x_.end()) return x_.size() - 1;
    std::size_t i = std::size_t(it - x_.begin());
    if (i > 0 && std::abs(x_[i - 1] - x) <= std::abs(x_[i] - x)) --i;
    return i;
}

double PlotWidget::valueAt(std::size_t series, double x) const {
    if (x_.empty() || series >= series_.size()) return std::numeric_limits<double>::quiet_NaN();
    return series_[series].y[nearest(x)];
}

QRectF PlotWidget::plotArea() const {
    const QFontMetrics fm(font());
    const double left = fm.horizontalAdvance(QStringLiteral("-00000.0")) + 12;
    const double top = fm.height() + 8;
    const double bottom = 2 * fm.height() + 8;
    return QRectF(left, top, std::max(10.0, width() - left - 12), std::max(10.0, height() - top - bottom));
}

double PlotWidget::screenX(double x) const {
    const QRectF a = plotArea();
    return a.left() + (x - xMin_) / (xMax_ - xMin_) * a.width();
}

void PlotWidget::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    p.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics fm(font());
    const QRectF a = plotArea();
    const QColor text = palette().color(QPalette::Text);
    const QColor grid = palette().color(QPalette::Mid).lighter(130);
    auto sy = [&](double y) { return a.bottom() - (y - yMin_) / (yMax_ - yMin_) * a.height(); };

    // Title and legend on the top line.
    p.setPen(text);
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    const QString title = yUnit_.isEmpty() ? title_ : title_ + QStringLiteral(" (") + yUnit_ + QLatin1Char(')');
    p.drawText(QPointF(a.left(), fm.ascent() + 2), title);
    p.setFont(font());
    double lx = a.right();
    for (auto it = series_.rbegin(); it != series_.rend(); ++it) {
        if (series_.size() < 2) break;  // one series: the title names it
        const double w = fm.horizontalAdvance(it->name);
        lx -= w;
        p.setPen(text);
        p.drawText(QPointF(lx, fm.ascent() + 2), it->name);
        lx -= 22;
        p.setPen(QPen(it->color, 2));
        p.drawLine(QPointF(lx, fm.height() / 2.0 + 2), QPointF(lx + 16, fm.height() / 2.0 + 2));
        lx -= 14;
    }

    // Grid, ticks and labels.
    const auto yTicks = niceTicks(yMin_, yMax_, std::max(2, int(a.height() / 35)));
    const double yStep = yTicks.size() > 1 ? yTicks[1] - yTicks[0] : 1.0;
    for (double v : yTicks) {
        p.setPen(QPen(grid, 1));
        p.drawLine(QPointF(a.left(), sy(v)), QPointF(a.right(), sy(v)));
        p.setPen(text);
        const QString t = tickText(v, yStep);
        p.drawText(QPointF(a.left() - 6 - fm.horizontalAdvance(t), sy(v) + fm.ascent() / 2.0 - 1), t);
    }
    const auto xTicks = niceTicks(xMin_, xMax_, std::max(2, int(a.width() / 70)));
    const double xStep = xTicks.size() > 1 ? xTicks[1] - xTicks[0] : 1.0;
    for (double v : xTicks) {
        p.setPen(QPen(grid, 1));
        p.drawLine(QPointF(screenX(v), a.top()), QPointF(screenX(v), a.bottom()));
        p.setPen(text);
        const QString t = tickText(v, xStep);
        p.drawText(QPointF(screenX(v) - fm.horizontalAdvance(t) / 2.0, a.bottom() + fm.ascent() + 3), t);
    }
    p.drawText(QRectF(a.left(), a.bottom() + fm.height() + 4, a.width(), fm.height()), Qt::AlignHCenter, xLabel_);
    p.setPen(QPen(text, 1));
    p.drawRect(a);

    if (x_.empty()) {
        p.drawText(a, Qt::AlignCenter, tr("no data"));
        return;
    }
    p.save();
    p.setClipRect(a.adjusted(-1, -1, 1, 1));
    for (const auto& l : limits_) {
        if (l.y < yMin_ || l.y > yMax_) continue;
        p.setPen(QPen(l.color, 1, Qt::DashLine));
        p.drawLine(QPointF(a.left(), sy(l.y)), QPointF(a.right(), sy(l.y)));
        // The name above its line, or below it when the line runs along the top.
        const double ly = sy(l.y) - 3 - fm.ascent() < a.top() ? sy(l.y) + fm.ascent() + 2 : sy(l.y) - 3;
        p.drawText(QPointF(a.left() + 4, ly), l.name);
    }
    for (const auto& s : series_) {
        QPainterPath path;
        bool pen = false;
        // Long series: one point per pixel column's worth of samples is enough to draw.
        const std::size_t stride = std::max<std::size_t>(1, x_.size() / std::size_t(std::max(1.0, a.width() * 2)));
        for (std::size_t i = 0; i < x_.size(); i += stride) {
            const double v = s.y[i];
            if (!std::isfinite(v)) {
                pen = false;
                continue;
            }
            const QPointF q(screenX(x_[i]), sy(v));
            if (pen) path.lineTo(q);
            else path.moveTo(q);
            pen = true;
        }
        p.setPen(QPen(s.color, 1.6));
        p.drawPath(path);
    }
    p.restore();

    if (cursor_ && *cursor_ >= xMin_ && *cursor_ <= xMax_) {
        const double cx = screenX(*cursor_);
        p.setPen(QPen(QColor(20, 20, 20, 170), 1));
        p.drawLine(QPointF(cx, a.top()), QPointF(cx, a.bottom()));
        QStringList values;
        for (std::size_t k = 0; k < series_.size(); ++k) {
            const double v = valueAt(k, *cursor_);
            if (std::isfinite(v)) values << QString::number(v, 'g', 4);
        }
        // "142.5 m: 1.20 / -0.3": x with the x axis's unit (the label's last parenthesis), then each series.
        QString xUnit;
        if (const auto open = xLabel_.lastIndexOf(QLatin1Char('(')); open >= 0 && xLabel_.endsWith(QLatin1Char(')')))
            xUnit = QLatin1Char(' ') + xLabel_.mid(open + 1, xLabel_.size() - open - 2);
        const QString label = tickText(*cursor_, xStep / 10) + xUnit + QStringLiteral(": ") + values.join(QStringLiteral(" / "));
        const double w = fm.horizontalAdvance(label) + 8;
        const double bx = cx + 6 + w > a.right() ? cx - 6 - w : cx + 6;
        const QRectF box(bx, a.top() + 4, w, fm.height() + 2);
        p.fillRect(box, QColor(255, 255, 255, 220));
        p.setPen(text);
        p.drawText(box, Qt::AlignCenter, label);
    }
}

void PlotWidget::mouseMoveEvent(QMouseEvent* event) {
    const QRectF a = plotArea();
    if (x_.empty() || !a.contains(event->position())) return;
    const double x = xMin_ + (event->position().x() - a.left()) / a.width() * (xMax_ - xMin_);
    setCursorX(x);
    emit hovered(x);
}

void PlotWidget::leaveEvent(QEvent*) { emit left(); }

}  // namespace traverse::studio
