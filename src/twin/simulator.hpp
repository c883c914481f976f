#pragma once
// The digital twin's simulator: executes a drive sequence over the DTM at a fixed distance step,
// settling the suspension at every step, integrating slip, odometry, time and energy, recording
// telemetry and evaluating the flight rules. Synchronous and thread-safe (no shared mutable state).
#include "terrain/elevation_model.hpp"
#include "twin/flight_rules.hpp"
#include "twin/rover_config.hpp"
#include "twin/sequence.hpp"
#include "twin/telemetry.hpp"

#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace traverse::twin {

struct SimulationOptions {
    double stepM = 0.05;        // distance step (at most 0.05 m)
    double turnStepDeg = 2.0;   // heading step of turns in place
    std::vector<Zone> zones;    // keep-in / keep-out
    std::optional<RuleLimits> limits;  // default: from the rover configuration
    bool recordTelemetry = true;
    std::stop_token stop;
};

// Departures from the nominal model, for Monte Carlo runs.
struct Perturbation {
    double slipScale = 1.0;        // multiplies the slip model
    double headingBiasDeg = 0.0;   // added to the true heading minus believed heading
    double wheelOdometryError = 0.0;  // fractional error of wheel odometry (true / counted - 1)
    double startOffsetE = 0.0, startOffsetN = 0.0;   // true start position minus the sequence's
    double startHeadingOffsetDeg = 0.0;              // true start heading minus the sequence's
};

// What kind of thing happened (drive logs store it; replay counts them).
enum class EventKind { Fault, Stop, Rule, Waypoint, Note };

struct Event {
    double timeS = 0.0;
    int commandIndex = 0;
    std::string what;
    EventKind kind = EventKind::Note;
};

struct SimulationResult {
    Telemetry telemetry;          // empty when not recorded
    Verdict verdict;
    Pose endPose;                 // true pose
    Pose estimatedEndPose;        // where the rover believes it is
    double distanceM = 0.0, elapsedS = 0.0, energyWh = 0.0;
    double maxTiltDeg = 0.0, minBellyClearanceM = 0.0, maxSlip = 0.0;
    std::vector<Event> events;    // stops, time limits reached, waypoints reached
    bool completed = false;       // every command ran to its end
};

// A box in the map frame that holds every position the sequence can reach (for loading only the
// part of a large DTM that the simulation needs), with a margin in metres.
terrain::MapExtent reachableArea(const Sequence& sequence, double marginM);

// Throws Error (InvalidArgument) for a step above 5 cm or an invalid sequence, Cancelled when stopped.
SimulationResult simulate(const terrain::ElevationModel& dtm, const RoverConfig& rover, const Sequence& sequence,
                          const SimulationOptions& options = {}, const Perturbation& perturbation = {});

}  // namespace traverse::twin
