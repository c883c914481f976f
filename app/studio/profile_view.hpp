#pragma once
// The elevation and slope profile along the route (start and waypoints) or, while one is set,
// along a measured line: elevation above, terrain slope and along-track grade below, against
// distance, with the rover's planning tilt limit and the waypoints marked. The DTM is sampled on the
// UI thread, which owns the site's GDAL datasets, through terrain::sampleProfile.
#include "studio/plan_document.hpp"

#include "terrain/profile.hpp"

#include <QWidget>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace traverse::terrain {
class Site;
}

namespace traverse::studio {

class ProfileView : public QWidget {
    Q_OBJECT

public:
    explicit ProfileView(PlanDocument& doc, QWidget* parent = nullptr);
    ~ProfileView() override;

    // The site whose DTM is sampled (borrowed; nullptr clears). Call again when the site changes.
    void setSite(const terrain::Site* site);
    // A measured line to profile instead of the route; nothing returns to the route.
    void setLine(std::optional<std::pair<terrain::MapPoint, terrain::MapPoint>> line);

    // Recomputes now (normally done shortly after each change).
    void refresh();
    const std::vector<terrain::ProfileSample>& samples() const { return samples_; }
    // What is profiled ("Route, 123.4 m"), or why nothing is.
    QString caption() const { return caption_; }

    QSize sizeHint() const override { return {600, 220}; }
    QSize minimumSizeHint() const override { return {240, 140}; }

signals:
    // The point of the profile under the mouse (map frame), or nothing when the mouse leaves.
    void hovered(std::optional<traverse::terrain::MapPoint> point);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void schedule();

    PlanDocument& doc_;
    const terrain::Site* site_ = nullptr;
    std::optional<std::pair<terrain::MapPoint, terrain::MapPoint>> line_;
    std::unique_ptr<terrain::ElevationModel> dtm_;  // the part of the DTM last needed
    std::vector<terrain::ProfileSample> samples_;
    std::vector<double> vertexDistances_;  // where the polyline's vertices are, along it
    QString caption_;
    QRectF plotArea_;                 // where distance runs along x, from the last paint
    std::optional<double> hoverDistance_;
    bool scheduled_ = false;
};

}  // namespace traverse::studio
