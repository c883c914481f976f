#pragma once
// Past traverses drawn on the map: a drive log's track (twin::DriveLog) or a traverse published as
// GeoJSON (lon/lat on Mars, placed in the site's frame), each as a coloured line with its start, end
// and name, over the planned route so that the two can be compared.
#include "studio/map_overlay.hpp"

#include <QColor>
#include <QString>

#include <filesystem>
#include <string>
#include <vector>

namespace traverse::terrain {
class Site;
}

namespace traverse::studio {

class MapView;

class TraverseOverlay : public MapOverlay {
public:
    struct Track {
        QString name;
        std::vector<terrain::MapPoint> points;  // map frame
        QColor colour;
        int outside = 0;                        // published points that fell outside the site
    };

    // Adds itself to `map` and removes itself on destruction.
    explicit TraverseOverlay(MapView& map);
    ~TraverseOverlay() override;

    // Reads a drive log (.csv) or a published traverse (.geojson / .json) for `site` and shows it.
    // Throws traverse::Error naming the file (and the line or feature) when it cannot be read.
    const Track& load(const std::filesystem::path& file, const terrain::Site& site);
    void clear();
    const std::vector<Track>& tracks() const { return tracks_; }

    void paint(QPainter& painter, const MapViewport& viewport) override;

private:
    MapView& map_;
    std::vector<Track> tracks_;
};

}  // namespace traverse::studio
