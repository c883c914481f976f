#pragma once
// An elevation and slope profile along a polyline on a DTM: what the planner reads before a drive
// ("how much do we climb, and where is it steepest?"). Plain sampling of an ElevationModel, so the
// studio, the CLI and tests share one definition.
#include "terrain/elevation_model.hpp"
#include "terrain/geometry.hpp"

#include <optional>
#include <vector>

namespace traverse::terrain {

struct ProfileSample {
    double distanceM = 0.0;             // along the polyline from its first point
    MapPoint point;                     // map frame
    std::optional<double> elevationM;   // nothing where the DTM has no data (or off it)
    std::optional<double> gradeDeg;     // along-track slope, + uphill in the direction of travel
    std::optional<double> slopeDeg;     // the terrain's steepest slope at the point (any direction)
};

// Samples `polyline` (map frame) every `stepM` metres (> 0), plus each vertex and the last point,
// so that a waypoint always has a sample. The grade is the central difference of elevations along
// the track; the terrain slope the central-difference gradient over one DTM cell each way. Fewer
// than two points give one sample or none. Throws Error (InvalidArgument) for a step that is not
// positive and finite.
std::vector<ProfileSample> sampleProfile(const ElevationModel& dtm, const std::vector<MapPoint>& polyline,
                                         double stepM);

}  // namespace traverse::terrain
