#include "twin/command.hpp"

#include <array>
#include <limits>
#include <utility>

namespace traverse::twin {

namespace {

// Stems in the order of the Command variant's alternatives; the dictionary follows the same order,
// so a command's index() is its dictionary entry.
constexpr std::array<std::string_view, 6> kStems = {"MOB_TURN_TO",  "MOB_TURN_BY", "MOB_STRAIGHT",
                                                      "MOB_ARC",      "MOB_GOTO",    "MOB_STOP_IF"};
static_assert(std::variant_size_v<Command> == kStems.size());

ArgumentSpec number(std::string name, std::string unit, double min, double max, std::string description) {
    ArgumentSpec a;
    a.name = std::move(name);
    a.type = "float";
    a.unit = std::move(unit);
    a.min = min;
    a.max = max;
    a.description = std::move(description);
    return a;
}

ArgumentSpec nonZero(ArgumentSpec a) {
    a.nonZero = true;
    return a;
}

std::vector<CommandSpec> makeDictionary() {
    constexpr double kAnyLow = std::numeric_limits<double>::lowest();
    constexpr double kAnyHigh = std::numeric_limits<double>::max();

    ArgumentSpec radius = number("radius_m", "m", -1000.0, 1000.0,
                                 "turn radius of the rover's centre; + turns right (clockwise), - turns left");
    radius.minMagnitude = 1.0;

    ArgumentSpec mode;
    mode.name = "mode";
    mode.type = "enum";
    mode.values = {"BLIND", "VO", "AUTONAV"};
    mode.description = "BLIND: wheel odometry only; VO: visual odometry updates; AUTONAV: onboard hazard avoidance";

    std::vector<CommandSpec> d;
    d.push_back({std::string(kStems[0]), "Turn in place to an absolute heading.",
                 {number("heading_deg", "deg", 0.0, 360.0, "target heading, clockwise from north")}});
    d.push_back({std::string(kStems[1]), "Turn in place by a signed angle.",
                 {number("angle_deg", "deg", -360.0, 360.0, "turn angle; + clockwise (right), - counterclockwise")}});
    d.push_back({std::string(kStems[2]), "Drive straight along the current heading.",
                 {nonZero(number("distance_m", "m", -100.0, 100.0, "distance to drive; - drives backwards"))}});
    d.push_back({std::string(kStems[3]), "Drive an arc of constant radius.",
                 {radius, nonZero(number("length_m", "m", -100.0, 100.0,
                                         "arc length along the rover's centre path; - drives backwards"))}});
    d.push_back({std::string(kStems[4]), "Drive to a map position, steering on the way, until within tolerance.",
                 {number("e", "m", kAnyLow, kAnyHigh, "goal easting, map frame"),
                  number("n", "m", kAnyLow, kAnyHigh, "goal northing, map frame"),
                  number("tolerance_m", "m", 0.05, 10.0, "arrival radius around the goal"),
                  number("time_limit_s", "s", 1.0, 86400.0, "the command ends (fails) after this long"),
                  mode}});
    d.push_back({std::string(kStems[5]), "Set the conditions under which the rover stops itself for the rest of the sequence.",
                 {number("max_tilt_deg", "deg", 1.0, 60.0, "stop when the rover's tilt from vertical exceeds this"),
                  number("max_time_s", "s", 1.0, 86400.0, "stop when the sequence has run this long")}});
    return d;
}

}  // namespace

std::string_view driveModeName(DriveMode mode) {
    switch (mode) {
        case DriveMode::Blind: return "BLIND";
        case DriveMode::VisualOdometry: return "VO";
        case DriveMode::AutoNav: return "AUTONAV";
    }
    return "UNKNOWN";
}

const std::vector<CommandSpec>& commandDictionary() {
    static const std::vector<CommandSpec> dictionary = makeDictionary();
    return dictionary;
}

std::string_view commandStem(const Command& command) { return kStems.at(command.index()); }

}  // namespace traverse::twin
