#pragma once
// Quasi-static settling of a rocker-bogie suspension on the terrain. Given where each wheel touches
// the ground, it gives the bogie and rocker angles, the chassis' roll, pitch and height, and each
// wheel's share of the load. A kinematic model on the rover's horizontal footprint (docs/twin.md):
// per side, the bogie is the line through the middle and rear wheel centres, the rocker the line
// through the bogie pivot and the front wheel centre; the differential makes the body's pitch the
// mean of the two rockers' pitches; roll follows the rocker pivots' heights across the track.
#include "twin/rover_config.hpp"

#include <array>

namespace traverse::twin {

// Wheel order used everywhere in the twin.
enum Wheel { kLeftFront, kLeftMiddle, kLeftRear, kRightFront, kRightMiddle, kRightRear, kWheelCount };
inline constexpr const char* kWheelNames[kWheelCount] = {"lf", "lm", "lr", "rf", "rm", "rr"};

struct SuspensionState {
    double pitchRad = 0.0;   // + nose up
    double rollRad = 0.0;    // + left side up
    double bodyZ = 0.0;      // height of the body frame's origin (metres, map z)
    std::array<double, 2> rockerRad{};  // left, right: rocker relative to the body (+ front up)
    std::array<double, 2> bogieRad{};   // left, right: bogie relative to its rocker (+ front up)
    std::array<double, kWheelCount> loadShare{};  // fractions of the rover's weight, summing to 1
};

// Wheel body-frame positions (x forward, y left) from the configuration.
std::array<std::array<double, 2>, kWheelCount> wheelPositions(const RoverConfig& rover);

// Settles the suspension on wheel contact heights (terrain height under each wheel, metres).
SuspensionState settle(const RoverConfig& rover, const std::array<double, kWheelCount>& contactZ);

}  // namespace traverse::twin
