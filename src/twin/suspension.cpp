#include "twin/suspension.hpp"

#include <algorithm>
#include <cmath>

namespace traverse::twin {

std::array<std::array<double, 2>, kWheelCount> wheelPositions(const RoverConfig& r) {
    const double y = r.trackWidthM / 2.0;
    return {{{r.frontWheelXM, y},
             {r.middleWheelXM, y},
             {r.rearWheelXM, y},
             {r.frontWheelXM, -y},
             {r.middleWheelXM, -y},
             {r.rearWheelXM, -y}}};
}

SuspensionState settle(const RoverConfig& r, const std::array<double, kWheelCount>& contactZ) {
    const double radius = r.wheelDiameterM / 2.0;
    SuspensionState s;
    double rockerWorld[2], bogieWorld[2], rockerPivotZ[2];
    for (int side = 0; side < 2; ++side) {
        const int f = side * 3, m = f + 1, b = f + 2;
        const double zf = contactZ[std::size_t(f)] + radius;
        const double zm = contactZ[std::size_t(m)] + radius;
        const double zr = contactZ[std::size_t(b)] + radius;
        bogieWorld[side] = std::atan2(zm - zr, r.middleWheelXM - r.rearWheelXM);
        const double zBogiePivot = zr + (r.bogiePivotXM - r.rearWheelXM) * (zm - zr) / (r.middleWheelXM - r.rearWheelXM);
        rockerWorld[side] = std::atan2(zf - zBogiePivot, r.frontWheelXM - r.bogiePivotXM);
        rockerPivotZ[side] = zBogiePivot + (r.rockerPivotXM - r.bogiePivotXM) * std::tan(rockerWorld[side]);
    }
    s.pitchRad = (rockerWorld[0] + rockerWorld[1]) / 2.0;
    s.rollRad = std::atan2(rockerPivotZ[0] - rockerPivotZ[1], r.trackWidthM);
    // The origin sits below the rocker pivots' midpoint by the wheel radius: on flat ground, at the
    // contact plane.
    s.bodyZ = (rockerPivotZ[0] + rockerPivotZ[1]) / 2.0 - radius -
              r.rockerPivotXM * std::tan(s.pitchRad);
    for (int side = 0; side < 2; ++side) {
        s.rockerRad[std::size_t(side)] = rockerWorld[side] - s.pitchRad;
        s.bogieRad[std::size_t(side)] = bogieWorld[side] - rockerWorld[side];
    }

    // Loads: the body's weight reaches each side through its rocker pivot; tilting across the slope
    // moves the centre of mass downhill. Along each side, moments about the pivots split the load.
    const double rightShare = std::clamp(0.5 + r.cgHeightM * std::tan(s.rollRad) / r.trackWidthM, 0.0, 1.0);
    const double sideShare[2] = {1.0 - rightShare, rightShare};
    const double frontFraction = (r.rockerPivotXM - r.bogiePivotXM) / (r.frontWheelXM - r.bogiePivotXM);
    const double middleFraction = (r.bogiePivotXM - r.rearWheelXM) / (r.middleWheelXM - r.rearWheelXM);
    for (int side = 0; side < 2; ++side) {
        const double w = sideShare[side];
        const double front = w * frontFraction, bogie = w - front;
        s.loadShare[std::size_t(side * 3)] = front;
        s.loadShare[std::size_t(side * 3 + 1)] = bogie * middleFraction;
        s.loadShare[std::size_t(side * 3 + 2)] = bogie * (1.0 - middleFraction);
    }
    return s;
}

}  // namespace traverse::twin
