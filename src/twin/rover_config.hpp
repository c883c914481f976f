#pragma once
// The rover's dimensions and limits that terrain analysis needs, with Perseverance-like defaults
// (public figures: 0.525 m wheels, 3.0 m x 2.7 m body, ~0.6 m belly clearance as on MSL, 30 degree
// planning tilt limit, 0.40 m largest rock). The full rover model grows here (issue "Digital twin").
#include "terrain/hazard_maps.hpp"

namespace traverse::twin {

struct RoverConfig {
    double wheelDiameterM = 0.525;
    double bodyLengthM = 3.0;
    double bodyWidthM = 2.7;
    double bellyClearanceM = 0.60;
    double maxTiltPlanningDeg = 30.0;
    double maxRockHeightM = 0.40;
    // Largest RMS deviation from a plane over the footprint that the suspension absorbs; a quarter of
    // the belly clearance keeps a margin under the body.
    double maxRoughnessM = 0.15;
};

// The hazard-map parameters that follow from a rover: windows from its footprint and wheels, limits
// from its tilt, rock and roughness limits; terrain within half the body width of nodata is unknown.
terrain::HazardParams hazardParamsFor(const RoverConfig& rover);

}  // namespace traverse::twin
