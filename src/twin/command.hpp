#pragma once
// The drive command dictionary (docs/commands.md), in the style of rover command dictionaries: each
// command has a stem and typed arguments with units and ranges. Angles are degrees, headings
// clockwise from north.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace traverse::twin {

enum class DriveMode { Blind, VisualOdometry, AutoNav };
std::string_view driveModeName(DriveMode mode);  // "BLIND", "VO", "AUTONAV"

struct TurnTo {          // MOB_TURN_TO heading_deg: turn in place to an absolute heading
    double headingDeg = 0.0;
};
struct TurnBy {          // MOB_TURN_BY angle_deg: turn in place by a signed angle (+ clockwise)
    double angleDeg = 0.0;
};
struct DriveStraight {   // MOB_STRAIGHT distance_m: drive along the current heading (- backwards)
    double distanceM = 0.0;
};
struct DriveArc {        // MOB_ARC radius_m length_m: drive an arc (+ radius turns right/clockwise)
    double radiusM = 0.0;
    double lengthM = 0.0;
};
struct GoToWaypoint {    // MOB_GOTO e n tolerance_m time_limit_s mode
    double e = 0.0, n = 0.0;       // map frame, metres
    double toleranceM = 0.5;
    double timeLimitS = 3600.0;
    DriveMode mode = DriveMode::VisualOdometry;
};
struct StopConditions {  // MOB_STOP_IF max_tilt_deg max_time_s: the rover stops itself past these
    double maxTiltDeg = 30.0;
    double maxTimeS = 6.0 * 3600.0;
};

using Command = std::variant<TurnTo, TurnBy, DriveStraight, DriveArc, GoToWaypoint, StopConditions>;

// Dictionary entries, for documentation, validation and parsing.
struct ArgumentSpec {
    std::string name;   // e.g. "distance_m"
    std::string type;   // "float" or "enum"
    std::string unit;   // "m", "deg", "s", ""
    double min = 0.0, max = 0.0;           // for floats
    std::vector<std::string> values;       // for enums
    std::string description;
    // Constraints a [min, max] range cannot say, checked together with it:
    double minMagnitude = 0.0;  // when > 0, |value| must be at least this (MOB_ARC radius_m)
    bool nonZero = false;       // the value must not be 0 (distances and arc lengths)
};
struct CommandSpec {
    std::string stem;   // e.g. "MOB_STRAIGHT"
    std::string description;
    std::vector<ArgumentSpec> arguments;
};
const std::vector<CommandSpec>& commandDictionary();
std::string_view commandStem(const Command& command);

}  // namespace traverse::twin
