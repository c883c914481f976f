#include "twin/rover_config.hpp"

namespace traverse::twin {

terrain::HazardParams hazardParamsFor(const RoverConfig& r) {
    terrain::HazardParams p;
    p.footprintM = r.bodyLengthM;
    p.wheelM = r.wheelDiameterM;
    p.unknownBufferM = r.bodyWidthM / 2.0;
    p.limits.maxSlopeDeg = r.maxTiltPlanningDeg;
    p.limits.maxStepM = r.maxRockHeightM;
    p.limits.maxRoughnessM = r.maxRoughnessM;
    return p;
}

}  // namespace traverse::twin
