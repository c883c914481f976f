#pragma once
// The map: the site's orthoimage (or a hillshade of its DTM when it has none), north up, with a
// scale bar and a north arrow. Where the orthoimage has no overview for the scale (a large file
// without overviews seen from afar), the DTM hillshade stands in until the user zooms in. Wheel zooms about the cursor, a drag pans, +/- and the arrow keys do
// the same from the keyboard, a double-click or F fits the site.
//
// A plain QWidget that paints its own tiles rather than a QGraphicsView: the content is a
// multi-resolution raster whose tiles depend on the scale, which a scene of fixed items does not
// model, and everything drawn later (routes, hazards, the rover) is placed in the map frame through
// one MapViewport, shared with tests and with future views.
#include "studio/map_viewport.hpp"
#include "studio/tile_layer.hpp"

#include "terrain/geometry.hpp"

#include <QWidget>

#include <memory>
#include <vector>
#include <optional>
#include <utility>

namespace traverse::terrain {
class Site;
}

namespace traverse::studio {
class MapOverlay;
}

namespace traverse::studio {

class MapView : public QWidget {
    Q_OBJECT

public:
    explicit MapView(QWidget* parent = nullptr);
    ~MapView() override;

    // Shows a site, fitted to the view; nullptr clears the view. The site is shared with the rest
    // of the program (and with tile loads once they run off the UI thread). Throws traverse::Error
    // when the imagery cannot be prepared; the view is then unchanged.
    void setSite(std::shared_ptr<const terrain::Site> site);
    const terrain::Site* site() const { return site_.get(); }

    // The part of the map frame on screen, and the scale (metres per logical pixel).
    terrain::MapExtent visibleExtent() const { return viewport_.visibleExtent(); }
    double metresPerPixel() const { return viewport_.metresPerPixel(); }
    const MapViewport& viewport() const { return viewport_; }
    // The imagery layer (nullptr without a site), the layer the last paint drew (the imagery or its
    // stand-in) and what that paint did.
    const TileLayer* imagery() const { return imagery_.get(); }
    const TileLayer* lastLayer() const { return lastLayer_; }
    const FrameReport& lastFrame() const { return lastFrame_; }

    // The colour around the site and where the imagery has no data.
    static QColor backgroundColor() { return {46, 48, 52}; }

    QSize sizeHint() const override { return {1100, 720}; }

    // Overlays drawn over the rasters (in order) and offered the mouse and keys first (last added
    // first). Borrowed: remove an overlay before destroying it.
    void addOverlay(MapOverlay* overlay);
    void removeOverlay(MapOverlay* overlay);
    // The screen position of a map point, and back (logical pixels).
    QPointF toScreen(terrain::MapPoint p) const { return viewport_.toScreen(p); }
    terrain::MapPoint toMap(QPointF p) const { return viewport_.toMap(p); }

public slots:
    void zoomIn();
    void zoomOut();
    void fitToSite();

signals:
    // The map point under the mouse cursor (map frame, metres).
    void cursorMoved(traverse::terrain::MapPoint point);
    void cursorLeft();
    // The visible extent or scale changed.
    void viewChanged();
    // A tile could not be read; the message names the file.
    void renderProblem(const QString& message);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void zoomAbout(QPointF anchor, double factor);
    void panBy(QPointF pixels);
    // The useful range of scales (metres per logical pixel): from a few screen pixels per finest
    // image pixel to a few times the whole site. Requires a site.
    std::pair<double, double> scaleLimits() const;
    void changed();
    void drawPlaceholder(QPainter& painter, const QString& text);

    std::shared_ptr<const terrain::Site> site_;
    // The layers read from *site_: declared after it, destroyed before it.
    std::unique_ptr<TileLayer> imagery_;
    std::unique_ptr<TileLayer> standIn_;  // the DTM hillshade when imagery_ is the orthoimage
    const TileLayer* lastLayer_ = nullptr;
    MapViewport viewport_;
    bool fitted_ = true;  // follow resizes with a fit until the user zooms or pans
    std::optional<QPointF> dragFrom_;
    std::vector<MapOverlay*> overlays_;
    MapOverlay* mouseGrabber_ = nullptr;  // the overlay that took the last press
    FrameReport lastFrame_;
    QString lastProblem_;
    bool repaintQueued_ = false;
};

}  // namespace traverse::studio
