#include "studio/traverse_overlay.hpp"

#include "studio/map_decorations.hpp"
#include "studio/map_view.hpp"
#include "studio/map_viewport.hpp"

#include "terrain/error.hpp"
#include "terrain/site.hpp"
#include "twin/drive_log.hpp"
#include "twin/published_traverse.hpp"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <array>
#include <cctype>

namespace traverse::studio {

namespace {

// Distinct from the plan's route (white/green) and the hazard colours.
constexpr std::array<QRgb, 4> kColours = {qRgb(255, 170, 0), qRgb(0, 200, 255), qRgb(255, 90, 200), qRgb(180, 255, 80)};

}  // namespace

TraverseOverlay::TraverseOverlay(MapView& map) : map_(map) { map_.addOverlay(this); }

TraverseOverlay::~TraverseOverlay() { map_.removeOverlay(this); }

const TraverseOverlay::Track& TraverseOverlay::load(const std::filesystem::path& file, const terrain::Site& site) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    Track t;
    t.colour = QColor(kColours[tracks_.size() % kColours.size()]);
    if (ext == ".geojson" || ext == ".json") {
        const twin::PublishedTraverse published = twin::importTraverseGeoJson(file, site.crsWkt(), site.extent());
        t.points = published.path();
        t.outside = int(published.outside.size());
    } else {
        const twin::DriveLog log = twin::readDriveLog(file);
        t.points = log.track();
    }
    if (t.points.size() < 2)
        throw Error(Error::Kind::Format, file.string() + ": fewer than two positions inside the site to draw");
    t.name = QString::fromStdString(file.filename().string());
    tracks_.push_back(std::move(t));
    map_.update();
    return tracks_.back();
}

void TraverseOverlay::clear() {
    tracks_.clear();
    map_.update();
}

void TraverseOverlay::paint(QPainter& p, const MapViewport& v) {
    p.setRenderHint(QPainter::Antialiasing);
    for (const Track& t : tracks_) {
        QPainterPath path(v.toScreen(t.points.front()));
        for (std::size_t i = 1; i < t.points.size(); ++i) path.lineTo(v.toScreen(t.points[i]));
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(QColor(0, 0, 0, 160), 5.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawPath(path);
        p.setPen(QPen(t.colour, 2.5, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawPath(path);
        const QPointF a = v.toScreen(t.points.front()), b = v.toScreen(t.points.back());
        p.setPen(QPen(Qt::black, 1.5));
        p.setBrush(t.colour);
        p.drawEllipse(a, 5, 5);
        p.drawRect(QRectF(b.x() - 5, b.y() - 5, 10, 10));
        const QString label = t.name + (t.outside ? QStringLiteral(" (%1 points outside the site)").arg(t.outside) : QString());
        drawMapLabel(p, b + QPointF(10, 0), label, t.colour, v.size());
    }
}

}  // namespace traverse::studio
