#pragma once
// A line plot painted with QPainter: one x axis (e.g. distance driven), one y axis with its unit,
// several series, optional dashed limit lines, a legend and a vertical cursor. Hovering moves the
// cursor and reports the x under the mouse; setCursorX moves it from outside (no signal).
#include <QColor>
#include <QString>
#include <QWidget>

#include <optional>
#include <vector>

namespace traverse::studio {

struct PlotSeries {
    QString name;
    QColor color;
    std::vector<double> y;  // one value per x; NaN leaves a gap
};

struct PlotLimit {
    QString name;   // e.g. "limit 30°"
    double y = 0.0;
    QColor color = QColor(200, 40, 40);
};

class PlotWidget : public QWidget {
    Q_OBJECT

public:
    explicit PlotWidget(QWidget* parent = nullptr);

    // `x` ascending (non-decreasing); each series holds as many values as x.
    void setData(const QString& title, const QString& xLabel, const QString& yUnit, std::vector<double> x,
                 std::vector<PlotSeries> series, std::vector<PlotLimit> limits = {});
    void clear();
    void setCursorX(std::optional<double> x);

    std::size_t pointCount() const { return x_.size(); }
    std::size_t seriesCount() const { return series_.size(); }
    std::optional<double> cursorX() const { return cursor_; }
    // The series' value at the sample nearest `x` (NaN when empty).
    double valueAt(std::size_t series, double x) const;
    // The plot's data rectangle in widget pixels, and the widget x of a data x (for tests).
    QRectF plotArea() const;
    double screenX(double x) const;

    QSize sizeHint() const override { return {480, 160}; }
    QSize minimumSizeHint() const override { return {200, 110}; }

signals:
    void hovered(double x);   // the data x under the mouse
    void left();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    std::size_t nearest(double x) const;

    QString title_, xLabel_, yUnit_;
    std::vector<double> x_;
    std::vector<PlotSeries> series_;
    std::vector<PlotLimit> limits_;
    double xMin_ = 0, xMax_ = 1, yMin_ = 0, yMax_ = 1;
    std::optional<double> cursor_;
};

// Round tick positions covering [lo, hi] (about `target` of them).
std::vector<double> niceTicks(double lo, double hi, int target);

}  // namespace traverse::studio
