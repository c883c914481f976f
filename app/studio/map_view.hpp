#pragma once
// The map: the site's rasters as layers, north up, with a scale bar and a north arrow. Layers, bottom
// to top: orthoimage, DTM hillshade, slope, roughness, step height, traversal cost, hazard mask; each
// can be shown or hidden and has an opacity (LayerPanel is their control). Where the orthoimage has no
// overview for the scale (a large file without overviews seen from afar), the DTM hillshade stands
// in until the user zooms in, and the view can offer to build overviews. Wheel zooms about the
// cursor, a drag pans, +/- and the arrow keys do the same from the keyboard, a double-click or F
// fits the site.
//
// Tiles are rendered by a TileLoader's worker threads; a paint only draws what is ready (coarser
// cached tiles stand in for the rest) and repaints as tiles arrive.
//
// A plain QWidget that paints its own tiles rather than a QGraphicsView: the content is a
// multi-resolution raster whose tiles depend on the scale, which a scene of fixed items does not
// model, and everything drawn later (routes, hazards, the rover) is placed in the map frame through
// one MapViewport, shared with tests and with future views.
#include "studio/hazard_tile_source.hpp"
#include "studio/layer_style.hpp"
#include "studio/map_viewport.hpp"
#include "studio/tile_layer.hpp"
#include "studio/tile_loader.hpp"

#include "terrain/geometry.hpp"
#include "terrain/hazard_maps.hpp"

#include <QWidget>

#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
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
    // The imagery layer (the orthoimage, or the hillshade for a site without one; nullptr without a
    // site), the base layer the last paint drew (the imagery or its stand-in) and what that paint did
    // for it.
    const TileLayer* imagery() const;
    const TileLayer* lastLayer() const { return lastLayer_; }
    const FrameReport& lastFrame() const { return lastFrame_; }

    // Layers. A layer the site cannot have (the orthoimage of a site without one) is null and stays
    // hidden. Opacity is 0..1.
    const TileLayer* layer(MapLayer which) const { return layers_[std::size_t(which)].get(); }
    bool hasLayer(MapLayer which) const { return layer(which) != nullptr; }
    void setLayerVisible(MapLayer which, bool visible);
    bool layerVisible(MapLayer which) const { return visible_[std::size_t(which)] && hasLayer(which); }
    void setLayerOpacity(MapLayer which, double opacity);
    double layerOpacity(MapLayer which) const { return opacity_[std::size_t(which)]; }
    const terrain::HazardParams& hazardParams() const { return hazardParams_; }
    // The rover's limits and sizes the hazard layers use (default: terrain::HazardParams{}); their
    // tiles are computed again. Throws traverse::Error (InvalidArgument) for parameters the hazard
    // maps refuse; the view is then unchanged.
    void setHazardParams(const terrain::HazardParams& params);

    // Tiles still being rendered for the current view (all visible layers).
    bool tilesLoading() const { return pendingTiles_ > 0; }
    int tilesPending() const { return pendingTiles_; }
    // Paints and lets tiles arrive until the view has them all, at most `timeoutMs`. For tests,
    // screenshots and benchmarks; returns whether the view is complete.
    bool waitForTiles(int timeoutMs = 20000);
    const TileLoader* loader() const { return loader_.get(); }

    // Offered the files of a newly shown site that have no overviews and are too large to show whole
    // without them; returns true when it built them (the view then reopens the site to use them).
    // None by default (tests, headless runs); the program installs a dialog (promptToBuildOverviews).
    using OverviewPrompt = std::function<bool(const std::vector<std::filesystem::path>& files)>;
    void setOverviewPrompt(OverviewPrompt prompt) { overviewPrompt_ = std::move(prompt); }
    // The files of the shown site that lack overviews and would need them to be seen whole.
    std::vector<std::filesystem::path> filesWithoutOverviews() const;

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
    // A layer was shown, hidden or changed opacity, or the set of layers changed (a new site).
    void layersChanged();

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

    // Builds the layers over `rendered` (the site, or the same files reopened once overviews were
    // built); throws traverse::Error.
    void buildLayers(std::shared_ptr<const terrain::Site> rendered);
    // Moves the tiles the workers finished into the layers' caches (UI thread; each paint starts
    // with it, so that a repeated grab() also sees them arrive).
    void drainInbox();
    void offerOverviews();

    std::shared_ptr<const terrain::Site> site_;
    std::shared_ptr<const terrain::Site> rendered_;  // what the layers read: site_ or a reopening of it
    // The layers read from *rendered_: declared after it, destroyed before it.
    std::array<std::unique_ptr<TileLayer>, kMapLayerCount> layers_;
    std::array<bool, kMapLayerCount> visible_{};
    std::array<double, kMapLayerCount> opacity_{};
    terrain::HazardParams hazardParams_;
    std::mutex inboxMutex_;
    std::vector<TileLoader::Result> inbox_;  // finished by the workers, not yet in the caches
    std::unique_ptr<TileLoader> loader_;
    std::shared_ptr<HazardTileCache> hazardCache_;  // of the hazard layers shown
    bool asyncTiles_ = false;  // the loader holds handles on the site's rasters
    std::uint64_t generation_ = 0;
    int pendingTiles_ = 0;
    OverviewPrompt overviewPrompt_;
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
