#pragma once
// What the model sees: for the rover's current pose, a square window of the site rendered twice —
// (1) the orthoimage with a metric grid in a rover-centred east/north frame, scale bar, north arrow,
// the rover's footprint and heading, the goal (or its bearing and distance when outside), the route
// so far, keep-out zones and, in candidates mode, numbered reachable points; (2) the same window as a
// hazard map (slope colour scale, step and hazard cells, unknown terrain) over a hillshade, with a
// legend. Images are encoded with OpenCV (PNG or JPEG). OpenCV stays inside the .cpp.
#include "planner/route.hpp"
#include "planner/segment_checker.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/raster.hpp"
#include "twin/flight_rules.hpp"
#include "twin/rover_config.hpp"

#include <string>
#include <vector>

namespace traverse::vlm {

// The rover-centred frame a model answers in: origin at the rover, x east, y north, metres.
struct LocalPoint {
    double east = 0.0;
    double north = 0.0;
};

struct LocalFrame {
    terrain::MapPoint origin;
    LocalPoint toLocal(terrain::MapPoint p) const { return {p.e - origin.e, p.n - origin.n}; }
    terrain::MapPoint toMap(LocalPoint p) const { return {origin.e + p.east, origin.n + p.north}; }
};

// A numbered point about one segment away that the checker lets the rover reach in a straight line.
struct Candidate {
    int number = 0;       // 1, 2, ... as drawn on the image
    LocalPoint local;     // in the request's LocalFrame
    terrain::MapPoint map;
};

enum class ImageFormat { Png, Jpeg };

struct EncodedImage {
    std::string name;       // "terrain" or "hazard"
    std::string mediaType;  // "image/png" or "image/jpeg"
    std::string bytes;      // the encoded file
    int width = 0;
    int height = 0;
};

struct ViewOptions {
    double extentM = 80.0;    // side of the square window, metres
    int sizePx = 1024;        // side of each image, pixels (at most 1568)
    double gridStepM = 10.0;  // metric grid spacing (labels in metres of the LocalFrame)
    ImageFormat format = ImageFormat::Jpeg;  // PNG costs ~20 ms per 1024 px view in libpng (bench/README.md)
    int jpegQuality = 90;
};

struct ViewScene {
    twin::Pose pose;                            // the rover (map frame, heading degrees from north)
    terrain::MapPoint goal;
    const planner::Route* route = nullptr;      // the route so far (may be null)
    const std::vector<twin::Zone>* zones = nullptr;
    std::vector<Candidate> candidates;          // empty in coordinates mode
};

class ViewRenderer {
public:
    // `ortho` may be null (the terrain view then shows the hillshade). The rasters and maps are
    // borrowed and must outlive the renderer; GDAL reads are not thread-safe, so one renderer serves
    // one thread. Throws traverse::Error (InvalidArgument) for options out of range.
    ViewRenderer(const terrain::Raster& dtm, const terrain::Raster* ortho, const terrain::HazardMaps& maps,
                 const twin::RoverConfig& rover, ViewOptions options);

    // Both views, [terrain, hazard], centred on scene.pose. Areas outside the site are drawn as
    // no-data (flat dark grey) and say so in the legend. The rasters are read on the calling thread;
    // the two views are then drawn and encoded on two threads. Throws Error (InvalidArgument) for a
    // pose or goal that is not finite, (Io) when a raster read or the encoding fails.
    std::vector<EncodedImage> render(const ViewScene& scene) const;

    const ViewOptions& options() const { return options_; }
    LocalFrame frameFor(const twin::Pose& pose) const { return {{pose.e, pose.n}}; }

private:
    const terrain::Raster& dtm_;
    const terrain::Raster* ortho_;
    const terrain::HazardMaps& maps_;
    twin::RoverConfig rover_;
    ViewOptions options_;
};

// Up to `count` reachable points on a circle of `radiusM` around the pose, at evenly spaced bearings
// starting from the heading, each one a straight segment from the pose that `checker` does not fail;
// numbered from 1 clockwise from the rover's heading. Throws Error (InvalidArgument) unless radiusM is
// finite and positive and count is in 1..99 (markers carry at most two digits).
std::vector<Candidate> reachableCandidates(const planner::SegmentChecker& checker, const twin::Pose& pose,
                                           double radiusM, int count);

}  // namespace traverse::vlm
