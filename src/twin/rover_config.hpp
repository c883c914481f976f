#pragma once
// The rover model's parameters, with Perseverance-like defaults from public figures (see
// docs/rover.md for the sources and for what is assumed). Body frame: x forward, y left, z up; the
// origin is on the centre line below the middle wheel axles, on the plane of the wheel contacts.
// Angles in this struct are degrees (names say _deg); lengths metres; mass kg; power W; energy Wh.
#include "terrain/hazard_maps.hpp"

#include <filesystem>
#include <string>

namespace traverse::twin {

struct RoverConfig {
    std::string name = "perseverance-like";

    // Mobility geometry.
    double wheelDiameterM = 0.525;
    double wheelWidthM = 0.40;
    double frontWheelXM = 1.10;    // axle x of the front wheels
    double middleWheelXM = 0.00;   // axle x of the middle wheels
    double rearWheelXM = -1.10;    // axle x of the rear wheels
    double trackWidthM = 2.20;     // distance between left and right wheel centres
    double rockerPivotXM = 0.25;   // x of the rocker pivots (on the body)
    double bogiePivotXM = -0.55;   // x of the bogie pivots (on the rockers)
    double rockerLimitDeg = 25.0;  // rocker rotation limit relative to the body, +/-
    double bogieLimitDeg = 40.0;   // bogie rotation limit relative to its rocker, +/-

    // Body.
    double bodyLengthM = 3.0;
    double bodyWidthM = 2.7;
    double bellyClearanceM = 0.60;  // body underside above flat ground
    double bellyLengthM = 2.2;      // underside footprint checked for clearance
    double bellyWidthM = 1.6;
    double massKg = 1025.0;
    double cgHeightM = 1.1;         // centre of mass above flat ground

    // Driving.
    double topSpeedMps = 0.042;
    double turnRateDegps = 2.0;     // turn in place
    bool canTurnInPlace = true;

    // Limits.
    double maxTiltPlanningDeg = 30.0;
    double maxTiltSurvivableDeg = 45.0;
    double maxRockHeightM = 0.40;
    double maxRoughnessM = 0.15;

    // Energy: power = base + climbing (m g v sin(pitch) / efficiency, never negative).
    double drivePowerW = 150.0;
    double turnPowerW = 120.0;
    double mobilityEfficiency = 0.5;

    // Slip: fraction of commanded motion lost, slip = clamp(base + slopeGain * tan(up-slope pitch)
    //       + roughnessGain * roughness / maxRoughness, 0, maxSlip).
    double slipBase = 0.02;
    double slipSlopeGain = 0.8;
    double slipRoughnessGain = 0.05;
    double slipMax = 0.9;

    // Odometry error growth as a fraction of distance driven: blind (wheel odometry) and with
    // visual odometry updates.
    double blindOdometryErrorFraction = 0.05;
    double voOdometryErrorFraction = 0.01;
};

// Reads a rover configuration from JSON (any field may be omitted: the default stands). Every
// field is validated; a bad file is an Error naming the file and the field.
RoverConfig loadRoverConfig(const std::filesystem::path& path);
// Parses JSON text; `source` names it in errors.
RoverConfig parseRoverConfig(const std::string& json, const std::string& source);
// Writes the configuration as JSON (atomically: temporary file, then rename).
void saveRoverConfig(const RoverConfig& rover, const std::filesystem::path& path);
std::string roverConfigToJson(const RoverConfig& rover);
// Throws traverse::Error (InvalidArgument) naming the first invalid field and why.
void validateRoverConfig(const RoverConfig& rover, const std::string& source);

// The hazard-map parameters that follow from a rover: windows from its footprint and wheels, limits
// from its tilt, rock and roughness limits; terrain within half the body width of nodata is unknown.
terrain::HazardParams hazardParamsFor(const RoverConfig& rover);

}  // namespace traverse::twin
